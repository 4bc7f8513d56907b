"""The console's recurring invoices: a customer's templates (new, edit, pause, resume, delete), the
upcoming issues across customers (skip, pause) and the invoices held for review (send, skip); staff
may use them, another biller's people get nothing."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from remit.invoices.models import Invoice
from remit.recurring.issuing import recurring_run
from remit.recurring.models import IssueStatus, RecurringChange, RecurringInvoice, RecurringIssue, TemplateStatus
from remit.recurring.tests.helpers import at, make_template
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db

MARCH_1 = date(2027, 3, 1)


@pytest.fixture
def frozen():
    with time_machine.travel(at(MARCH_1), tick=False):
        yield


def form(**changes):
    data = {
        "frequency": "monthly",
        "start_on": "2027-03-15",
        "ends": "after",
        "end_on": "",
        "count": "12",
        "terms": "net_30",
        "tax_rate": "8.25",
        "memo": "",
        "delivery": "send",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Managed hosting",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "250.00",
        "lines-1-description": "",
        "lines-1-quantity": "",
        "lines-1-unit_price": "",
    }
    return {**data, **changes}


def test_creating_a_recurring_invoice_from_the_customer_page(client, world, frozen):
    client.force_login(world.owner)
    customer_page = f"/console/acme-supply/customers/{world.customer.pk}/"
    assert "New recurring invoice" in client.get(customer_page).content.decode()
    response = client.post(f"/console/acme-supply/customers/{world.customer.pk}/recurring/new/", form())
    template = RecurringInvoice.objects.get()
    assert response["Location"] == f"/console/acme-supply/recurring/{template.pk}/"
    assert (template.count, template.next_on, template.totals.total_cents) == (12, date(2027, 3, 15), 27063)
    assert template.changes.get().actor == world.owner
    detail = client.get(response["Location"]).content.decode()
    assert "Every month from Mar 15, 2027, 12 invoices" in detail and "$270.63" in detail
    assert "Mar 15, 2027" in detail and "Apr 15, 2027" in detail  # the upcoming dates
    assert "Every month from Mar 15, 2027" in client.get(customer_page).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_on": "2027-02-27"}, "start_on", "The start date is in the past; choose Mar 1, 2027 or later."),
        ({"ends": "on", "end_on": "2027-03-01"}, "end_on", "The end date is before the start date."),
        ({"count": "1001"}, "count", "Enter a number of invoices from 1 to 1,000."),
        ({"count": "0"}, "count", "Enter a number of invoices from 1 to 1,000."),
        ({"ends": "after", "count": ""}, "count", "Enter the number of invoices."),
        ({"lines-0-unit_price": "-250"}, "lines-0-unit_price", "Enter an amount that is not negative."),
        ({"lines-0-description": "", "lines-0-unit_price": ""}, "", "Add at least one line."),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(client, world, frozen, changes, field, message):
    client.force_login(world.owner)
    response = client.post(f"/console/acme-supply/customers/{world.customer.pk}/recurring/new/", form(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert message.replace("'", "&#x27;") in page
    if field:
        assert f'id="id_{field}_error"' in page
    assert not RecurringInvoice.objects.exists()


def test_editing_shows_the_template_and_saves_it(client, world, frozen):
    template = make_template(world.customer, world.owner, start_on=date(2027, 3, 15), count=12)
    client.force_login(world.owner)
    page = client.get(f"/console/acme-supply/recurring/{template.pk}/edit/").content.decode()
    assert 'value="Managed hosting"' in page and 'value="2027-03-15"' in page
    response = client.post(f"/console/acme-supply/recurring/{template.pk}/edit/", form(count="6"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.count == 6 and template.changes.filter(kind="edited", actor=world.owner).exists()


def test_upcoming_issues_across_customers_with_skip_and_pause(client, world, frozen):
    globex = make_template(world.customer, start_on=date(2027, 3, 10))
    initech = make_template(world.other_customer, start_on=date(2027, 3, 5), frequency="weekly")
    client.force_login(world.owner)
    page = client.get("/console/acme-supply/recurring/").content.decode()
    assert page.index("Mar 5, 2027") < page.index("Mar 10, 2027") < page.index("Mar 12, 2027")
    assert "Globex Corporation" in page and "Initech" in page
    # Skip one date with a reason; without one nothing happens.
    client.post(f"/console/acme-supply/recurring/{globex.pk}/skip", {"scheduled_on": "2027-03-10", "reason": ""})
    assert not RecurringIssue.objects.exists()
    response = client.post(
        f"/console/acme-supply/recurring/{globex.pk}/skip",
        {
            "scheduled_on": "2027-03-10",
            "reason": "Paid for the year upfront",
            "next": "/console/acme-supply/recurring/",
        },
    )
    assert response["Location"] == "/console/acme-supply/recurring/"
    skipped = RecurringIssue.objects.get()
    assert (skipped.status, skipped.actor, skipped.note) == (
        IssueStatus.SKIPPED,
        world.owner,
        "Paid for the year upfront",
    )
    page = client.get("/console/acme-supply/recurring/").content.decode()
    assert "Skipped by" in page and "Paid for the year upfront" in page
    # Pause from the list: Initech's dates leave it.
    client.post(
        f"/console/acme-supply/recurring/{initech.pk}/status",
        {"action": "pause", "next": "/console/acme-supply/recurring/"},
    )
    initech.refresh_from_db()
    assert initech.status == TemplateStatus.PAUSED
    assert RecurringChange.objects.filter(template=initech, kind="paused", actor=world.owner).exists()
    # Resume and delete from the template's page.
    client.post(f"/console/acme-supply/recurring/{initech.pk}/status", {"action": "resume"})
    initech.refresh_from_db()
    assert initech.status == TemplateStatus.ACTIVE
    response = client.post(f"/console/acme-supply/recurring/{initech.pk}/status", {"action": "delete"})
    assert response["Location"] == f"/console/acme-supply/customers/{world.other_customer.pk}/"
    assert client.get(f"/console/acme-supply/recurring/{initech.pk}/").status_code == 404


def test_a_held_invoice_is_listed_to_review_and_sent_with_one_button(client, world, frozen, mailbox, run_on_commit):
    make_template(world.customer, delivery="review")
    [issue] = recurring_run().issues
    client.force_login(world.owner)
    page = client.get("/console/acme-supply/recurring/").content.decode()
    assert "To review" in page and f"/console/acme-supply/recurring/issues/{issue.pk}/send" in page
    with run_on_commit(execute=True):
        response = client.post(f"/console/acme-supply/recurring/issues/{issue.pk}/send")
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/console/acme-supply/invoices/{invoice.pk}/"
    assert [m["Subject"] for m in mailbox()] == ["Invoice INV-00001 from Acme Supply Co. — $350.00 due Mar 16, 2027"]
    assert client.post(f"/console/acme-supply/recurring/issues/{issue.pk}/send").status_code == 302
    assert Invoice.objects.count() == 1  # the second press says it is already issued
    assert "Nothing waits for review." in client.get("/console/acme-supply/recurring/").content.decode()


def test_staff_may_manage_recurring_invoices(client, world, frozen):
    client.force_login(make_staff(world.biller))
    response = client.post(f"/console/acme-supply/customers/{world.customer.pk}/recurring/new/", form())
    assert response.status_code == 302
    template = RecurringInvoice.objects.get()
    client.post(f"/console/acme-supply/recurring/{template.pk}/status", {"action": "pause", "reason": "Holiday"})
    template.refresh_from_db()
    assert template.status == TemplateStatus.PAUSED


def test_another_billers_owner_gets_nothing(client, world, frozen):
    template = make_template(world.customer)
    _, stranger = make_biller("Umbrella Corp")
    client.force_login(stranger)
    for url in (
        "/console/acme-supply/recurring/",
        f"/console/acme-supply/recurring/{template.pk}/",
        f"/console/acme-supply/recurring/{template.pk}/edit/",
        f"/console/acme-supply/customers/{world.customer.pk}/recurring/new/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/console/acme-supply/recurring/{template.pk}/status", {"action": "pause"}).status_code == 404
    template.refresh_from_db()
    assert template.status == TemplateStatus.ACTIVE
