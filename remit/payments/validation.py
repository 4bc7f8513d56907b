"""Account validation on first use (NACHA's WEB debit rule: an account is validated before its first
debit, and again after any change of its number — in Remit a changed number is a new account).

The biller chooses how (``validation_choose``, owner only; every choice is a ``ValidationChoice``
row, the newest in force):

- **micro-entries**: two credits under $1.00 (and, if the biller wants, a debit of their sum) go in
  the biller's next file (``ach.export``); the customer types the two amounts in the portal
  (``validation_verify``), within ``ATTEMPTS`` tries and ``EXPIRES_AFTER_DAYS`` days of the file's
  effective date; after that many wrong tries the account is locked and the biller's owners told;
- **prenote**: a zero-amount entry in the next file; live debits from the third banking day after
  its settlement (``validation_sent``); a return on it blocks the account (``validation_returned``);
- **validated by the bank or another service**: the biller's statement, with who made it and when;
  the account is validated when it is added.

A biller that never chose uses micro-entries: nothing is debited unvalidated by default. Billers
that existed before validation came to Remit were recorded as "another service" by the migration
(their accounts had been debited already; the owner should confirm or choose another method).

The gate is one column, ``BankAccount.debits_from``: the ACH export sends a payment only when its
account's date is on or before the file's effective date. Payments from an account not yet validated
can be scheduled; a Pay On date before the earliest possible debit moves to it, and the payer is
emailed (at scheduling, and again when validation sets the date).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.billers.selectors import owner_emails
from remit.customers.models import CustomerMembership
from remit.ledger.scheduling import payment_adjust
from remit.lib.banking_days import add_banking_days, next_banking_day
from remit.lib.errors import ActionError
from remit.lib.transactions import require_transaction
from remit.notifications.actions import email_send
from remit.payments.dates import earliest_pay_on
from remit.payments.disclosure import email_people, payment_people
from remit.payments.models import (
    AccountValidation,
    AchAuthorization,
    BankAccount,
    BankAccountStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ValidationChoice,
    ValidationMethod,
    ValidationStatus,
)
from remit.payments.selectors import usable_bank_accounts
from remit.users.models import User

ATTEMPTS = 3  # wrong micro-entry amounts before the account is locked
EXPIRES_AFTER_DAYS = 10  # micro-entries can be entered until this many days after the file's date
PRENOTE_WAIT_BANKING_DAYS = 3  # live debits from the third banking day after the prenote settles
STATEMENT_MAX = 2000
DEFAULT_METHOD = ValidationMethod.MICRO_ENTRIES


class AccountValidationError(ActionError):
    """A refusal about account validation, in words for the person."""


# --- The biller's choice ----------------------------------------------------------------------------


def current_choice(biller_id: int) -> ValidationChoice | None:
    """The biller's choice in force; None: it never chose, and micro-entries apply."""
    return ValidationChoice.objects.filter(biller_id=biller_id).order_by("-chosen_at", "-pk").first()


@transaction.atomic
def validation_choose(
    *, biller: Biller, actor: User, method: str, offsetting_debit: bool = False, statement: str = ""
) -> ValidationChoice:
    """Record the owner's choice of validation method for accounts added from now on."""
    require_owner(biller, actor)
    if method not in ValidationMethod.values:
        raise AccountValidationError("Choose how accounts are validated.", field="method")
    text = statement.strip()
    if method == ValidationMethod.SERVICE:
        if not text:
            raise AccountValidationError(
                "Say how your bank or service validates each account: this statement is kept as your record.",
                field="statement",
            )
        if len(text) > STATEMENT_MAX:
            raise AccountValidationError(f"The statement can be at most {STATEMENT_MAX} characters.", field="statement")
    else:
        text = ""
    return ValidationChoice.objects.create(
        biller=biller,
        method=method,
        offsetting_debit=offsetting_debit and method == ValidationMethod.MICRO_ENTRIES,
        statement=text,
        chosen_by=actor,
        chosen_by_email=actor.email,
    )


# --- Starting: when an account is added -------------------------------------------------------------


def validation_start(account: BankAccount, authorization: AchAuthorization) -> AccountValidation:
    """Start validating a new account by the biller's method; in the transaction that adds it."""
    require_transaction("Starting an account's validation")
    choice = current_choice(account.customer.biller_id)
    method = choice.method if choice is not None else DEFAULT_METHOD
    validation = AccountValidation(
        authorization=authorization,
        bank_account=account,
        choice=choice,
        method=method,
        offsetting_debit=bool(choice and choice.offsetting_debit),
    )
    if method == ValidationMethod.MICRO_ENTRIES:
        validation.amount_1_cents = 1 + secrets.randbelow(99)
        validation.amount_2_cents = 1 + secrets.randbelow(99)
    elif method == ValidationMethod.SERVICE:
        assert choice is not None
        who = choice.chosen_by_email or "Remit's migration"
        validation.status = ValidationStatus.VALIDATED
        validation.validated_at = timezone.now()
        stated = timezone.localtime(choice.chosen_at)
        validation.note = f"Validated by the bank or another service: statement of {stated:%Y-%m-%d} by {who}"
        _open_debits(account, timezone.localdate())
    validation.save()
    return validation


