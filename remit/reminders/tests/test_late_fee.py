"""The late fee: none until an owner confirmed the policy; then added once per invoice as a line
(the invoices app's edit, so totals.py computes the total), never above the invoice; the reminder
mentions it; a changed policy needs a new confirmation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from remit.lib.errors import NotPermitted
from remit.reminders.engine import reminders_run
from remit.reminders.models import LateFee, ReminderChange, ReminderStep
from remit.reminders.settings import ReminderError, late_fee_policy_confirm, late_fee_policy_save
from remit.test import make_staff, make_world, parts

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)  # due April 1


@pytest.fixture
def world():
    return make_world()


def fixed(world, cents=2_500, grace=5):
    return late_fee_policy_save(
        biller=world.biller, actor=world.owner, kind="fixed", fixed_cents=cents, percent=None, grace_days=grace
    )


def test_no_fee_before_the_owner_confirms(world):
    fixed(world)
    invoice = world.invoice(issue_date=ISSUED)
    reminders_run(today=date(2026, 5, 1))
    invoice.refresh_from_db()
    assert invoice.total_cents == 10_000 and not LateFee.objects.exists()


def test_the_fee_is_added_once_after_the_grace_days(world):
    fixed(world, grace=5)
    late_fee_policy_confirm(biller=world.biller, actor=world.owner)
    invoice = world.invoice(issue_date=ISSUED)
    assert reminders_run(today=date(2026, 4, 6)).late_fees == []  # April 6 = due + 5: still in grace
    assert reminders_run(today=date(2026, 4, 7)).late_fees == [(invoice.number, 2_500)]
    assert reminders_run(today=date(2026, 4, 8)).late_fees == []
    invoice.refresh_from_db()
    assert invoice.total_cents == 12_500
    assert [line.description for line in invoice.lines.all()] == ["Widgets", "Late fee (Apr 7, 2026)"]
    assert LateFee.objects.get(invoice=invoice).cents == 2_500


def test_a_percentage_is_of_the_balance_left(world):
    late_fee_policy_save(
        biller=world.biller, actor=world.owner, kind="percent", fixed_cents=None, percent=Decimal("1.5"), grace_days=0
    )
    late_fee_policy_confirm(biller=world.biller, actor=world.owner)
    invoice = world.invoice(issue_date=ISSUED, amount_cents=20_000)
    assert reminders_run(today=date(2026, 4, 2)).late_fees == [(invoice.number, 300)]


def test_a_fixed_fee_above_the_invoice_is_never_added(world):
    fixed(world, cents=50_000, grace=0)
    late_fee_policy_confirm(biller=world.biller, actor=world.owner)
    invoice = world.invoice(issue_date=ISSUED, amount_cents=10_000)
    assert reminders_run(today=date(2026, 4, 2)).late_fees == []
    invoice.refresh_from_db()
    assert invoice.total_cents == 10_000
    assert "above the invoice's total" in LateFee.objects.get(invoice=invoice).note


def test_the_reminder_mentions_the_fee(world, mailbox, run_on_commit):
    ReminderStep.objects.create(biller=world.biller, offset_days=10, subject="Overdue", message="")
    fixed(world, grace=5)
    late_fee_policy_confirm(biller=world.biller, actor=world.owner)
    world.invoice(issue_date=ISSUED)
    with run_on_commit(execute=True):
        reminders_run(today=date(2026, 4, 11))
    text = parts(mailbox()[-1])["text/plain"]
    assert "A late fee of $25.00 was added to this invoice." in text
    assert "$125.00" in text


def test_a_changed_policy_needs_a_new_confirmation_and_is_audited(world):
    fixed(world)
    policy = late_fee_policy_confirm(biller=world.biller, actor=world.owner)
    assert policy.is_active and policy.confirmed_by_email == world.owner.email
    policy = fixed(world, cents=3_000)
    assert not policy.is_active
    kinds = list(ReminderChange.objects.order_by("pk").values_list("kind", "before", "after"))
    assert [k for k, _, _ in kinds] == ["late_fee_changed", "late_fee_confirmed", "late_fee_changed"]
    assert kinds[2][1]["fixed_cents"] == 2_500 and kinds[2][2]["fixed_cents"] == 3_000


@pytest.mark.parametrize(
    ("kind", "cents", "percent", "grace", "field"),
    [
        ("fixed", None, None, 0, "fixed"),
        ("fixed", 0, None, 0, "fixed"),
        ("fixed", 2_000_000, None, 0, "fixed"),
        ("percent", None, Decimal("150"), 0, "percent"),
        ("percent", None, Decimal("-1"), 0, "percent"),
        ("percent", None, None, 0, "percent"),
        ("fixed", 100, None, -1, "grace_days"),
        ("fixed", 100, None, 400, "grace_days"),
        ("bogus", None, None, 0, "kind"),
    ],
)
def test_an_absurd_policy_is_refused_at_the_field_and_nothing_saved(world, kind, cents, percent, grace, field):
    with pytest.raises(ReminderError) as caught:
        late_fee_policy_save(
            biller=world.biller, actor=world.owner, kind=kind, fixed_cents=cents, percent=percent, grace_days=grace
        )
    assert field in caught.value.errors
    assert not ReminderChange.objects.exists()


def test_staff_cannot_set_or_confirm_the_fee(world):
    staff = make_staff(world.biller)
    with pytest.raises(NotPermitted):
        late_fee_policy_save(
            biller=world.biller, actor=staff, kind="fixed", fixed_cents=100, percent=None, grace_days=0
        )
    fixed(world)
    with pytest.raises(NotPermitted):
        late_fee_policy_confirm(biller=world.biller, actor=staff)
