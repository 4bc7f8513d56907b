"""/api/v1/openapi.json describes every endpoint, and /api/v1/docs shows it from Remit's own
files under the site's strict Content-Security-Policy."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from remit.site.middleware import STRICT_POLICY

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def api_routes():
    """(regex of the path, methods) of every route of the API's router."""
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "api")
    versioned = next(p for p in api.url_patterns if isinstance(p, URLResolver))
    routes = []
    for pattern in versioned.url_patterns:
        assert isinstance(pattern, URLPattern)
        # DRF adds "head" (answered as "get") once the route has served a request.
        methods = [m for m in pattern.callback.actions if m != "head"]  # type: ignore[attr-defined]
        routes.append((str(pattern.pattern), methods))
    return routes


def test_every_route_is_in_the_document(document):
    documented = {
        (method, path) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    for regex, methods in api_routes():
        path = "/api/v1/" + re.sub(r"\(\?P<pk>[^)]*\)", "{id}", regex).strip("^$")
        for method in methods:
            assert (method, path) in documented, f"{method.upper()} {path} is not documented"
    assert len(documented) == 34


def test_the_document_is_valid_and_generated_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "openapi.yaml"))


def test_security_pagination_errors_and_idempotency_are_described(document):
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "rk_live_…",
        "description": document["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"ApiKey": []}], (method, path)
            # Any operation refuses a query parameter it doesn't list (400); every 4xx is a problem document.
            assert {"400", "401", "429"} <= set(operation["responses"]), (method, path)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
            for code, response in operation["responses"].items():
                media = "application/problem+json" if code >= "400" else None
                if media:
                    assert list(response["content"]) == [media], (method, path, code)
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            assert headers == (["Idempotency-Key"] if method == "post" else []), (method, path)
    listed = document["paths"]["/api/v1/invoices"]["get"]
    assert {"cursor", "limit", "status", "customer", "issue_date_from", "due_date_to"} <= {
        p["name"] for p in listed["parameters"]
    }
    page = document["components"]["schemas"]["PaginatedInvoiceList"]
    assert set(page["properties"]) == {"next", "previous", "results"}
    pdf = document["paths"]["/api/v1/invoices/{id}/pdf"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]


def test_bank_accounts_are_described_masked_only(document):
    assert set(document["components"]["schemas"]["BankAccount"]["properties"]) == {
        "id",
        "account_type",
        "masked_number",
        "status",
        "debits_from",
        "validation",
    }


def test_the_docs_page_uses_remits_own_files_under_the_strict_policy():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == STRICT_POLICY
    html = response.content.decode()
    assert "<script>" not in html and "style=" not in html
    assert not re.search(r"(src|href)=\"https?://", html), "no CDN"
    for asset in re.findall(r"(?:src|href)=\"/static/([^\"]+)\"", html):
        assert finders.find(asset), asset
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert settings.SPECTACULAR_SETTINGS["SERVE_AUTHENTICATION"] == []
