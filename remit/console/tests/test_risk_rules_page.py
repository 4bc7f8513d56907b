"""Settings → Payments → Risk rules: every rule on at its default until saved; the owner changes them
(audited, before and after), staff look, another biller's people find nothing."""

from __future__ import annotations

import pytest

from remit.lib.errors import NotPermitted
from remit.payments.models import PaymentRiskRules, PaymentSettingsChange
from remit.payments.risk_rules import RiskSettings
from remit.payments.risk_settings import RiskRulesError, risk_rules_save, risk_settings_of
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db

FORM = {
    "new_account_on": "on",
    "new_account_above": "2,500.00",
    "account_change_on": "on",
    "account_change_days": "7",
    "unusual_amount_on": "on",
    "unusual_amount_times": "3",
    "many_accounts_on": "on",
    "many_accounts_count": "3",
    "shared_account_on": "on",
    "shared_account_customers": "2",
}


def url(world):
    return f"/console/{world.biller.slug}/settings/payments/risk-rules/"


def test_every_rule_is_on_at_its_default_before_anyone_saves(client, world):
    assert risk_settings_of(world.biller) == RiskSettings()
    client.force_login(world.owner)
    page = client.get(url(world)).content.decode()
    assert "First debit from a new account" in page and 'value="2500.00"' in page
    assert "risk-rules/" in client.get(f"/console/{world.biller.slug}/settings/payments/").content.decode()


def test_the_owner_changes_a_rule_and_the_history_says_before_and_after(client, world):
    client.force_login(world.owner)
    data = {**FORM, "new_account_above": "5,000.00"}
    del data["shared_account_on"]
    response = client.post(url(world), data)
    assert response.status_code == 302
    saved = PaymentRiskRules.objects.get(biller=world.biller)
    assert (saved.new_account_above_cents, saved.shared_account_on, saved.many_accounts_on) == (500_000, False, True)
    change = PaymentSettingsChange.objects.get(biller=world.biller)
    assert change.actor == world.owner and change.customer is None
    assert change.before == {"new_account_above_cents": 250_000, "shared_account_on": True}
    assert change.after == {"new_account_above_cents": 500_000, "shared_account_on": False}
    page = client.get(url(world)).content.decode()
    assert "New account&#x27;s amount $2,500.00 → $5,000.00" in page
    assert "One account at several customers on → off" in page


def test_saving_nothing_new_writes_no_history(world):
    risk_rules_save(biller=world.biller, actor=world.owner, rules=RiskSettings())
    assert not PaymentSettingsChange.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_change_days", "0", "The days before an Auto Pay debit must be between 1 and 60."),
        ("unusual_amount_times", "1", "The times the usual amount must be between 2 and 100."),
        ("many_accounts_count", "51", "The accounts added in a day must be between 2 and 50."),
        ("shared_account_customers", "1", "The customers sharing an account must be between 2 and 50."),
    ],
)
def test_a_parameter_out_of_range_is_refused_and_nothing_saved(client, world, field, value, message):
    client.force_login(world.owner)
    response = client.post(url(world), {**FORM, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    assert not PaymentRiskRules.objects.exists() and not PaymentSettingsChange.objects.exists()


def test_an_amount_of_zero_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(url(world), {**FORM, "new_account_above": "0"})
    assert response.status_code == 200
    assert not PaymentRiskRules.objects.exists()
    with pytest.raises(RiskRulesError, match="more than"):
        risk_rules_save(biller=world.biller, actor=world.owner, rules=RiskSettings(new_account_above_cents=-1))


def test_staff_see_the_rules_but_cannot_change_them(client, world):
    staff = make_staff(world.biller)
    client.force_login(staff)
    page = client.get(url(world))
    assert page.status_code == 200 and b"Only an owner can change these settings." in page.content
    assert client.post(url(world), FORM).status_code == 403
    with pytest.raises(NotPermitted):
        risk_rules_save(biller=world.biller, actor=staff, rules=RiskSettings(new_account_on=False))
    assert not PaymentRiskRules.objects.exists()


def test_another_billers_owner_finds_nothing(client, world):
    _, other_owner = make_biller("Other Co")
    client.force_login(other_owner)
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), FORM).status_code == 404
    with pytest.raises(NotPermitted):
        risk_rules_save(biller=world.biller, actor=other_owner, rules=RiskSettings(new_account_on=False))
    assert not PaymentRiskRules.objects.exists()
