"""Schemathesis against the live app: every operation of /api/v1/openapi.json is called with
generated requests (valid and invalid) and a seeded biller's key, and every response must be no
server error and match the document — status code, content type, body schema and headers."""

from contextlib import nullcontext

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from remit.api.tests.conftest import keyed_biller, seed_paid_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def live_api(live_server, settings, tmp_path):
    """A biller with a key, customers, invoices, payments, an ACH file and a return, on a live server."""
    settings.REMIT_API_RATE = "100000/min"  # schemathesis is fast; rate limits have their own tests
    settings.DATA_DIR = tmp_path / "data"
    keyed = keyed_biller("Acme Supply Co.")
    seed_paid_world(keyed, committed=nullcontext)  # transaction=True: on-commit work runs as in production
    return live_server.url, keyed.secret


@pytest.fixture
def api_schema(live_api):
    url, secret = live_api
    config = schemathesis.Config.from_dict(
        {"base-url": url, "headers": {"Authorization": f"Bearer {secret}"}, "generation": {"mode": "all"}}
    )
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case):
    case.call_and_validate(checks=CHECKS)