# --- When the first debit can go ----------------------------------------------------------------------


def first_debit_on(account: BankAccount, biller: Biller, now: datetime | None = None) -> date:
    """The earliest effective date a live debit from ``account`` can have, as things stand: its
    ``debits_from`` once validated; before that, what the method will need (an estimate for
    micro-entries, which wait for the customer)."""
    now_local = biller.local_now(now)
    soonest = earliest_pay_on(now_local, biller.ach_cutoff_time)
    if account.debits_from is not None:
        return max(account.debits_from, soonest)
    validation = AccountValidation.objects.filter(bank_account=account).first()
    if validation is None or validation.method == ValidationMethod.SERVICE:
        return soonest
    file_on = validation.sent_on or soonest  # the effective date of the file with its entries
    if validation.method == ValidationMethod.PRENOTE:
        return max(add_banking_days(file_on, PRENOTE_WAIT_BANKING_DAYS), soonest)
    # Micro-entries: the customer can read them on the file's date; the next file is the day after.
    return max(next_banking_day(file_on), soonest)


@dataclass(frozen=True)
class AccountState:
    """What the portal shows of an account's validation."""

    status: str
    label: str
    debits_from: date | None  # when validated; else the earliest expected
    can_verify: bool  # micro-entries sent, not expired, not locked: the customer may type them


def account_state(account: BankAccount, biller: Biller, validation: AccountValidation | None) -> AccountState:
    today = biller.local_now().date()
    # A prenote's account waits for its third banking day; any other validated one is verified.
    waits = validation is not None and validation.method == ValidationMethod.PRENOTE
    if account.debits_from is not None and (account.debits_from <= today or not waits):
        return AccountState(ValidationStatus.VALIDATED, "Verified", account.debits_from, False)
    if validation is not None and validation.status in (ValidationStatus.FAILED, ValidationStatus.LOCKED):
        return AccountState(validation.status, ValidationStatus(validation.status).label, None, False)
    can_verify = bool(
        validation is not None
        and validation.method == ValidationMethod.MICRO_ENTRIES
        and validation.status == ValidationStatus.PENDING
        and validation.sent_on is not None
        and validation.sent_on <= today
    )
    return AccountState(ValidationStatus.PENDING, "Verification pending", first_debit_on(account, biller), can_verify)


# --- Sent: the export wrote the entries --------------------------------------------------------------


def validations_to_send(biller_id: int) -> list[AccountValidation]:
    """Micro-entries and prenotes of the biller's active accounts that no file carried yet."""
    return list(
        AccountValidation.objects.select_related("bank_account", "bank_account__customer")
        .filter(
            bank_account__customer__biller_id=biller_id,
            bank_account__status=BankAccountStatus.ACTIVE,
            method__in=[ValidationMethod.MICRO_ENTRIES, ValidationMethod.PRENOTE],
            status=ValidationStatus.PENDING,
            sent_on__isnull=True,
        )
        .order_by("pk")
    )


def validation_sent(validation_ids: list[int], *, effective_date: date) -> None:
    """The export put these validations' entries in the file of ``effective_date`` (in its
    transaction): micro-entries can be entered until they expire; a prenote's account may be
    debited from the third banking day after, unless the bank returns it first."""
    require_transaction("Recording validation entries as sent")
    expires = effective_date + timedelta(days=EXPIRES_AFTER_DAYS)
    AccountValidation.objects.filter(pk__in=validation_ids, method=ValidationMethod.MICRO_ENTRIES).update(
        sent_on=effective_date, expires_on=expires
    )
    prenotes = AccountValidation.objects.select_related("bank_account__customer__biller").filter(
        pk__in=validation_ids, method=ValidationMethod.PRENOTE
    )
    debits_from = add_banking_days(effective_date, PRENOTE_WAIT_BANKING_DAYS)
    for validation in prenotes:
        validation.sent_on = effective_date
        note = (
            f"Prenote sent in the file of {effective_date:%Y-%m-%d}: debits from {debits_from:%Y-%m-%d} unless returned"
        )
        _validated(validation, debits_from=debits_from, actor=None, note=note)


