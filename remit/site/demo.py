"""Demo data for `remit demo` (run by `make run`): Acme Supply Co., its console owner, and its
customers Globex Corporation and Initech with open, overdue, partly paid and paid invoices
(Initech's open invoices are emailed, so var/mail/ holds a "Pay Invoice Electronically" email).

Acme validates new bank accounts by micro-entries; Globex's shared account was validated before the
demo begins; Initech's first account (Initech signs up from its emailed link) goes through it.

Idempotent: what exists is left exactly as it is, so running it again changes nothing — not even a
password the demo owner has changed since. Later issues add customers and invoices here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from remit.billers import actions as biller_actions
from remit.billers.models import Biller
from remit.customers import access
from remit.customers.actions import customer_create
from remit.customers.models import Customer
from remit.customers.rules import CustomerFields
from remit.invoices.actions import InvoiceDraft, invoice_create, invoice_send
from remit.invoices.totals import Line
from remit.lib.images import normalize_logo
from remit.payments.actions import payment_cancel, payment_record_offline, payment_schedule
from remit.payments.bank_accounts import bank_account_add
from remit.payments.dates import earliest_pay_on
from remit.payments.models import AccountValidation, BankAccount
from remit.payments.validation import current_choice, validation_choose, validation_sent, validation_verify
from remit.users.models import User

DEMO_PASSWORD = "remit-demo-2026"
ACME_NAME = "Acme Supply Co."
ACME_SLUG = "acme-supply"
ACME_OWNER = "owner@acme-supply.example"
ACME_COLOR = "#c2410c"


@dataclass(frozen=True)
class DemoLogin:
    where: str
    email: str
    password: str


GLOBEX_ADMIN = "ap@globex.example"
GLOBEX_COLLEAGUE = "controller@globex.example"

DEMO_LOGINS = [
    DemoLogin("Console (Acme Supply Co.)", ACME_OWNER, DEMO_PASSWORD),
    DemoLogin("Portal (Globex Corporation, admin)", GLOBEX_ADMIN, DEMO_PASSWORD),
    DemoLogin("Portal (Globex Corporation, colleague)", GLOBEX_COLLEAGUE, DEMO_PASSWORD),
]


def acme_logo_png() -> bytes:
    """A simple wordmark drawn with Pillow: an orange rounded square with a white "A", then the name."""
    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 170, 170), radius=30, fill=ACME_COLOR)
    draw.polygon([(90, 38), (146, 150), (120, 150), (90, 86), (60, 150), (34, 150)], fill="white")
    draw.rectangle((68, 112, 112, 128), fill="white")
    draw.text(
        (196, 12), "ACME", font=ImageFont.load_default(size=92), fill="#1f2937", stroke_width=3, stroke_fill="#1f2937"
    )
    draw.text(
        (200, 112),
        "SUPPLY CO.",
        font=ImageFont.load_default(size=50),
        fill=ACME_COLOR,
        stroke_width=1,
        stroke_fill=ACME_COLOR,
    )
    buffer = io.BytesIO()
    image.crop(image.getbbox()).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class DemoInvoice:
    issued_days_ago: int
    terms: str
    lines: tuple[tuple[str, str, int], ...]  # description, quantity, unit price in cents
    paid: str = ""  # "", "full" or "part": a check received and recorded
    send: bool = False


DEMO_CUSTOMERS: dict[str, tuple[CustomerFields, list[DemoInvoice]]] = {
    "GLOBEX": (
        CustomerFields(
            name="Globex Corporation",
            reference="GLOBEX",
            billing_emails=["ap@globex.example"],
            address_line1="1 Globex Plaza",
            city="Cypress Creek",
            state="OR",
            postal_code="97301",
        ),
        [
            DemoInvoice(
                75,
                "net_30",
                (("Steel shelving units", "12", 18900), ("Assembly and installation", "6", 8500)),
                paid="full",
            ),
            DemoInvoice(50, "net_30", (("Forklift battery, 48V", "2", 245000),)),
            DemoInvoice(
                20, "net_30", (("Pallet wrap, case of 4", "30", 4299), ("Safety gloves, box", "15", 1899)), paid="part"
            ),
            DemoInvoice(4, "net_30", (("Loading dock bumpers", "8", 12750), ("Freight", "1", 18000))),
        ],
    ),
    "INITECH": (
        CustomerFields(
            name="Initech",
            reference="INITECH",
            billing_emails=["pat@initech.example"],
            address_line1="4120 Freidrich Lane",
            city="Austin",
            state="TX",
            postal_code="78744",
        ),
        [
            DemoInvoice(90, "net_30", (("Red staplers", "40", 1499),), paid="full"),
            DemoInvoice(
                40,
                "net_15",
                (("Printer toner, black", "10", 8900), ("Printer maintenance visit", "1", 22500)),
                send=True,
            ),
            DemoInvoice(6, "net_30", (("Copy paper, pallet", "2", 41900),), send=True),
            DemoInvoice(2, "net_30", (("Ergonomic office chairs", "5", 32900), ("Delivery", "1", 7500)), send=True),
        ],
    ),
}


def _demo_customers(acme: Biller, owner: User | None) -> list[str]:
    created: list[str] = []
    today = timezone.localdate()
    for reference, (fields, invoices) in DEMO_CUSTOMERS.items():
        if Customer.objects.filter(biller=acme, reference=reference).exists():
            continue
        customer = customer_create(biller=acme, actor=owner, fields=replace(fields))
        for spec in invoices:
            invoice = invoice_create(
                biller=acme,
                actor=owner,
                draft=InvoiceDraft(
                    customer=customer,
                    issue_date=today - timedelta(days=spec.issued_days_ago),
                    terms=spec.terms,
                    lines=[Line(text, Decimal(quantity), cents) for text, quantity, cents in spec.lines],
                    memo="Thank you for your business.",
                ),
            )
            if spec.paid:
                amount = invoice.total_cents if spec.paid == "full" else invoice.total_cents // 2
                received = min(invoice.due_date, today) - timedelta(days=3)
                payment_record_offline(
                    invoice=invoice,
                    actor=owner,
                    amount_cents=amount,
                    method="check",
                    received_on=max(received, invoice.issue_date),
                    reference=f"Check {1040 + invoice.pk}",
                )
            if spec.send:
                invoice_send(invoice=invoice, actor=owner)
        created.append(f"customer {fields.name} ({fields.billing_emails[0]}) with {len(invoices)} invoices")
    return created


@transaction.atomic
def load_demo() -> list[str]:
    """Create what is missing; return one line per thing created (empty when all was there)."""
    created: list[str] = []
    acme = Biller.objects.filter(slug=ACME_SLUG).first()
    if acme is None:
        if User.objects.console().filter(email__iexact=ACME_OWNER).exists():
            raise RuntimeError(f"{ACME_OWNER} exists but the {ACME_SLUG} biller does not; remove the user first.")
        acme, owner = biller_actions.biller_sign_up(
            business_name=ACME_NAME, owner_name="Alex Acme", email=ACME_OWNER, password=DEMO_PASSWORD
        )
        if acme.slug != ACME_SLUG:
            acme = biller_actions.biller_change_slug(biller=acme, actor=owner, slug=ACME_SLUG)
        biller_actions.biller_update_branding(
            biller=acme, actor=owner, brand_color=ACME_COLOR, logo=normalize_logo(acme_logo_png(), "acme-logo.png")
        )
        created.append(f"biller {ACME_NAME} at /{ACME_SLUG}/ with its console owner {ACME_OWNER}")
    acme_owner = User.objects.console().filter(email__iexact=ACME_OWNER).first()
    created += _demo_validation(acme, acme_owner)
    created += _demo_customers(acme, acme_owner)
    created += _demo_portal_logins(acme)
    created += _demo_payments(acme)
    created += _demo_autopay(acme, acme_owner)
    created += _demo_risk_rules(acme, acme_owner)
    created += _demo_ach(acme, acme_owner)
    created += _demo_bank(acme, acme_owner)  # for a demo loaded before the bank connection existed
    created += _demo_review(acme, acme_owner)
    created += _demo_receivables(acme, acme_owner)
    return created


REMINDER_STEPS = [
    (-3, "Coming due", "A friendly reminder: this invoice is due in a few days."),
    (0, "Due today", ""),
    (7, "Past due", "This invoice is a week past due. Please pay it or let us know if something is wrong."),
    (30, "30 days past due", "This invoice is a month past due. Please call us at (555) 010-0100."),
]


def _demo_receivables(acme: Biller, owner: User | None) -> list[str]:
    """The receivables cycle: Acme's reminder schedule (the worker sends them), a monthly recurring
    invoice for Globex left for review, Initech's monthly statements, and a credit note for Initech."""
    from remit.payments.credits import credit_issue
    from remit.payments.models import Credit
    from remit.recurring.actions import TemplateFields, recurring_create
    from remit.recurring.models import RecurringInvoice
    from remit.reminders.models import ReminderStep
    from remit.reminders.settings import reminder_step_add
    from remit.statements.actions import monthly_statements_set

    globex = Customer.objects.filter(biller=acme, reference="GLOBEX").first()
    initech = Customer.objects.filter(biller=acme, reference="INITECH").first()
    if owner is None or globex is None or initech is None or ReminderStep.objects.filter(biller=acme).exists():
        return []
    for offset, subject, message in REMINDER_STEPS:
        reminder_step_add(biller=acme, actor=owner, offset_days=offset, subject=subject, message=message)
    if not RecurringInvoice.objects.filter(customer=globex).exists():
        recurring_create(
            biller=acme,
            actor=owner,
            fields=TemplateFields(
                customer=globex,
                frequency="monthly",
                start_on=acme.today() + timedelta(days=1),
                lines=[Line("Racking maintenance plan", Decimal(1), 45000)],
                terms="net_30",
                tax_rate=Decimal(0),
                memo="Monthly maintenance of the warehouse racking.",
                delivery="review",
                count=12,
            ),
        )
    monthly_statements_set(customer=initech, enabled=True, actor=owner)
    if not Credit.objects.filter(customer=initech).exists():
        credit_issue(
            biller=acme, customer=initech, amount_cents=2500, reason="Late delivery of order 4471", actor=owner
        )
    return [
        "Acme's reminders (3 days before, on the day, 7 and 30 days after the due date), a monthly recurring "
        "invoice for Globex (held for review), Initech's monthly statements and a $25.00 credit"
    ]


