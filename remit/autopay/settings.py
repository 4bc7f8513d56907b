"""Auto Pay's settings: what the Auto Pay page saves (``autopay_save``, with every rule of the form),
and turning it off when its bank account can no longer be debited (``autopay_account_gone``, the
receiver of ``payments.hooks.bank_account_retired``). Each change is recorded (``AutoPayChange``),
followed at once by the engine, and told to the admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from remit.autopay.engine import RunReport, autopay_run
from remit.autopay.models import MAX_DAYS, AutoPay, AutoPayChange, When
from remit.autopay.notices import email_admins
from remit.customers.models import Customer, CustomerMembership
from remit.lib.bulk import IDS_PER_STATEMENT, batches
from remit.lib.errors import ActionError
from remit.payments.controls import payment_rules
from remit.payments.models import BankAccount, BankAccountStatus, Payment, PaymentStatus
from remit.payments.selectors import usable_bank_accounts
from remit.users.models import User


class AutoPayError(ActionError):
    pass


def autopay_of(customer: Customer) -> AutoPay:
    """The customer's setting, off until someone turns it on (not saved until then)."""
    return AutoPay.objects.select_related("bank_account__added_by").filter(customer=customer).first() or AutoPay(
        customer=customer
    )


def kept_account(autopay: AutoPay) -> BankAccount | None:
    """The account Auto Pay pays from now (on, and the account active). Any admin may keep it while
    changing the other settings — even a colleague's private account, which they may not choose
    (``usable_bank_accounts``) and see only as "a private account of <colleague>". Once Auto Pay is
    off, turning it on again takes an account the admin may use."""
    account = autopay.bank_account if autopay.enabled else None
    return account if account is not None and account.status == BankAccountStatus.ACTIVE else None


def snapshot(autopay: AutoPay) -> dict[str, Any]:
    account = autopay.bank_account
    return {
        "enabled": autopay.enabled,
        "max_cents": autopay.max_cents,
        "bank_account": account.label if account else None,
        "bank_account_id": account.pk if account else None,
        "days": autopay.days,
        "when": autopay.when,
    }


@transaction.atomic
def autopay_save(
    *,
    customer: Customer,
    actor: User,
    enabled: bool,
    max_cents: int | None,
    bank_account_id: int | None,
    days: int | None,
    when: str,
    now: datetime | None = None,
) -> tuple[AutoPay, RunReport]:
    """Save the Auto Pay page's form (help article, "Set up Auto Pay", steps 3–7). Only an admin of
    the customer account may; the account must be one the admin may use. The change is recorded and
    confirmed by email, and the engine follows at once: payments are scheduled, re-planned, or
    (turned off) withdrawn."""
    membership = CustomerMembership.objects.filter(customer=customer, user=actor).first()
    if membership is None or not membership.is_admin:
        raise AutoPayError(f"Only an admin of {customer.name}'s account can change Auto Pay.")
    if enabled and not (rules := payment_rules(customer)).allow_autopay:
        raise AutoPayError(rules.autopay_off_message)
    current = AutoPay.objects.select_for_update().filter(customer=customer).first() or AutoPay(customer=customer)
    before = snapshot(current) if current.pk else snapshot(AutoPay(customer=customer))
    account = _check(
        membership,
        kept=kept_account(current),
        enabled=enabled,
        max_cents=max_cents,
        bank_account_id=bank_account_id,
        days=days,
    )
    if when not in When.values:
        raise AutoPayError("Choose before or after the due date.", field="when")
    current.enabled = enabled
    if max_cents is not None:
        current.max_cents = max_cents
    if account is not None:
        current.bank_account = account
    if days is not None:
        current.days = days
    current.when = when
    after = snapshot(current)
    if after == before:
        return current, RunReport()
    current.version += 1
    current.updated_by, current.updated_at = actor, timezone.now()
    current.save()
    AutoPayChange.objects.create(customer=customer, actor=actor, actor_email=actor.email, before=before, after=after)
    report = autopay_run(customer_ids=[customer.pk], now=now)
    email_admins(
        customer,
        "autopay_changed",
        {"autopay": current, "actor": actor, "before": before, "report": report},
        accounts=[current.bank_account],
    )
    return current, report


