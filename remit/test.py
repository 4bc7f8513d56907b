"""Shared test helpers: factories that go through the real actions, and readers for what was sent."""

from __future__ import annotations

import email
import email.policy
import io
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from itertools import count
from pathlib import Path
from typing import Any

from PIL import Image

from remit.billers import actions as biller_actions
from remit.billers.models import Biller, Membership, Role
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.invoices.totals import Line
from remit.users.models import User

PASSWORD = "correct-horse-battery-staple"
_numbers = count(1)


def make_biller(
    name: str | None = None, *, owner_email: str | None = None, validation: str = "service"
) -> tuple[Biller, User]:
    """A biller with its owner, signed up through the same action as /console/signup.

    ``validation``: how it validates new bank accounts (``payments.validation``). A new biller's
    default is micro-entries, which keeps every debit out of the files until the customer confirms
    two amounts; most tests are about something else (scheduling, exporting, returns), so their
    billers state that accounts are validated by another service, as the owner can on the Account
    validation page. Tests of validation pass ``"micro_entries"`` or ``"prenote"``; ``""`` leaves
    the default (no choice recorded)."""
    from remit.payments.validation import validation_choose

    number = next(_numbers)
    biller, owner = biller_actions.biller_sign_up(
        business_name=name or f"Test Business {number}",
        owner_name=f"Owner {number}",
        email=owner_email or f"owner{number}@example.com",
        password=PASSWORD,
    )
    if validation:
        statement = "Our bank validates each account before its first debit." if validation == "service" else ""
        validation_choose(biller=biller, actor=owner, method=validation, statement=statement)
    return biller, owner


def make_staff(biller: Biller, *, email: str | None = None, role: str = Role.STAFF) -> User:
    """A console user on ``biller``'s team (invited by an owner, invitation accepted)."""
    owner = Membership.objects.filter(biller=biller, role=Role.OWNER).first()
    assert owner is not None
    address = email or f"staff{next(_numbers)}@example.com"
    issued = biller_actions.staff_invite(biller=biller, actor=owner.user, email=address, role=role)
    _, user = biller_actions.staff_invitation_accept(token=issued.token, full_name="Sam Staff", password=PASSWORD)
    return user