def _demo_validation(acme: Biller, owner: User | None) -> list[str]:
    """Acme validates new bank accounts by micro-entries (Settings → Account validation), unless its
    owner already chose (the choice the migration recorded for a demo loaded before is no one's)."""
    choice = current_choice(acme.pk)
    if owner is None or (choice is not None and choice.chosen_by_id is not None):
        return []
    validation_choose(biller=acme, actor=owner, method="micro_entries")
    return ["Acme validates new bank accounts by micro-entries"]


def _verify_as_before(account: BankAccount, admin: User) -> None:
    """Globex's shared account was validated before the demo begins: its micro-entries count as sent
    in an earlier file, and Globex's admin typed the amounts (the portal's own action)."""
    validation = AccountValidation.objects.get(bank_account=account)
    validation_sent([validation.pk], effective_date=timezone.localdate() - timedelta(days=3))
    validation_verify(
        membership=admin.customer_membership,
        bank_account_id=account.pk,
        amount_1=str(validation.amount_1_cents),
        amount_2=str(validation.amount_2_cents),
    )


def _demo_risk_rules(acme: Biller, owner: User | None) -> list[str]:
    """Acme's risk rules, tuned by its owner: new accounts' first debits held above $5,000.00 (so
    Globex's $4,900.00 goes in the first file), Auto Pay account changes watched for 30 days."""
    from remit.payments.models import PaymentRiskRules
    from remit.payments.risk_rules import RiskSettings
    from remit.payments.risk_settings import risk_rules_save

    if owner is None or PaymentRiskRules.objects.filter(biller=acme).exists():
        return []
    rules = RiskSettings(new_account_above_cents=500_000, account_change_days=30)
    risk_rules_save(biller=acme, actor=owner, rules=rules)
    return ["Acme's risk rules (first debits from new accounts above $5,000.00, Auto Pay account changes 30 days)"]