def _validated(validation: AccountValidation, *, debits_from: date, actor: User | None, note: str) -> None:
    """The account may be debited from ``debits_from``: scheduled payments before it move there."""
    validation.status = ValidationStatus.VALIDATED
    validation.validated_at = timezone.now()
    validation.validated_by = actor
    validation.note = note
    validation.save()
    account = validation.bank_account
    _open_debits(account, debits_from)
    move_to_first_debit(account, debits_from)


def _open_debits(account: BankAccount, day: date) -> None:
    """The gate the export reads: payments from ``account`` may go from ``day``."""
    BankAccount.objects.filter(pk=account.pk).update(debits_from=day)
    account.debits_from = day


def move_to_first_debit(account: BankAccount, day: date) -> list[int]:
    """Scheduled payments from ``account`` dated before ``day`` move to it; each payer is emailed."""
    early = list(
        Payment.objects.filter(
            bank_account=account, method=PaymentMethod.ACH, status=PaymentStatus.SCHEDULED, pay_on__lt=day
        ).values_list("pk", flat=True)
    )
    for payment_id in early:
        payment_adjust(
            payment=Payment(pk=payment_id), actor=None, note="Waiting for the account's verification", pay_on=day
        )
    tell_waits_for_verification(early)
    return early


def tell_waits_for_verification(payment_ids: list[int]) -> None:
    """Each payer (and the customer's admins) learns the payment's new Pay On date and why."""
    payments = Payment.objects.select_related("customer__biller", "bank_account", "created_by").filter(
        pk__in=payment_ids
    )
    for payment in payments:
        biller = payment.customer.biller
        email_people(
            people=payment_people(payment),
            accounts=[payment.bank_account],
            template="payment_waits_verification",
            biller=biller,
            context={
                "payment": payment,
                "customer": payment.customer,
                "account": payment.bank_account,
                "payments_url": biller.portal_url(f"payments/{payment.pk}/"),
            },
        )


# --- The customer types the micro-entry amounts ------------------------------------------------------


def _refusal(validation: AccountValidation, today: date) -> str | None:
    """Why amounts can't be checked at all now (nothing is counted), or None."""
    if validation.method != ValidationMethod.MICRO_ENTRIES:
        return "This account is not verified with small deposits; there is nothing to enter."
    if validation.status == ValidationStatus.VALIDATED:
        return "This account is already verified."
    if validation.status == ValidationStatus.LOCKED:
        return "This account is locked after too many wrong amounts. Please contact the business you pay."
    if validation.status == ValidationStatus.FAILED:
        return "This account could not be verified. Remove it and add it again, or add another account."
    if validation.sent_on is None or validation.sent_on > today:
        return "The two small deposits are not in your account yet. Check again after they arrive."
    assert validation.expires_on is not None
    if today > validation.expires_on:
        return f"The small deposits expired on {validation.expires_on:%b %-d, %Y}. Ask for new ones below."
    return None


def parse_cents(text: str, field: str) -> int:
    """An amount under $1.00 as typed: "0.07", ".07", "$0.07" or "7" (cents)."""
    cleaned = text.strip().lstrip("$").strip()
    if not cleaned:
        raise AccountValidationError("Enter the amount of each small deposit, e.g. 0.07.", field=field)
    try:
        if "." in cleaned:
            dollars, _, cents = cleaned.partition(".")
            if dollars not in ("", "0") or not (cents.isdigit() and len(cents) <= 2):
                raise ValueError
            value = int(cents.ljust(2, "0"))
        else:
            value = int(cleaned)
    except ValueError:
        raise AccountValidationError("Enter an amount under $1.00, such as 0.07.", field=field) from None
    if not 1 <= value <= 99:
        raise AccountValidationError("Each small deposit is between $0.01 and $0.99.", field=field)
    return value


@dataclass(frozen=True)
class Outcome:
    verified: bool
    message: str
    left: int  # attempts left