def _check(
    membership: CustomerMembership,
    *,
    kept: BankAccount | None,
    enabled: bool,
    max_cents: int | None,
    bank_account_id: int | None,
    days: int | None,
) -> BankAccount | None:
    if max_cents is not None and max_cents <= 0:
        raise AutoPayError("The Maximum Payment Amount must be more than $0.00.", field="max_amount")
    if enabled and max_cents is None:
        raise AutoPayError("Enter the Maximum Payment Amount Auto Pay may pay on one invoice.", field="max_amount")
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise AutoPayError(f"Enter a number of business days from 0 to {MAX_DAYS}.", field="days")
    if enabled and days is None:
        raise AutoPayError("Enter the number of business days before or after the due date.", field="days")
    if kept is not None and bank_account_id in (None, kept.pk):
        return kept  # unchanged: never switched behind the admin's back
    usable = list(usable_bank_accounts(membership))
    if bank_account_id is None:
        if enabled and len(usable) == 1:
            return usable[0]
        if enabled and not usable:
            raise AutoPayError("Add a bank account first; Auto Pay pays from it.", field="bank_account")
        if enabled:
            raise AutoPayError("Select the Bank Account to pay from.", field="bank_account")
        return None
    account = next((a for a in usable if a.pk == bank_account_id), None)
    if account is None:
        raise AutoPayError("Select a bank account you may pay from.", field="bank_account")
    return account


def autopay_account_gone(bank_account: BankAccount, actor: User | None, reason: str) -> bool:
    """The receiver of ``payments.hooks.bank_account_retired``: Auto Pay's bank account was removed,
    blocked, or its owner lost access. Auto Pay turns off, its scheduled payments are withdrawn, and
    the admins are told, in the caller's transaction. Returns whether it was on."""
    autopay = AutoPay.objects.select_for_update().filter(bank_account=bank_account, enabled=True).first()
    if autopay is None:
        return False
    before = snapshot(autopay)
    autopay.enabled, autopay.version = False, autopay.version + 1
    autopay.updated_at = timezone.now()
    autopay.save()
    AutoPayChange.objects.create(
        customer_id=autopay.customer_id,
        actor=actor,
        actor_email=actor.email if actor else "",
        reason=reason,
        before=before,
        after=snapshot(autopay),
    )
    report = autopay_run(customer_ids=[autopay.customer_id])
    customer = Customer.objects.select_related("biller").get(pk=autopay.customer_id)
    email_admins(
        customer,
        "autopay_turned_off",
        {"autopay": autopay, "reason": reason, "account": bank_account, "report": report},
        accounts=[bank_account],
    )
    return True


def autopay_disallowed_tell(customer_ids: list[int], cancelled_payment_ids: list[int]) -> int:
    """The receiver of ``payments.hooks.autopay_disallowed``: the biller no longer offers Auto Pay to
    these customers. Their settings are kept (the engine skips them while Auto Pay is not allowed, and
    follows them again if it is); the admins of those whose Auto Pay was on are emailed, in the
    caller's transaction, with what became of the payments already scheduled."""
    told = 0
    on: list[int] = []
    for chunk in batches(customer_ids, IDS_PER_STATEMENT):
        on += AutoPay.objects.filter(customer_id__in=chunk, enabled=True).values_list("customer_id", flat=True)
    cancelled: dict[int, int] = {}
    for chunk in batches(cancelled_payment_ids, IDS_PER_STATEMENT):
        for customer_id in Payment.objects.filter(pk__in=chunk, is_autopay=True).values_list("customer_id", flat=True):
            cancelled[customer_id] = cancelled.get(customer_id, 0) + 1
    for customer_id in sorted(on):
        customer = Customer.objects.select_related("biller").get(pk=customer_id)
        kept = Payment.objects.filter(customer=customer, is_autopay=True, status=PaymentStatus.SCHEDULED).count()
        email_admins(
            customer,
            "autopay_disallowed",
            {"cancelled": cancelled.get(customer_id, 0), "kept": kept, "portal_url": customer.biller.portal_url("")},
        )
        told += 1
    return told