def _demo_review(acme: Biller, owner: User | None) -> list[str]:
    """Something in Acme's Review queue: the rule pass the export runs, run now for the day of
    Globex's next Auto Pay debit (as that file's export will), holds it: Auto Pay's account was added
    today, within the 30 days Acme watches."""
    from remit.ach.export import due_payments
    from remit.ach.risk_holds import hold_risky
    from remit.payments.models import Payment, PaymentHold, PaymentStatus

    autopay = (
        Payment.objects.filter(biller=acme, status=PaymentStatus.SCHEDULED, is_autopay=True).order_by("pay_on").first()
    )
    if owner is None or autopay is None or PaymentHold.objects.filter(payment__biller=acme).exists():
        return []
    held = hold_risky(acme, autopay.pay_on, due_payments(acme, autopay.pay_on))
    return [f"{len(held)} payment(s) held for review by Acme's risk rules (see Review)"] if held else []


def _demo_ach(acme: Biller, owner: User | None) -> list[str]:
    """Acme's ACH settings, as its bank (a test routing number) gave them."""
    from datetime import time

    from remit.ach.actions import AchFields, ach_settings_save
    from remit.ach.models import AchSettings

    if owner is None or AchSettings.objects.filter(biller=acme).exists():
        return []
    ach_settings_save(
        biller=acme,
        actor=owner,
        fields=AchFields(
            odfi_routing="111000025",
            immediate_origin="1234567890",
            destination_name="First Demo Bank",
            origin_name="Acme Supply Co",
            company_name="ACME SUPPLY CO",
            company_id="1234567890",
            entry_description="INVOICE",
            cutoff_time=time(16, 0),
            time_zone="America/New_York",
            settlement_days=2,
        ),
    )
    created = ["Acme's ACH settings (bank routing 111000025, company ID 1234567890, cut-off 4:00 pm)"]
    return created + _demo_bank(acme, owner) + _demo_ach_file(acme)


