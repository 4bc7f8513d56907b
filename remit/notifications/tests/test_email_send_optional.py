"""Non-essential emails: who gets them (opt-outs), and the one-click unsubscribe each one carries."""

import re
from email.utils import parseaddr

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remit.notifications.actions import email_send, email_send_optional, outbox_batch, outbox_deliver_due
from remit.notifications.categories import EmailCategory
from remit.notifications.models import OptOutHow, OutboundEmail
from remit.notifications.preferences import email_opt_out
from remit.notifications.unsubscribe import read_unsubscribe_token
from remit.test import make_biller, parts

pytestmark = pytest.mark.django_db


def _context(biller):
    return {
        "invitation": biller.invitations.model(email="x@example.com", role="staff", expires_at=timezone.now()),
        "inviter": "Alex",
        "accept_url": "https://remit.example/console/invitations/abc",
    }


def _send(biller, to, *, category=EmailCategory.REMINDERS):
    with transaction.atomic():
        return email_send_optional(
            to=to, category=category, template="staff_invitation", context=_context(biller), biller=biller
        )


def test_an_opted_out_address_gets_nothing_and_the_others_still_do(mailbox):
    biller, _ = make_biller("Acme Supply Co.")
    email_opt_out(
        biller=biller, address="AP@Globex.example", category=EmailCategory.REMINDERS, how=OptOutHow.PREFERENCES
    )

    sent = _send(biller, ["ap@globex.example", "Clerk@Globex.example", "clerk@globex.example"])
    outbox_deliver_due()

    assert [email.recipients for email in sent] == [["Clerk@Globex.example"]]  # once, as first spelled
    assert [m["To"] for m in mailbox()] == ["Clerk@Globex.example"]


def test_in_a_batch_the_opt_outs_are_read_once_per_biller_and_category_and_still_honoured(mailbox):
    acme, _ = make_biller("Acme Supply Co.")
    bolt, _ = make_biller("Bolt Hardware Inc.")
    email_opt_out(biller=acme, address="ap@globex.example", category=EmailCategory.REMINDERS, how=OptOutHow.ONE_CLICK)
    email_opt_out(biller=bolt, address="ap@initech.example", category=EmailCategory.REMINDERS, how=OptOutHow.ONE_CLICK)
    addresses = ["ap@globex.example", "ap@initech.example", "ap@hooli.example"]

    with transaction.atomic(), outbox_batch(), CaptureQueriesContext(connection) as queries:
        for biller in (acme, acme, bolt, bolt):
            for address in addresses:
                email_send_optional(
                    to=[address],
                    category=EmailCategory.REMINDERS,
                    template="staff_invitation",
                    context=_context(biller),
                    biller=biller,
                )
    outbox_deliver_due()

    opt_out_reads = [q for q in queries.captured_queries if "emailoptout" in q["sql"].lower()]
    assert len(opt_out_reads) == 2  # Acme's list once, Bolt's once, however many emails
    got = sorted((m["To"], parseaddr(m["From"])[0]) for m in mailbox())
    assert got == sorted(
        [("ap@initech.example", "Acme Supply Co."), ("ap@hooli.example", "Acme Supply Co.")] * 2
        + [("ap@globex.example", "Bolt Hardware Inc."), ("ap@hooli.example", "Bolt Hardware Inc.")] * 2
    )


def test_an_opt_out_is_per_biller_and_per_category(mailbox):
    acme, _ = make_biller("Acme Supply Co.")
    other, _ = make_biller("Bolt Hardware Inc.")
    email_opt_out(biller=acme, address="ap@globex.example", category=EmailCategory.REMINDERS, how=OptOutHow.ONE_CLICK)

    assert _send(acme, ["ap@globex.example"], category=EmailCategory.STATEMENTS)
    assert _send(other, ["ap@globex.example"])
    assert not _send(acme, ["ap@globex.example"])


@pytest.mark.parametrize("name", ["Acme Supply Co.", "Café Ünïcode Supply"])  # the second is re-folded
def test_each_message_carries_its_own_one_click_unsubscribe(smtp_server, name):
    biller, _ = make_biller(name)
    sent = _send(biller, ["ap@globex.example", "clerk@globex.example"])
    outbox_deliver_due()

    assert len(smtp_server.messages) == 2
    for email in sent:  # one line each, exactly as RFC 8058 shows it
        raw = bytes(OutboundEmail.objects.get(pk=email.pk).raw)
        assert re.search(rb"(^|\r\n)List-Unsubscribe: <https?://[^\s>]+/>\r\n", raw)
        assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    for message in smtp_server.messages:
        address = message["To"]
        url = str(message["List-Unsubscribe"])
        assert url.startswith(f"<{biller.portal_url('unsubscribe/')}") and url.endswith("/>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = url[1:-2].rsplit("/", 1)[1]
        found = read_unsubscribe_token(token)
        assert found is not None
        assert (found.biller_id, found.address, found.category) == (biller.pk, address, "reminders")
        bodies = parts(message)
        assert url[1:-1] in bodies["text/plain"] and f'href="{url[1:-1]}"' in bodies["text/html"]
        assert f"Don't want emails like this (Payment reminders) from {name}" in bodies["text/plain"]


def test_the_link_is_on_the_billers_own_domain_when_it_has_one(mailbox):
    biller, _ = make_biller("Acme Supply Co.")
    biller.custom_domain = "pay.acme.example"
    biller.save(update_fields=["custom_domain"])
    _send(biller, ["ap@globex.example"])
    outbox_deliver_due()
    [message] = mailbox()
    assert str(message["List-Unsubscribe"]).startswith("<http://pay.acme.example/unsubscribe/")


def test_the_opt_outs_are_read_in_one_query_however_many_addresses():
    biller, _ = make_biller()
    with CaptureQueriesContext(connection) as queries:
        _send(biller, [f"person{n}@globex.example" for n in range(20)])
    reads = [q["sql"] for q in queries if "notifications_emailoptout" in q["sql"]]
    assert len(reads) == 1


def test_essential_emails_ignore_opt_outs(mailbox):
    biller, _ = make_biller()
    for category in EmailCategory.values:
        email_opt_out(biller=biller, address="ap@globex.example", category=category, how=OptOutHow.PREFERENCES)
    with transaction.atomic():
        email_send(to=["ap@globex.example"], template="staff_invitation", context=_context(biller), biller=biller)
    outbox_deliver_due()
    [message] = mailbox()
    assert message["List-Unsubscribe"] is None and "Unsubscribe" not in parts(message)["text/plain"]


def test_an_unknown_category_is_a_programming_error():
    biller, _ = make_biller()
    with pytest.raises(ValueError):
        _send(biller, ["ap@globex.example"], category="newsletters")
