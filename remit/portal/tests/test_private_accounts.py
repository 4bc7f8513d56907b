"""A Private account stays private in history and Auto Pay too (help article: "Checking the Private
box will hide the bank account information from other colleagues").

One story, told with the real actions: the account's owner pays by hand from their private savings
account and turns Auto Pay on with it; another admin changes Auto Pay's maximum on the portal's form
(keeping the account) and skips a payment; the payment goes out late, the bank returns it as closed
(R02), and Auto Pay turns off. Twice — while Auto Pay is on, and at the end — every portal address
is opened as the other admin and as a member, and every email those colleagues received is read:
none shows the account's holder name, type, digits or routing number; where the account is
mentioned they read "a private account of <owner>". The owner and the biller still see its masked
details.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pypdf import PdfReader

from remit.ach.actions import ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.retry_links import skip_token as retry_skip_token
from remit.ach.stored import file_text
from remit.ach.tests.test_export import ach_fields
from remit.autopay.engine import autopay_skip
from remit.autopay.links import skip_token
from remit.autopay.models import AutoPay, AutoPayClaim
from remit.autopay.notices import autopay_send_notices
from remit.autopay.settings import autopay_save
from remit.customers import access
from remit.customers.links import make_access_token
from remit.invoices.links import make_token
from remit.notifications.actions import outbox_deliver_due
from remit.notifications.unsubscribe import unsubscribe_token
from remit.payments.actions import payment_schedule
from remit.payments.models import BankAccountStatus, Payment, PaymentStatus
from remit.portal.tests.test_isolation import portal_patterns
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    parts,
    portal_login,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db

OWNER = "ophelia.quartermaine@globex.example"
ADMIN = "bea.admin@globex.example"
MEMBER = "max.member@globex.example"
HOLDER = "Zebulon Vantablack"
ROUTING = "021000021"
NUMBER = "5550008642"
LAST4 = "8642"
PRIVATELY = f"private account of {OWNER}"  # after "a " or "A "
# What the colleagues must never read about the owner's account (its type is checked apart: the
# Add Bank Account form offers "Savings" to everyone).
SECRETS = [HOLDER, NUMBER, ROUTING, LAST4]


@pytest.fixture
def story(settings, tmp_path, run_on_commit):
    settings.DATA_DIR = tmp_path / "data"  # the ACH files
    acme, biller_owner = make_biller("Acme Supply Co.")
    ach_settings_save(biller=acme, actor=biller_owner, fields=ach_fields())
    globex = make_customer(acme, "Globex Corporation", email=OWNER)
    owner = make_portal_user(globex)  # the first person is an admin
    admin = make_portal_user(globex, email=ADMIN, role="admin")
    member = make_portal_user(globex, email=MEMBER, role="member")
    shared = make_bank_account(admin, number="123456789")  # checking
    private = make_bank_account(
        owner, private=True, account_type="savings", number=NUMBER, holder_name=HOLDER, routing_number=ROUTING
    )
    by_hand = make_invoice(globex, amount_cents=25000, number="INV-HAND")
    small = make_invoice(globex, amount_cents=30000, number="INV-SMALL")
    big = make_invoice(globex, amount_cents=900000, number="INV-BIG")
    with run_on_commit(execute=True):  # the confirmations and Auto Pay's advance notice
        payment = payment_schedule(
            payer=owner,
            invoice_ids=[by_hand.pk],
            bank_account_id=private.pk,
            pay_on=soonest_pay_on(acme),
            total_cents=25000,
        )
        autopay_save(
            customer=globex,
            actor=owner,
            enabled=True,
            max_cents=500000,
            bank_account_id=private.pk,
            days=2,
            when="before",
        )
    invitation = access.colleague_invite(
        customer=globex, actor=admin, email="new@globex.example", role="member", accept_url="{token}"
    )
    return {
        "acme": acme,
        "biller_owner": biller_owner,
        "globex": globex,
        "owner": owner,
        "admin": admin,
        "member": member,
        "shared": shared,
        "private": private,
        "payment": payment,
        "small": small,
        "big": big,
        "invitation": invitation,
        "run_on_commit": run_on_commit,
        "tmp_path": tmp_path,
    }


def client_of(user) -> Client:
    client = Client()
    portal_login(client, user)
    return client


def autopay_payment(story, invoice) -> Payment:
    return AutoPayClaim.objects.select_related("payment").get(invoice=invoice).payment


def addresses(story) -> list[tuple[str, str]]:
    """Every portal address, with the ids of the story's objects (the payment made from the private
    account, a signed skip link for an Auto Pay payment from it, …)."""
    globex, admin = story["globex"], story["admin"]
    skip_payment = Payment.objects.filter(customer=globex, is_autopay=True).order_by("pk")[0]
    tokens = {
        "autopay_skip_link": skip_token(skip_payment),
        # No retry in this story: the page is a 404 here; it names its account with account_label_for.
        "retry_skip_link": retry_skip_token(story["payment"]),
        "pay_link": make_token(story["payment"].allocations.get().invoice),
        "access_link": make_access_token(globex, email=ADMIN),
        "invitation_accept": story["invitation"].token,
        "password_reset": default_token_generator.make_token(admin),
        "unsubscribe": unsubscribe_token(biller_id=globex.biller_id, address=ADMIN, category="autopay"),
    }
    ids = {
        "invoice_id": story["payment"].allocations.get().invoice_id,
        "payment_id": story["payment"].pk,
        "bank_account_id": story["shared"].pk,
        "membership_id": story["member"].customer_membership.pk,
        "invitation_id": story["invitation"].invitation.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(admin.pk)),
        "version": "0",
    }
    urls = []
    for pattern in portal_patterns():
        name = pattern.name or ""
        kwargs: dict[str, Any] = {"biller_slug": "acme-supply"}
        for key in pattern.pattern.converters:
            kwargs[key] = tokens[name] if key == "token" else ids[key]
        urls.append((name, reverse(f"portal:{name}", kwargs=kwargs)))
    # The private account's own address, and the Auto Pay payments' pages, too.
    urls.append(("bank_account_remove", f"/acme-supply/bank-accounts/{story['private'].pk}/remove/"))
    for payment in Payment.objects.filter(customer=globex, is_autopay=True):
        urls.append(("payment", f"/acme-supply/payments/{payment.pk}/"))
    return sorted(urls, key=lambda url: url[0] == "signout")  # signing out last


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode()


def walk(story, user) -> dict[str, str]:
    """GET every portal address as ``user``; what each showed, by URL name (pages of one name joined)."""
    client = client_of(user)
    seen: dict[str, str] = {}
    for name, url in addresses(story):
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        seen[name] = seen.get(name, "") + "\n" + body_of(response)
    return seen


def assert_nothing_of_the_private_account(text: str, where: str, *, type_too: bool = True) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where}: shows {secret!r}"
    if type_too:
        assert "savings" not in text.lower(), f"{where}: shows the account's type"


def assert_walk_shows_nothing(story, user) -> dict[str, str]:
    seen = walk(story, user)
    for name, text in seen.items():
        assert_nothing_of_the_private_account(text, f"{user.email} at {name}", type_too=name != "bank_account_new")
    # Where the account is referenced, it is named for what it is.
    for name in ("payment", "payments", "autopay"):
        assert re.search(rf"[Aa] {re.escape(PRIVATELY)}", seen[name]), f"{name}: {seen[name][:3000]}"
    return seen


def mail_to(mailbox, address: str) -> list[EmailMessage]:
    return [message for message in mailbox() if address in message["To"]]


def whole(message: EmailMessage) -> str:
    bodies = parts(message)
    return "\n".join([str(message["Subject"]), bodies.get("text/plain", ""), bodies.get("text/html", "")])


def test_a_colleague_never_sees_a_private_account_on_any_page_or_email(story, mailbox):
    admin, member = story["admin"], story["member"]
    run_on_commit, tmp_path = story["run_on_commit"], story["tmp_path"]

    # The other admin changes the maximum on the portal's form and keeps the owner's account.
    edit = client_of(admin).get("/acme-supply/autopay/edit/").content.decode()
    assert re.search(rf"[Kk]eep[^<]*{re.escape(PRIVATELY)}", edit), edit
    response = client_of(admin).post(
        "/acme-supply/autopay/edit/",
        {"enabled": "on", "max_amount": "6000", "bank_account": story["private"].pk, "days": "2", "when": "before"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    setting = AutoPay.objects.get(customer=story["globex"])
    assert (setting.bank_account_id, setting.max_cents) == (story["private"].pk, 600000)
    autopay_send_notices()

    # While Auto Pay is on: every page, as the other admin and as a member.
    seen = assert_walk_shows_nothing(story, admin)
    assert re.search(rf"[Aa] {re.escape(PRIVATELY)}", seen["autopay_edit"])
    assert "INV-HAND" in seen["payment"] and "$250.00" in seen["payment"] and OWNER in seen["payment"]
    assert_walk_shows_nothing(story, member)

    # The other admin skips one; the payment made by hand goes out late, and the bank returns it:
    # the account is closed (R02), so it is blocked and Auto Pay turns off.
    autopay_skip(payment=autopay_payment(story, story["small"]), actor=admin)
    Payment.objects.filter(pk=story["payment"].pk).update(pay_on=timezone.localdate() - timedelta(days=1))
    with run_on_commit(execute=True):
        result = ach_export(biller=story["acme"])
    assert result.moved == [story["payment"].pk] and result.file is not None
    story["payment"].refresh_from_db()
    returned = returns_for(
        file_text(result.file),
        today=timezone.localdate(),
        returns={story["payment"].ach_entry.trace_number: "R02"},
    )
    path = tmp_path / f"returns-{uuid.uuid4().hex}.ach"
    path.write_text(returned)
    with run_on_commit(execute=True):
        call_command("ach", "import-returns", str(path), stdout=io.StringIO())
    story["payment"].refresh_from_db()
    story["private"].refresh_from_db()
    assert story["payment"].status == PaymentStatus.RETURNED
    assert story["private"].status == BankAccountStatus.BLOCKED
    assert not AutoPay.objects.get(customer=story["globex"]).enabled
    outbox_deliver_due()

    # At the end: the history, every page again.
    assert_walk_shows_nothing(story, admin)
    assert_walk_shows_nothing(story, member)

    # Every email the other admin received (the member, not an admin, receives none of these).
    received = mail_to(mailbox, ADMIN)
    subjects = [str(message["Subject"]) for message in received]
    about_the_account = ("Auto Pay is on", "Auto Pay will pay", "now goes out on", "was returned by", "Auto Pay was")
    for expected in (*about_the_account, "Auto Pay payment of", "gave you access"):
        assert any(expected in subject for subject in subjects), (expected, subjects)
    for message in received:
        text = whole(message)
        assert_nothing_of_the_private_account(text, f"email {message['Subject']!r}")
        if any(expected in str(message["Subject"]) for expected in about_the_account):
            assert re.search(rf"[Aa] {re.escape(PRIVATELY)}", text), text
            assert OWNER not in message["To"], "the owner's copy is a message of its own"
    # A member is told about none of this (only admins are); whatever they did receive shows nothing.
    assert mail_to(mailbox, MEMBER)
    for message in mail_to(mailbox, MEMBER):
        assert_nothing_of_the_private_account(whole(message), f"email to the member {message['Subject']!r}")


def test_the_owner_still_sees_their_own_account_everywhere(story, mailbox):
    owner_client = client_of(story["owner"])
    for path in (
        f"/acme-supply/payments/{story['payment'].pk}/",
        "/acme-supply/payments/",
        "/acme-supply/autopay/",
        "/acme-supply/autopay/edit/",
    ):
        page = owner_client.get(path).content.decode()
        assert f"••••{LAST4}" in page and PRIVATELY not in page, path
    assert HOLDER in owner_client.get(f"/acme-supply/payments/{story['payment'].pk}/").content.decode()
    outbox_deliver_due()
    mine = mail_to(mailbox, OWNER)
    subjects = [str(message["Subject"]) for message in mine]
    for expected in ("You scheduled a payment of $250.00", "Auto Pay is on", "Auto Pay will pay"):
        assert any(subject.startswith(expected) for subject in subjects), (expected, subjects)
    for message in mine:
        if "skipped" not in str(message["Subject"]):
            text = whole(message)
            assert HOLDER in text and f"••••{LAST4}" in text and PRIVATELY not in text, message["Subject"]


def test_the_biller_keeps_seeing_the_masked_details(story, mailbox):
    outbox_deliver_due()
    notice = next(m for m in mail_to(mailbox, story["biller_owner"].email) if "scheduled $250.00" in m["Subject"])
    text = whole(notice)
    assert f"••••{LAST4}" in text and PRIVATELY not in text and NUMBER not in text