DEMO_BANK_RULE = "ending=6789:R01"  # the simulated bank returns Globex's account …6789: insufficient funds


def demo_bank_folder() -> Path:
    return Path(settings.DATA_DIR) / "bank-sim"


def _demo_bank(acme: Biller, owner: User | None) -> list[str]:
    """Acme connected to the simulated bank (`remit bank-sim --sftp`, which `remit run` starts): Remit's
    SSH key for Acme given to the bank, the bank's host key pinned, the connection on — so the demo's
    files are delivered and the bank's returns picked up by the worker, with no file touched."""
    from remit.ach.bank_sim_sftp import authorize_key, ensure_host_key
    from remit.bank.connections import ConnectionFields, bank_connection_save, bank_key_generate
    from remit.bank.models import BankConnection

    if owner is None or BankConnection.objects.filter(biller=acme).exists():
        return []
    folder = demo_bank_folder()
    host_key = ensure_host_key(folder)
    connection = bank_key_generate(biller=acme, actor=owner)
    authorize_key(folder, connection.ssh_public_key)
    port = settings.REMIT_BANK_SIM_PORT
    bank_connection_save(
        biller=acme,
        actor=owner,
        fields=ConnectionFields(
            host="127.0.0.1",
            port=port,
            username="remit",
            auth="key",
            outbound_dir="/to-bank",
            inbound_dir="/from-bank",
            host_key=host_key,
            enabled=True,
        ),
    )
    return [f"Acme's bank connection to the simulated bank at sftp://remit@127.0.0.1:{port} (started by `remit run`)"]


def _demo_ach_file(acme: Biller) -> list[str]:
    """The first file Acme's bank would get: Globex's payment that goes out first becomes *sent*."""
    from remit.ach.export import AchError, ach_export
    from remit.payments.models import Payment, PaymentStatus

    first = Payment.objects.filter(biller=acme, status=PaymentStatus.SCHEDULED, method="ach").order_by("pay_on").first()
    if first is None:
        return []
    try:
        result = ach_export(biller=acme, effective_date=first.pay_on)
    except AchError:  # its date is not one a file can have any more (the demo data is old)
        return []
    if result.file is None:
        return []
    return [f"the ACH file {result.file.filename} ({result.payments} payment(s) sent to the bank)"]


