"""The console's payment controls: Settings → Payments and a customer's switches and limits (owner
changes, staff look), and the Review queue (the team decides) — each scoped to the biller in the URL."""

from __future__ import annotations

import pytest
from django.db import transaction

from remit.payments.actions import payment_schedule
from remit.payments.holds import payment_hold_place
from remit.payments.models import (
    CustomerPaymentSettings,
    PaymentHold,
    PaymentSettings,
    PaymentSettingsChange,
    PaymentStatus,
)
from remit.test import make_biller, make_staff, soonest_pay_on

pytestmark = pytest.mark.django_db


def url(world, path):
    return f"/console/{world.biller.slug}/{path}"


def test_the_owner_switches_ach_off_and_the_history_says_so(client, world):
    client.force_login(world.owner)
    page = client.get(url(world, "settings/payments/"))
    assert page.status_code == 200 and b"Accept ACH payments" in page.content
    response = client.post(
        url(world, "settings/payments/"), {"allow_autopay": "on", "over_limit": "hold", "scheduled": "keep"}
    )
    assert response.status_code == 302
    saved = PaymentSettings.objects.get(biller=world.biller)
    assert (saved.accept_ach, saved.allow_autopay, saved.over_limit) == (False, True, "hold")
    page = client.get(url(world, "settings/payments/"))
    assert "Accept ACH payments on → off" in page.content.decode()


def test_staff_see_the_payment_settings_but_cannot_change_them(client, world):
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "settings/payments/"))
    assert page.status_code == 200 and b"Only an owner can change these settings." in page.content
    response = client.post(url(world, "settings/payments/"), {"over_limit": "hold", "scheduled": "keep"})
    assert response.status_code == 403
    customer_page = url(world, f"customers/{world.customer.pk}/payment-settings/")
    response = client.post(customer_page, {"accept_ach": "off", "allow_autopay": "inherit", "scheduled": "keep"})
    assert response.status_code == 403
    assert not PaymentSettings.objects.exists() and not CustomerPaymentSettings.objects.exists()


def test_the_owner_sets_a_customers_limits_and_the_customer_page_shows_them(client, world):
    client.force_login(world.owner)
    page = url(world, f"customers/{world.customer.pk}/payment-settings/")
    response = client.post(
        page,
        {
            "accept_ach": "inherit",
            "allow_autopay": "off",
            "max_per_payment": "500",
            "max_per_month": "2,000.00",
            "scheduled": "keep",
        },
    )
    assert response.status_code == 302
    own = CustomerPaymentSettings.objects.get(customer=world.customer)
    assert (own.allow_autopay, own.max_per_payment_cents, own.max_per_month_cents) == ("off", 50000, 200000)
    detail = client.get(url(world, f"customers/{world.customer.pk}/")).content.decode()
    assert "$500.00" in detail and "$2,000.00" in detail and "Not allowed" in detail


def test_a_limit_of_zero_is_refused_on_the_form_and_nothing_is_saved(client, world):
    client.force_login(world.owner)
    page = url(world, f"customers/{world.customer.pk}/payment-settings/")
    response = client.post(
        page, {"accept_ach": "inherit", "allow_autopay": "inherit", "max_per_payment": "0", "scheduled": "keep"}
    )
    assert response.status_code == 200
    assert "The Maximum per payment must be more than $0.00" in response.content.decode()
    assert not CustomerPaymentSettings.objects.exists() and not PaymentSettingsChange.objects.exists()


def test_another_billers_customer_is_not_found(client, world):
    other, other_owner = make_biller("Other Co")
    client.force_login(other_owner)
    response = client.get(f"/console/{other.slug}/customers/{world.customer.pk}/payment-settings/")
    assert response.status_code == 404


@pytest.fixture
def held(world):
    account = world.bank_account()
    invoice = world.invoice(amount_cents=12345)
    payment = payment_schedule(
        payer=world.admin,
        invoice_ids=[invoice.pk],
        bank_account_id=account.pk,
        pay_on=soonest_pay_on(world.biller),
        total_cents=12345,
    )
    with transaction.atomic():
        return payment_hold_place(payment=payment, rule_code="test_rule", reason="First debit above $100.00")


def test_staff_approve_a_held_payment_in_the_review_queue(client, world, held):
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "review/")).content.decode()
    assert "Globex Corporation" in page and "$123.45" in page and "First debit above $100.00" in page
    response = client.post(url(world, f"review/{held.pk}/decide"), {"decision": "approved", "reason": "Called them"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.decision == "approved" and held.decision_reason == "Called them"
    assert "No payment is waiting for review." in client.get(url(world, "review/")).content.decode()


def test_the_owner_rejects_a_held_payment_and_it_is_cancelled(client, world, held):
    client.force_login(world.owner)
    client.post(url(world, f"review/{held.pk}/decide"), {"decision": "rejected", "reason": "Looks wrong"})
    held.payment.refresh_from_db()
    assert held.payment.status == PaymentStatus.CANCELLED


def test_a_decision_without_a_reason_changes_nothing(client, world, held):
    client.force_login(world.owner)
    client.post(url(world, f"review/{held.pk}/decide"), {"decision": "rejected", "reason": ""})
    held.refresh_from_db()
    assert held.decided_at is None


def test_another_biller_cannot_see_or_decide_the_hold(client, world, held):
    other, other_owner = make_biller("Other Co")
    client.force_login(other_owner)
    assert "Globex" not in client.get(f"/console/{other.slug}/review/").content.decode()
    response = client.post(f"/console/{other.slug}/review/{held.pk}/decide", {"decision": "approved", "reason": "x"})
    assert response.status_code == 404
    assert PaymentHold.objects.get(pk=held.pk).decided_at is None


def test_the_payments_list_marks_a_held_payment_and_leads_to_review(client, world, held):
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "payments/")).content.decode()
    assert "Review (1 held)" in page and page.count("Held for review</a>") == 1
    client.post(url(world, f"review/{held.pk}/decide"), {"decision": "approved", "reason": "Called them"})
    page = client.get(url(world, "payments/")).content.decode()
    assert "Held for review</a>" not in page and "Review (" not in page
