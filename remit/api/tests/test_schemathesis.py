"""Schemathesis against the live app, with every check it has and the settings of the project's
schemathesis.toml. Each operation of /api/v1/openapi.json is called with generated requests — the
document's examples, its boundaries (coverage), valid and invalid data (fuzzing) — and then in
sequences that follow the document's links (stateful). Every response must be no server error and
match the document; valid requests must be accepted and invalid ones refused with a 4xx; a request
without the key must get a 401; a method the path doesn't take a 405 with ``Allow``; a created
object must be readable… (``schemathesis explain``)."""

import re
import tomllib
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure

from remit.api.tests.conftest import keyed_biller, seed_paid_world

CONFIG = Path(__file__).resolve().parents[3] / "schemathesis.toml"
BOUNDED = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)

# schemathesis.toml lets several operations refuse valid data with a 400, for the rules the document
# can state only in words. Here such a 400 may name only those rules — any other field refused is
# a rule missing from the document.
RULES_IN_WORDS = {
    "POST /api/v1/customers": {
        "postal_code": "Enter a ZIP code like",
        "reference": "Another customer already has the reference",
    },
    "PATCH /api/v1/customers/{id}": {
        "postal_code": "Enter a ZIP code like",
        "reference": "Another customer already has the reference",
    },
    "POST /api/v1/invoices": {
        "customer": "There is no customer with this id|is archived",
        "number": "is already used",
        "due_date": "The due date is before the issue date|Enter the due date",
        "terms": "The due date would be after the year 9999",
        "lines": "too large",
        "tax_rate": "too large",
    },
    "POST /api/v1/recurring-invoices": {
        "customer": "There is no customer with this id|is archived",
        "start_on": "The start date is in the past",
        "end_on": "The end date is before the start date|not both|more than 1,000 invoices",
        "lines": "too large",
    },
    "PATCH /api/v1/recurring-invoices/{id}": {
        "customer": "customer can't change|is archived",
        "start_on": "The start date is in the past|start date can't change",
        "frequency": "how often can't change",
        "end_on": "The end date is before the start date|not both|more than 1,000 invoices|can't end before",
        "count": "can't end before",
        "lines": "too large",
    },
    "POST /api/v1/recurring-invoices/{id}/skip": {
        "scheduled_on": "is not an upcoming date",
    },
    "GET /api/v1/customers/{id}/statement": {"to": "The last day can't be before the first day|at most five years"},
    "GET /api/v1/customers/{id}/statement.pdf": {"to": "The last day can't be before the first day|at most five years"},
    "POST /api/v1/credits": {
        "customer": "There is no customer with this id",
        "invoice": "There is no invoice with this id|Choose an invoice of this customer|is void",
        "amount_cents": "That is more than|Nothing is left on",
    },
}


def only_rules_in_words_refuse_valid_data(ctx, response, case):
    """A 400 or 422 to valid data: only the refusals schemathesis.toml allows, and for its reasons."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in {400, 422}:
        return None
    problem = response.json()
    if response.status_code == 422:
        reasons = {"type": r"/problems/idempotency-key-reused$"}
        refused = {"type": [problem["type"]]}
    else:
        reasons = RULES_IN_WORDS.get(case.operation.label, {})
        refused = problem.get("errors", {})
    wrong = {
        name: messages
        for name, messages in refused.items()
        if name not in reasons or not all(re.search(reasons[name], message) for message in messages)
    }
    if wrong or not refused:
        raise Failure(
            operation=case.operation.label,
            title="Valid data refused for a rule the document doesn't state",
            message=f"{response.status_code}: {problem}",
        )
    return None


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
    config = tomllib.loads(CONFIG.read_text())
    config |= {"base-url": url, "auth": {"openapi": {"ApiKey": {"bearer": secret}}}, "generation": {"mode": "all"}}
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=schemathesis.Config.from_dict(config))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(BOUNDED, max_examples=20)
def test_every_operation_does_what_the_document_says(case):
    case.call_and_validate(additional_checks=[only_rules_in_words_refuse_valid_data])  # and every built-in check


@pytest.mark.django_db(transaction=True)
def test_sequences_of_calls_do_what_the_document_says(api_schema):
    """The stateful phase: create a customer, then read, change, archive it; create an invoice
    for it, send it, void it… each step's response checked as above."""

    machine: Any = api_schema.as_state_machine()

    class Workflow(machine):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            checks = [*(additional_checks or []), only_rules_in_words_refuse_valid_data]
            super().validate_response(response, case, additional_checks=checks, **kwargs)

    Workflow.run(settings=settings(BOUNDED, max_examples=10, stateful_step_count=6))