def _demo_autopay(acme: Biller, owner: User | None) -> list[str]:
    """Globex turned Auto Pay on (maximum $5,000, 2 banking days before the due date); its open
    invoices are scheduled, and a new $7,850 invoice is above the maximum, so the notice shows."""
    from remit.autopay.models import AutoPay
    from remit.autopay.notices import autopay_send_notices
    from remit.autopay.settings import autopay_save

    globex = Customer.objects.filter(biller=acme, reference="GLOBEX").first()
    admin = User.objects.filter(biller=acme, email=GLOBEX_ADMIN).first()
    account = globex.bank_accounts.first() if globex else None
    if globex is None or admin is None or account is None or AutoPay.objects.filter(customer=globex).exists():
        return []
    autopay_save(
        customer=globex, actor=admin, enabled=True, max_cents=500000, bank_account_id=account.pk, days=2, when="before"
    )
    invoice_create(
        biller=acme,
        actor=owner,
        draft=InvoiceDraft(
            customer=globex,
            issue_date=timezone.localdate(),
            terms="net_30",
            lines=[Line("Warehouse racking system", Decimal("1"), 785000)],
            memo="Installed December 2026.",
        ),
    )
    autopay_send_notices()
    return ["Auto Pay for Globex (maximum $5,000.00, 2 business days before the due date) and its payments"]


def _demo_payments(acme: Biller) -> list[str]:
    """Globex's shared checking account, a scheduled payment, and a payment it cancelled, so the
    console shows payments in every status that exists so far (settled ones are the checks above)."""
    globex = Customer.objects.filter(biller=acme, reference="GLOBEX").first()
    admin = User.objects.filter(biller=acme, email=GLOBEX_ADMIN).first()
    if globex is None or admin is None or globex.bank_accounts.exists():
        return []
    membership = admin.customer_membership
    account = bank_account_add(
        membership=membership,
        holder_name="Globex Corporation",
        routing_number="011000015",
        account_number="000123456789",
        account_number_confirm="000123456789",
        account_type="checking",
        is_private=False,
        accepted_terms=True,
        ip_address="127.0.0.1",
        user_agent="Remit demo data",
    )
    if account.debits_from is None:
        _verify_as_before(account, admin)
    bills = [i for i in globex.invoices.order_by("due_date") if i.available_cents > 0]
    pay_on = earliest_pay_on(timezone.now().astimezone(ZoneInfo(acme.time_zone)), acme.ach_cutoff_time)
    oldest, newest = bills[0], bills[-1]
    payment_schedule(
        payer=admin,
        invoice_ids=[oldest.pk],
        bank_account_id=account.pk,
        pay_on=pay_on,
        total_cents=oldest.available_cents,
    )
    cancelled = payment_schedule(
        payer=admin,
        invoice_ids=[newest.pk],
        bank_account_id=account.pk,
        pay_on=pay_on,
        total_cents=newest.available_cents // 2,
    )
    payment_cancel(payment=cancelled, actor=admin, reason="Paid by check instead")
    return [f"Globex's shared checking account {account.masked_number}, a scheduled payment and a cancelled one"]


def _demo_portal_logins(acme: Biller) -> list[str]:
    """Globex signed up (Business) and invited its controller; Initech has no login yet, so its
    emailed link shows the sign-up page."""
    globex = Customer.objects.filter(biller=acme, reference="GLOBEX").first()
    if globex is None or globex.memberships.exists():
        return []
    admin = access.portal_sign_up(
        customer=globex, email=GLOBEX_ADMIN, password=DEMO_PASSWORD, confirm=DEMO_PASSWORD, account_type="business"
    )
    issued = access.colleague_invite(
        customer=globex,
        actor=admin,
        email=GLOBEX_COLLEAGUE,
        role="member",
        accept_url=acme.portal_url("invitations/{token}/"),
    )
    access.colleague_accept(biller_id=acme.pk, token=issued.token, password=DEMO_PASSWORD, confirm=DEMO_PASSWORD)
    return [f"portal logins {GLOBEX_ADMIN} (admin) and {GLOBEX_COLLEAGUE} (member) for Globex Corporation"]
