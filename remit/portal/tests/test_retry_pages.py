"""Where a retry chain shows, and the retry's skip link: the portal's payment page and payments list,
the console's invoice page and payments list, the API's payment; the skip link asks on GET and skips
on POST (recorded; the chain is never retried again), and another biller's portal knows no such link."""

from datetime import date

import pytest
import time_machine
from django.test import Client

from remit.ach.retry_links import skip_token
from remit.ach.retry_policy import retry_policy_save
from remit.ach.tests.test_retries import at, bank_returns, pay, retry_world
from remit.api.tests.conftest import keyed_biller, seed_paid_world
from remit.payments.models import Payment, PaymentEvent, PaymentStatus
from remit.test import make_biller, portal_login
from remit.webhooks.models import EventType, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(run_on_commit):
    world = retry_world()
    original = pay(world)
    first = bank_returns(world, run_on_commit, original, "R01")
    return world, original, first


def test_the_skip_link_asks_first_then_skips_the_retry_for_good(chain, run_on_commit):
    _, _, first = chain
    client = Client()
    url = f"/acme-supply/payments/retry-skip/{skip_token(first)}/"
    with time_machine.travel(at(date(2026, 3, 6)), tick=False):
        page = client.get(url)
        assert page.status_code == 200
        assert "Skip this retry?" in page.content.decode() and "Tuesday, March 10, 2026" in page.content.decode()
        first.refresh_from_db()
        assert first.status == PaymentStatus.SCHEDULED  # a GET changes nothing
        with run_on_commit(execute=True):
            done = client.post(url)
    assert "Retry skipped" in done.content.decode()
    first.refresh_from_db()
    assert first.status == PaymentStatus.CANCELLED
    assert PaymentEvent.objects.filter(payment=first, note="Retry skipped from the link in the email").exists()


def test_a_skip_link_is_refused_by_another_billers_portal_and_when_mangled(chain):
    _, _, first = chain
    make_biller("Globex Billing")
    with time_machine.travel(at(date(2026, 3, 6)), tick=False):
        assert Client().get(f"/globex-billing/payments/retry-skip/{skip_token(first)}/").status_code == 404
        assert Client().get(f"/acme-supply/payments/retry-skip/{skip_token(first)}x/").status_code == 404


def test_the_portal_shows_the_chain_on_the_payment_page_and_the_list(chain):
    world, original, first = chain
    client = Client()
    portal_login(client, world["admin"])
    page = client.get(f"/acme-supply/payments/{original.pk}/").content.decode()
    assert "Retries" in page and f"Retry 1 #{first.pk}" in page and "(R01)" in page
    page = client.get(f"/acme-supply/payments/{first.pk}/").content.decode()
    assert f"payment #{original.pk}</a>" in page and "Skip this retry" in page
    listed = client.get("/acme-supply/payments/").content.decode()
    assert f"Retry of #{original.pk}" in listed
    invoice = client.get(f"/acme-supply/invoices/{world['invoice'].pk}/").content.decode()
    assert '<span class="badge">retry</span>' in invoice


def test_the_console_shows_the_chain_on_the_invoice_page_and_the_payments_list(chain):
    world, original, first = chain
    client = Client()
    client.force_login(world["owner"])
    page = client.get(f"/console/acme-supply/invoices/{world['invoice'].pk}/").content.decode()
    assert f"retry of #{original.pk}" in page and "Returned (R01)" in page
    listed = client.get("/console/acme-supply/payments/").content.decode()
    assert f"#{first.pk}: retry of #{original.pk}" in listed and f"#{original.pk}: retried 1×" in listed


def test_the_api_shows_retry_of_and_retries(run_on_commit, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    acme = keyed_biller("Acme Supply Co.")
    retry_policy_save(biller=acme.biller, actor=acme.owner, retries=2, timing="days", days=3)
    WebhookEndpoint.objects.create(
        biller=acme.biller, url="https://hooks.example/r", events=[EventType.PAYMENT_SCHEDULED], secret_encrypted="x"
    )
    paid = seed_paid_world(acme, committed=lambda: run_on_commit(execute=True))
    retry = Payment.objects.get(retry_of=paid.returned)
    api = acme.client()
    original = api.get(f"/api/v1/payments/{paid.returned.pk}").json()
    assert (original["retry_of"], original["retries"]) == (None, [retry.pk])
    body = api.get(f"/api/v1/payments/{retry.pk}").json()
    assert (body["retry_of"], body["retries"], body["amount_cents"]) == (paid.returned.pk, [], 25000)
    assert paid.scheduled.retry_of_id is None
    # The retry's payment.scheduled webhook says whose retry it is.
    [event] = [e for e in WebhookEvent.objects.filter(type=EventType.PAYMENT_SCHEDULED) if e.payload["id"] == retry.pk]
    assert (event.payload["retry_of"], event.payload["retries"]) == (paid.returned.pk, [])
