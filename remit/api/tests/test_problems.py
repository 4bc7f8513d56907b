"""Every error is an RFC 9457 problem document: DRF's own, the actions', unknown paths, 429."""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from remit.api.problems import exception_handler, flatten
from remit.lib.errors import NotPermitted
from remit.payments.actions import PaymentError
from remit.payments.bank_accounts import BankAccountError
from remit.test import make_customer
from remit.webhooks.endpoints import WebhookError

pytestmark = pytest.mark.django_db

SHAPE = {"type", "title", "status", "detail", "instance"}


def problem_of(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= SHAPE and body["status"] == status
    assert body["instance"] == response.wsgi_request.path
    return body


def test_unknown_paths_under_api(api):
    for path in ["/api/v1/nothing", "/api/v2/customers", "/api/", "/api/v1/customers/", "/api/v1/customers/abc"]:
        body = problem_of(api.get(path), 404)
        assert body["type"] == "about:blank" and body["title"] == "Not Found"


def test_an_id_too_large_to_be_one_is_not_found(api):
    problem_of(api.get("/api/v1/invoices/99999999999999999999999"), 404)
    problem_of(api.get("/api/v1/invoices/999999999999999999"), 404)


def test_method_not_allowed(api):
    body = problem_of(api.delete("/api/v1/invoices"), 405)
    assert body["detail"] == 'Method "DELETE" not allowed.'


def test_malformed_json_and_wrong_media_type(api):
    body = problem_of(api.post("/api/v1/customers", "{not json", content_type="application/json"), 400)
    assert body["detail"].startswith("JSON parse error")
    body = problem_of(
        api.post("/api/v1/customers", "name=Globex", content_type="application/x-www-form-urlencoded"), 415
    )
    assert "application/x-www-form-urlencoded" in body["detail"]


def test_a_body_that_is_not_an_object(api):
    body = problem_of(api.post("/api/v1/customers", [1, 2], format="json"), 400)
    assert body["detail"] == "Invalid data. Expected a dictionary, but got list."
    assert body["errors"] == {}


def test_validation_problem_names_each_field(api):
    body = problem_of(api.post("/api/v1/customers", {"billing_emails": "ap@x.example"}, format="json"), 400)
    assert body["title"] == "Your request is not valid."
    assert body["type"].endswith("/api/v1/problems/validation")
    assert body["errors"] == {
        "name": ["This field is required."],
        "billing_emails": ['Expected a list of items but got type "str".'],
    }
    assert body["detail"] == "Check name, billing_emails: see errors."


def test_unauthorized_even_for_unknown_methods():
    problem_of(APIClient().delete("/api/v1/customers"), 401)


def test_flatten_nested_detail():
    detail = {
        "non_field_errors": ["Whole request."],
        "lines": [{}, {"quantity": ["Too many decimals."], "notes": {"x": ["Deep."]}}],
        "emails": ["Bad."],
    }
    assert flatten(detail) == {
        "": ["Whole request."],
        "lines.1.quantity": ["Too many decimals."],
        "lines.1.notes.x": ["Deep."],
        "emails": ["Bad."],
    }


def test_the_site_outside_api_keeps_its_html_404():
    response = Client().get("/no-such-biller-here/")
    assert response.status_code == 404 and "problem" not in response["Content-Type"]


def test_a_problem_type_can_be_looked_up(api):
    body = problem_of(api.post("/api/v1/customers", {}, format="json"), 400)
    response = Client().get(body["type"].removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert "`errors` names each one" in response.content.decode()
    assert Client().get("/api/v1/problems/nonsense").status_code == 404


def test_a_body_too_large(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"name": "Globex", "billing_emails": ["ap@globex.example"], "reference": "x" * 200}
    problem_of(api.post("/api/v1/customers", body, format="json"), 413)
    problem_of(api.post("/api/v1/customers", body, format="json", HTTP_IDEMPOTENCY_KEY="big"), 413)


# --- Any action's refusal, the same way ----------------------------------------------------------


def rendered(error: Exception, path: str = "/api/v1/payments") -> dict:
    response = exception_handler(error, {"request": RequestFactory().post(path)})
    assert response.content_type == "application/problem+json"
    assert response.data["status"] == response.status_code
    return response.data


def test_a_refusal_at_a_field_is_a_validation_problem_whatever_the_action(api, acme):
    make_customer(acme.biller, "Initech", reference="GLX-1")
    body = problem_of(
        api.post(
            "/api/v1/customers",
            {"name": "Globex", "billing_emails": ["ap@globex.example"], "reference": "glx-1"},
            format="json",
        ),
        400,
    )
    message = "Another customer already has the reference “glx-1”."
    assert body["errors"] == {"reference": [message]}
    # Another action's error with a field answers alike: same type, title, detail, status, errors.
    same = rendered(BankAccountError(message, field="reference"), path="/api/v1/customers")
    assert same == body
    payment = rendered(PaymentError("Choose a date.", field="pay_on"))
    assert (payment["status"], payment["type"], payment["title"]) == (400, body["type"], body["title"])
    assert payment["errors"] == {"pay_on": ["Choose a date."]} and payment["detail"] == "Check pay_on: see errors."


def test_a_refusal_of_the_whole_request_is_a_conflict():
    body = rendered(WebhookError("The endpoint is disabled. Enable it first."))
    assert body["status"] == 409 and body["type"].endswith("/problems/conflict")
    assert body["detail"] == "The endpoint is disabled. Enable it first." and "errors" not in body


def test_a_refusal_of_the_person_is_forbidden():
    body = rendered(NotPermitted("Only an owner can create or revoke API keys."))
    assert body["status"] == 403 and body["detail"] == "Only an owner can create or revoke API keys."
    assert "errors" not in body
