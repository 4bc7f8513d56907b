"""Settings → Reminders (owners change the schedule and the late fee, staff look), Upcoming
reminders, and pausing per customer and invoice — each scoped to the biller in the URL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from remit.reminders.models import LateFeePolicy, ReminderChange, ReminderPause, ReminderStep
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


def url(world, path):
    return f"/console/{world.biller.slug}/{path}"


def test_the_owner_builds_a_schedule_and_the_history_says_so(client, world):
    client.force_login(world.owner)
    page = client.get(url(world, "settings/reminders/"))
    assert page.status_code == 200 and b"Add a reminder" in page.content
    for offset, subject in (("-7", "Coming up"), ("0", "Due today"), ("14", "Two weeks late")):
        response = client.post(
            url(world, "settings/reminders/"),
            {"action": "add", "new-offset_days": offset, "new-subject": subject, "new-message": "Please pay."},
        )
        assert response.status_code == 302
    step = ReminderStep.objects.get(offset_days=14)
    response = client.post(
        url(world, "settings/reminders/"),
        {
            "action": f"change-{step.pk}",
            f"step-{step.pk}-offset_days": "15",
            f"step-{step.pk}-subject": "Overdue",
            f"step-{step.pk}-message": "",
        },
    )
    assert response.status_code == 302
    client.post(url(world, "settings/reminders/"), {"action": f"remove-{ReminderStep.objects.get(offset_days=0).pk}"})
    assert list(ReminderStep.objects.values_list("offset_days", "subject")) == [(-7, "Coming up"), (15, "Overdue")]
    page = client.get(url(world, "settings/reminders/")).content.decode()
    assert "7 days before the due date" in page and "15 days after the due date" in page
    assert "Reminder removed" in page and "Reminder changed" in page


@pytest.mark.parametrize(
    ("offset", "subject", "message"),
    [
        ("-7", "Again", "There is already a reminder on that day"),
        ("400", "Late", "at most 365 days"),
        ("3", "", "Enter the subject"),
        ("soon", "x", "Enter a whole number"),
    ],
)
def test_bad_steps_are_shown_at_the_field_and_nothing_is_saved(client, world, offset, subject, message):
    ReminderStep.objects.create(biller=world.biller, offset_days=-7, subject="Coming up")
    client.force_login(world.owner)
    response = client.post(
        url(world, "settings/reminders/"),
        {"action": "add", "new-offset_days": offset, "new-subject": subject, "new-message": ""},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'class="field has-error"' in response.content.decode()
    assert ReminderStep.objects.count() == 1 and not ReminderChange.objects.exists()


def test_the_late_fee_is_set_then_confirmed_once(client, world):
    client.force_login(world.owner)
    response = client.post(
        url(world, "settings/reminders/"),
        {"action": "fee", "kind": "percent", "fixed": "", "percent": "150", "grace_days": "5"},
    )
    assert "above 100%" in response.content.decode() and not LateFeePolicy.objects.exists()
    client.post(
        url(world, "settings/reminders/"),
        {"action": "fee", "kind": "fixed", "fixed": "25.00", "percent": "", "grace_days": "5"},
    )
    page = client.get(url(world, "settings/reminders/")).content.decode()
    assert "Not confirmed: no fee is added until an owner confirms a fee of $25.00" in page
    client.post(url(world, "settings/reminders/"), {"action": "confirm"})
    policy = LateFeePolicy.objects.get(biller=world.biller)
    assert policy.is_active and policy.confirmed_by == world.owner
    assert f"Confirmed by {world.owner.email}" in client.get(url(world, "settings/reminders/")).content.decode()


def test_staff_see_the_reminders_but_cannot_change_them(client, world):
    ReminderStep.objects.create(biller=world.biller, offset_days=3, subject="Overdue")
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "settings/reminders/"))
    assert page.status_code == 200 and b"Only an owner can change the reminders." in page.content
    assert b"disabled" in page.content
    response = client.post(
        url(world, "settings/reminders/"), {"action": "add", "new-offset_days": "5", "new-subject": "x"}
    )
    assert response.status_code == 403
    assert client.post(url(world, "settings/reminders/"), {"action": "confirm"}).status_code == 403
    assert ReminderStep.objects.count() == 1


def test_an_outsider_gets_nothing(client, world):
    _, other_owner = make_biller("Other Co.")
    client.force_login(other_owner)
    assert client.get(url(world, "settings/reminders/")).status_code == 404
    assert client.get(url(world, "reminders/upcoming/")).status_code == 404
    invoice = world.invoice()
    response = client.post(url(world, f"invoices/{invoice.pk}/reminders"), {"reason": "x"})
    assert response.status_code == 404
    response = client.post(url(world, f"customers/{world.customer.pk}/reminders"), {"reason": "x"})
    assert response.status_code == 404
    assert not ReminderPause.objects.exists()


def test_pausing_a_customer_and_an_invoice_is_shown_and_lifted(client, world):
    invoice = world.invoice()
    client.force_login(world.owner)
    customer_page = url(world, f"customers/{world.customer.pk}/")
    response = client.post(url(world, f"customers/{world.customer.pk}/reminders"), {"reason": ""})
    assert response.status_code == 302 and not ReminderPause.objects.exists()
    client.post(url(world, f"customers/{world.customer.pk}/reminders"), {"reason": "Disputing the March invoices"})
    page = client.get(customer_page).content.decode()
    assert "Paused by" in page and "Disputing the March invoices" in page
    assert "the customer's reminders are paused" in client.get(url(world, f"invoices/{invoice.pk}/")).content.decode()
    pause = ReminderPause.objects.get()
    client.post(url(world, f"customers/{world.customer.pk}/reminders"), {"resume": pause.pk})
    pause.refresh_from_db()
    assert pause.lifted_by == world.owner and pause.lifted_at is not None
    assert "resumed" in client.get(customer_page).content.decode()
    client.post(url(world, f"invoices/{invoice.pk}/reminders"), {"reason": "Credit note coming"})
    assert "Credit note coming" in client.get(url(world, f"invoices/{invoice.pk}/")).content.decode()


def test_upcoming_lists_the_next_two_weeks_with_what_is_skipped(client, world):
    today = world.biller.today()
    ReminderStep.objects.create(biller=world.biller, offset_days=-3, subject="Soon")
    going = world.invoice(issue_date=today - timedelta(days=25))  # net 30: due in 5 days, the step in 2
    paused = world.invoice(issue_date=today - timedelta(days=24))
    ReminderPause.objects.create(biller=world.biller, invoice=paused, reason="x", paused_by=world.owner)
    world.invoice(issue_date=today)  # due in 30 days: its step is beyond the two weeks
    client.force_login(make_staff(world.biller))
    page = client.get(url(world, "reminders/upcoming/")).content.decode()
    assert going.number in page and "Will go" in page
    assert paused.number in page and "Skipped: paused" in page
    assert page.count("3 days before the due date") == 2


def test_the_invoice_page_lists_the_reminders_sent_and_the_late_fee(client, world):
    from datetime import date

    from remit.reminders.engine import reminders_run
    from remit.reminders.models import LateFee

    ReminderStep.objects.create(biller=world.biller, offset_days=3, subject="Overdue")
    invoice = world.invoice(issue_date=date(2026, 3, 2))
    reminders_run(today=date(2026, 4, 4))
    LateFee.objects.create(invoice=invoice, cents=2_500, added_on=date(2026, 4, 5))
    client.force_login(world.owner)
    page = client.get(url(world, f"invoices/{invoice.pk}/")).content.decode()
    assert f"Overdue (invoice {invoice.number}) · to ap@globex.example · $100.00 left" in page
    assert "Late fee of $25.00 added Apr 5, 2026." in page


def test_the_history_says_what_changed_in_words(client, world):
    client.force_login(world.owner)
    settings_page = url(world, "settings/reminders/")
    client.post(settings_page, {"action": "add", "new-offset_days": "-7", "new-subject": "Soon", "new-message": ""})
    step = ReminderStep.objects.get()
    client.post(
        settings_page,
        {
            "action": f"change-{step.pk}",
            f"step-{step.pk}-offset_days": "-5",
            f"step-{step.pk}-subject": "Soon",
            f"step-{step.pk}-message": "",
        },
    )
    client.post(settings_page, {"action": "fee", "kind": "fixed", "fixed": "25", "percent": "", "grace_days": "3"})
    page = client.get(settings_page).content.decode()
    assert "Reminder added · day 7 days before the due date, subject “Soon”, message none" in page
    assert "day 7 days before the due date, subject “Soon”, message none → day 5 days before the due date" in page
    assert "Late fee policy changed · late fee no late fee → late fee a fixed amount, amount $25.00" in page