def validation_verify(
    *, membership: CustomerMembership, bank_account_id: int, amount_1: str, amount_2: str, now: datetime | None = None
) -> Outcome:
    """Check the two amounts the customer read on their statement. Right: the account is verified
    and its waiting payments move to the first possible date. Wrong: one attempt is used (kept even
    though the refusal is raised) and nothing else changes; the last one locks the account and tells
    the biller's owners. Raises ``AccountValidationError`` for every refusal."""
    first = parse_cents(amount_1, "amount_1")
    second = parse_cents(amount_2, "amount_2")
    with transaction.atomic():
        account = usable_bank_accounts(membership).filter(pk=bank_account_id).first()
        if account is None:
            raise AccountValidationError("This bank account isn't one you can use.")
        validation = AccountValidation.objects.select_for_update().filter(bank_account=account).first()
        if validation is None:
            raise AccountValidationError("This account needs no verification.")
        validation.bank_account = account
        biller = membership.customer.biller
        now_local = biller.local_now(now)
        refusal = _refusal(validation, now_local.date())
        if refusal:
            raise AccountValidationError(refusal)
        expected = sorted([validation.amount_1_cents or 0, validation.amount_2_cents or 0])
        if sorted([first, second]) == expected:
            day = earliest_pay_on(now_local, biller.ach_cutoff_time)
            _validated(validation, debits_from=day, actor=membership.user, note="Micro-entry amounts confirmed")
            return Outcome(True, f"{account.label} is verified. Payments from it can go from {day:%b %-d, %Y}.", 0)
        validation.attempts += 1
        left = ATTEMPTS - validation.attempts
        if left <= 0:
            validation.status = ValidationStatus.LOCKED
            validation.note = f"Locked after {ATTEMPTS} wrong attempts"
        validation.save(update_fields=["attempts", "status", "note"])
        if left <= 0:
            _tell_owners_locked(validation, membership)
    if left <= 0:
        raise AccountValidationError(
            f"Those amounts don't match. {account.label} is now locked after {ATTEMPTS} wrong attempts; "
            f"{biller.name} has been told and will contact you."
        )
    tries = "1 attempt" if left == 1 else f"{left} attempts"
    raise AccountValidationError(f"Those amounts don't match the two small deposits. You have {tries} left.")


@transaction.atomic
def validation_resend(*, membership: CustomerMembership, bank_account_id: int, now: datetime | None = None) -> None:
    """Micro-entries that expired unconfirmed: two new amounts go in the biller's next file, and the
    attempts start again. Refused for any other state (a locked account stays locked)."""
    account = usable_bank_accounts(membership).filter(pk=bank_account_id).first()
    if account is None:
        raise AccountValidationError("This bank account isn't one you can use.")
    validation = AccountValidation.objects.select_for_update().filter(bank_account=account).first()
    today = membership.customer.biller.local_now(now).date()
    expired = (
        validation is not None
        and validation.method == ValidationMethod.MICRO_ENTRIES
        and validation.status == ValidationStatus.PENDING
        and validation.expires_on is not None
        and today > validation.expires_on
    )
    if not expired or validation is None:
        raise AccountValidationError("New small deposits can be sent only once the last ones have expired.")
    validation.amount_1_cents = 1 + secrets.randbelow(99)
    validation.amount_2_cents = 1 + secrets.randbelow(99)
    validation.attempts = 0
    validation.sent_on = validation.expires_on = None
    validation.note = f"New small deposits asked for by {membership.user.email} after the last ones expired"
    validation.save()


@transaction.atomic
def validation_unlock(*, biller: Biller, actor: User, validation_id: int) -> AccountValidation:
    """An owner lets the customer try again after three wrong amounts locked the account: two new
    small deposits go in the biller's next file and the attempts start again. The first ones' amounts
    are gone (the customer may have told them to someone else), so the old file proves nothing now."""
    require_owner(biller, actor, message="Only an owner can unlock an account's verification.")
    validation = (
        AccountValidation.objects.select_for_update()
        .select_related("bank_account")
        .filter(pk=validation_id, bank_account__customer__biller=biller)
        .first()
    )
    if validation is None:
        raise AccountValidationError("There is no such account verification at this business.")
    if validation.status != ValidationStatus.LOCKED:
        raise AccountValidationError(
            f"This account's verification is {validation.get_status_display().lower()}, not locked: nothing to unlock."
        )
    if validation.bank_account.status != BankAccountStatus.ACTIVE:
        raise AccountValidationError("This bank account was removed or blocked: it can't be verified any more.")
    validation.status = ValidationStatus.PENDING
    validation.amount_1_cents = 1 + secrets.randbelow(99)
    validation.amount_2_cents = 1 + secrets.randbelow(99)
    validation.attempts = 0
    validation.sent_on = validation.expires_on = None
    validation.note = (
        f"Unlocked by {actor.email} on {timezone.localdate():%Y-%m-%d}: new small deposits go in the next file"
    )
    validation.save()
    return validation


def _tell_owners_locked(validation: AccountValidation, membership: CustomerMembership) -> None:
    biller = membership.customer.biller
    email_send(
        to=owner_emails(biller.pk),
        template="account_validation_locked",
        biller=biller,
        context={
            "customer": membership.customer,
            "account": validation.bank_account,
            "attempts": ATTEMPTS,
            "person": membership.user,
        },
    )
