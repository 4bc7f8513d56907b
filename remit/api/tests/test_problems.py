"""Every error is an RFC 9457 problem document: DRF's own, the actions', unknown paths, 429."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from remit.api.problems import flatten

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