def png_bytes(size: tuple[int, int] = (200, 80), color: str = "#336699", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> dict[str, str]:
    """The text/plain and text/html bodies of a delivered message, by content type."""
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() in {"text/plain", "text/html"} and not part.is_attachment():
            found[part.get_content_type()] = part.get_content()
    return found


def make_customer(
    biller: Biller, name: str = "Globex Corporation", *, email: str | None = None, reference: str = ""
) -> Customer:
    from remit.customers.actions import customer_create
    from remit.customers.rules import CustomerFields

    address = email or f"ap{next(_numbers)}@customer.example"
    return customer_create(
        biller=biller, actor=None, fields=CustomerFields(name=name, billing_emails=[address], reference=reference)
    )


def make_invoice(
    customer: Customer,
    *,
    amount_cents: int = 10000,
    issue_date: date | None = None,
    terms: str = "net_30",
    lines: list[Line] | None = None,
    number: str = "",
) -> Invoice:
    """An invoice created through the same action as the console's New invoice page."""
    from django.utils import timezone

    from remit.invoices.actions import InvoiceDraft, invoice_create

    draft = InvoiceDraft(
        customer=customer,
        issue_date=issue_date or timezone.localdate(),
        terms=terms,
        lines=lines or [Line("Widgets", Decimal(1), amount_cents)],
        number=number,
    )
    return invoice_create(biller=customer.biller, actor=None, draft=draft)


def make_portal_user(customer: Customer, *, email: str | None = None, role: str = "admin") -> User:
    """A portal login for ``customer``: the first one signs up from the invoice link, later ones are
    colleagues invited by that admin — the same actions the portal's pages call."""
    from remit.customers import access
    from remit.customers.models import CustomerMembership

    address = (email or (customer.billing_emails[0] if customer.billing_emails else "")).lower()
    admin = CustomerMembership.objects.filter(customer=customer, role="admin").select_related("user").first()
    if admin is None:
        if address not in customer.billing_emails:
            customer.billing_emails = [*customer.billing_emails, address]
            customer.save(update_fields=["billing_emails"])
        user = access.portal_sign_up(
            customer=customer, email=address, password=PASSWORD, confirm=PASSWORD, account_type="business"
        )
        if role != "admin":
            raise ValueError("The first portal user of an account is its admin.")
        return user
    issued = access.colleague_invite(
        customer=customer, actor=admin.user, email=address, role=role, accept_url="https://x.example/{token}"
    )
    return access.colleague_accept(
        biller_id=customer.biller_id, token=issued.token, password=PASSWORD, confirm=PASSWORD
    )


def portal_login(client: Any, user: User) -> None:
    """Sign ``user`` in to their biller's portal in the test client (the portal's own session cookie)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from remit.site.sessions import PORTAL_COOKIE

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "remit.users.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies[PORTAL_COOKIE] = session.session_key


def find_link(text: str, fragment: str) -> str:
    """The first http(s) address in ``text`` containing ``fragment`` (a link in an email)."""
    import re

    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if fragment in url:
            return str(url)
    raise AssertionError(f"No link containing {fragment!r} in the text.")


ACCOUNT_NUMBERS = count(100_000_001)


def make_bank_account(
    user: User,
    *,
    private: bool = False,
    account_type: str = "checking",
    number: str | None = None,
    holder_name: str | None = None,
    routing_number: str = "011000015",
) -> Any:
    """A bank account added in the portal by ``user`` (Terms of Service accepted), as on the Add Bank
    Account page."""
    from remit.customers.models import CustomerMembership
    from remit.payments.bank_accounts import bank_account_add

    membership = CustomerMembership.objects.select_related("customer").get(user=user)
    digits = number or str(next(ACCOUNT_NUMBERS))
    return bank_account_add(
        membership=membership,
        holder_name=holder_name or user.email.split("@")[0].title(),
        routing_number=routing_number,
        account_number=digits,
        account_number_confirm=digits,
        account_type=account_type,
        is_private=private,
        accepted_terms=True,
        ip_address="192.0.2.10",
        user_agent="pytest",
    )


def soonest_pay_on(biller: Biller) -> date:
    """The earliest Pay On date the biller's portal accepts right now."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from remit.payments.dates import earliest_pay_on

    return earliest_pay_on(timezone.now().astimezone(ZoneInfo(biller.time_zone)), biller.ach_cutoff_time)


def ach_payment_rows(
    customer: Customer,
    parts: list[tuple[Invoice, int]],
    *,
    pay_on: date,
    status: str = "scheduled",
    is_autopay: bool = False,
) -> Any:
    """An ACH payment written as rows, for tests that need a Pay On date in the past or a status the
    actions can't reach yet (sent, settled by the bank). Everything else should use
    ``payment_schedule``. The bank account is a real one, added through the portal's action."""
    from django.db import transaction

    from remit.customers.models import CustomerMembership
    from remit.ledger.balances import refresh_invoice_amounts
    from remit.payments.models import Allocation, Payment

    with transaction.atomic():  # as an action would: the rows and the invoices' amounts together
        admin = CustomerMembership.objects.filter(customer=customer, role="admin").select_related("user").first()
        user = admin.user if admin is not None else make_portal_user(customer)
        account = customer.bank_accounts.filter(status="active").first() or make_bank_account(user)
        payment = Payment.objects.create(
            biller=customer.biller,
            customer=customer,
            method="ach",
            status=status,
            amount_cents=sum(cents for _, cents in parts),
            pay_on=pay_on,
            bank_account=account,
            is_autopay=is_autopay,
        )
        Allocation.objects.bulk_create(
            Allocation(payment=payment, invoice=invoice, amount_cents=cents) for invoice, cents in parts
        )
        refresh_invoice_amounts([invoice.pk for invoice, _ in parts])
    return payment


def database_url() -> str:
    """The test database, as a URL a child process understands."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a `remit` child process that works on the test database."""
    from django.conf import settings

    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REMIT_DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        "REMIT_ENCRYPTION_KEYS": ",".join(settings.REMIT_ENCRYPTION_KEYS),
        **extra,
    }


def csv_file(*lines: str) -> bytes:
    """A CSV file as a biller's spreadsheet saves it: CRLF line ends, UTF-8."""
    return ("\r\n".join(lines) + "\r\n").encode()


def problems_of(result: Any) -> list[tuple[int, str, str]]:
    """An import's problems as (line, column, message), for comparing in one assertion."""
    return [(problem.line, problem.field, problem.message) for problem in result.problems]


@dataclass
class World:
    """The people every access test needs, made through the real actions: Acme Supply Co. (the
    biller) and its ``owner``; Globex Corporation (a Business customer) with its portal ``admin`` and
    a ``member`` (a colleague without admin rights); and an ``outsider``, the admin of Initech,
    another customer of Acme, who "should have no access" to anything of Globex's."""

    biller: Biller
    owner: User
    customer: Customer
    admin: User
    member: User
    other_customer: Customer
    outsider: User

    def invoice(self, **changes: Any) -> Invoice:
        """An invoice of Globex's (see ``make_invoice`` for what ``changes`` may say)."""
        return make_invoice(self.customer, **changes)

    def bank_account(self, user: User | None = None, **changes: Any) -> Any:
        """A bank account added by ``user`` (default: the admin), as on the Add Bank Account page."""
        return make_bank_account(user or self.admin, **changes)

    def colleague(self, email: str, *, role: str = "admin") -> User:
        """Another portal user of Globex's, invited by its admin: an admin unless ``role`` says otherwise
        (for tests that need a second admin, e.g. one whose private bank account the others can't see)."""
        return make_portal_user(self.customer, email=email, role=role)


def make_world() -> World:
    biller, owner = make_biller("Acme Supply Co.")
    customer = make_customer(biller, "Globex Corporation", email="ap@globex.example")
    admin = make_portal_user(customer, email="ap@globex.example")
    member = make_portal_user(customer, email="clerk@globex.example", role="member")
    other = make_customer(biller, "Initech", email="ap@initech.example")
    outsider = make_portal_user(other, email="ap@initech.example")
    return World(biller, owner, customer, admin, member, other, outsider)
