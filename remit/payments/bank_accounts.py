"""Bank accounts customers pay from (help article, steps 6–7): the rules for the numbers, adding an
account with its ACH authorization, and removing one.

An account number is plain only in the request that types it: it is encrypted before anything is
written (``remit.lib.crypto``), never logged, never put in a message, and shown only masked. The
functions that hold it in a local variable are marked ``sensitive_variables`` so that Django's error
reports leave it out.

The history is the rows themselves, which are never deleted: the ``AchAuthorization`` records who
accepted which terms, when and from where; removal sets ``removed_at``/``removed_by`` on the account
and ``ended_at`` on the authorization; every payment cancelled on the way gets its ``PaymentEvent``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from stdnum.us import rtn

from remit.customers.models import AccountType, Customer, CustomerMembership
from remit.ledger.errors import PaymentError
from remit.ledger.scheduling import payment_cancel
from remit.lib import crypto
from remit.lib.errors import ActionError
from remit.lib.transactions import require_transaction
from remit.payments.hooks import bank_account_retired
from remit.payments.models import (
    AchAuthorization,
    BankAccount,
    BankAccountStatus,
    BankAccountType,
    Payment,
    PaymentStatus,
)
from remit.payments.selectors import usable_bank_accounts, visible_bank_accounts
from remit.payments.terms import TERMS_VERSION, terms_sha256, terms_text
from remit.payments.validation import validation_start
from remit.users.models import User

SHARED = "shared"
HOLDER_NAME_MAX = 100
USER_AGENT_MAX = 500


class BankAccountError(ActionError):
    """A problem the person can fix, with the form field it concerns ("" for the whole form)."""


# --- The rules for what is typed ------------------------------------------------------------------


def check_routing_number(text: str) -> str:
    """The 9-digit ABA routing number, with its check digit right."""
    routing = text.replace(" ", "")
    if not routing:
        raise BankAccountError(
            "Enter the routing number: the 9 digits at the bottom left of a check.", field="routing_number"
        )
    if not (routing.isascii() and routing.isdigit()) or len(routing) != 9:
        raise BankAccountError(
            "A routing number is exactly 9 digits. Check the number at the bottom left of a check.",
            field="routing_number",
        )
    # stdnum accepts 000000000 (its check digit works out), but no bank has it.
    if routing == "000000000" or not rtn.is_valid(routing):
        raise BankAccountError(
            "This routing number doesn't exist. Check the 9 digits at the bottom left of a check, or ask your bank.",
            field="routing_number",
        )
    return routing


@sensitive_variables("number", "confirm", "digits", "repeated")
def check_account_number(number: str, confirm: str) -> str:
    """The account number as digits (spaces and hyphens dropped), typed the same way twice."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits:
        raise BankAccountError("Enter the account number.", field="account_number")
    if not (digits.isascii() and digits.isdigit()):
        raise BankAccountError("An account number can only contain digits.", field="account_number")
    if not 4 <= len(digits) <= 17:
        raise BankAccountError(
            "An account number has 4 to 17 digits. Check the number on a check or a bank statement.",
            field="account_number",
        )
    repeated = confirm.replace(" ", "").replace("-", "")
    if not repeated:
        raise BankAccountError("Type the account number again to confirm it.", field="account_number_confirm")
    if repeated != digits:
        raise BankAccountError(
            "The two account numbers are not the same. Type them again.", field="account_number_confirm"
        )
    return digits


def check_holder_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise BankAccountError("Enter the name on the account.", field="holder_name")
    if len(name) > HOLDER_NAME_MAX:
        raise BankAccountError(
            f"The name on the account can be at most {HOLDER_NAME_MAX} characters.", field="holder_name"
        )
    return name


def check_account_type(value: str) -> str:
    if value not in BankAccountType.values:
        raise BankAccountError("Choose the account type: Checking or Savings.", field="account_type")
    return value


def check_terms_accepted(accepted: bool) -> None:
    if not accepted:
        raise BankAccountError("Accept the Terms of Service to save the account.", field="accept_terms")


# --- The terms for a customer ---------------------------------------------------------------------


def terms_for(customer: Customer) -> str:
    """The Terms of Service this customer accepts; their portal account type must be set."""
    if customer.account_type not in AccountType.values:
        raise BankAccountError(
            f"Your portal account has no account type (Personal or Business) yet, so a bank account can't be "
            f"added. Please contact {customer.biller.name}."
        )
    return terms_text(biller_name=customer.biller.name, customer_name=customer.name, account_type=customer.account_type)


# --- Adding ---------------------------------------------------------------------------------------


def account_lookup_hash(*, routing_number: str, account_number: str) -> str:
    """The same account (routing and account number together) always hashes the same way."""
    return crypto.lookup_hash(account_number, purpose=f"bank-account:{routing_number}")


# "plain" is the name crypto.lookup_hash and crypto.encrypt give the number below this frame.
@sensitive_variables("account_number", "account_number_confirm", "number", "plain")
@transaction.atomic
def bank_account_add(
    *,
    membership: CustomerMembership,
    holder_name: str,
    routing_number: str,
    account_number: str,
    account_number_confirm: str,
    account_type: str,
    is_private: bool,
    accepted_terms: bool,
    ip_address: str | None,
    user_agent: str,
    terms_sha256_shown: str = "",
) -> BankAccount:
    """Save a bank account for the person's customer account, with their ACH authorization.

    Members and admins alike may add one ("colleagues that are given access to use the same portal
    to make payments"). ``terms_sha256_shown`` is the hash of the text the page showed: if the terms
    changed meanwhile (a new version, the biller renamed), the person must read them again, so the
    text kept is always the text they saw.
    """
    customer = membership.customer
    terms = terms_for(customer)
    holder = check_holder_name(holder_name)
    routing = check_routing_number(routing_number)
    number = check_account_number(account_number, account_number_confirm)
    kind = check_account_type(account_type)
    check_terms_accepted(accepted_terms)
    if terms_sha256_shown and terms_sha256_shown != terms_sha256(terms):
        raise BankAccountError(
            "The Terms of Service changed while this page was open. Read them again and accept them to save the "
            "account.",
            field="accept_terms",
        )
    fingerprint = account_lookup_hash(routing_number=routing, account_number=number)
    # A colleague's private account is not "seen", so saving the same number again is allowed.
    if usable_bank_accounts(membership).filter(lookup_hash=fingerprint).exists():
        raise BankAccountError("This bank account is already saved.", field="account_number")
    account = _create_account(
        membership=membership,
        holder=holder,
        routing=routing,
        number=number,
        kind=kind,
        is_private=is_private,
        fingerprint=fingerprint,
    )
    authorization = _authorize(
        account, membership=membership, terms=terms, ip_address=ip_address, user_agent=user_agent
    )
    validation_start(account, authorization)  # by the biller's method: NACHA's first-use validation
    return account


@sensitive_variables("number", "plain")
def _create_account(
    *,
    membership: CustomerMembership,
    holder: str,
    routing: str,
    number: str,
    kind: str,
    is_private: bool,
    fingerprint: str,
) -> BankAccount:
    account = BankAccount(
        customer_id=membership.customer_id,
        added_by_id=membership.user_id,
        holder_name=holder,
        routing_number=routing,
        account_type=kind,
        account_number_encrypted=crypto.encrypt(number),
        account_last4=number[-4:],
        lookup_hash=fingerprint,
        is_private=is_private,
        visibility_key=f"user:{membership.user_id}" if is_private else SHARED,
    )
    try:
        # The database has the last word: two saves of the same account at the same moment.
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise BankAccountError("This bank account is already saved.", field="account_number") from None
    return account


def _authorize(
    account: BankAccount, *, membership: CustomerMembership, terms: str, ip_address: str | None, user_agent: str
) -> AchAuthorization:
    customer = membership.customer
    return AchAuthorization.objects.create(
        bank_account=account,
        customer=customer,
        accepted_by_id=membership.user_id,
        accepted_by_email=membership.user.email,
        customer_account_type=customer.account_type,
        account_masked=crypto.mask(account.account_last4),
        routing_number=account.routing_number,
        holder_name=account.holder_name,
        terms_version=TERMS_VERSION,
        terms_sha256=terms_sha256(terms),
        terms_text=terms,
        accepted_at=account.created_at,
        ip_address=_valid_ip(ip_address),
        user_agent=user_agent[:USER_AGENT_MAX],
    )


def _valid_ip(text: str | None) -> str | None:
    """PostgreSQL's inet column refuses anything else; a missing address is better than no record."""
    try:
        return str(ipaddress.ip_address(text or ""))
    except ValueError:
        return None


# --- Removing -------------------------------------------------------------------------------------


def can_remove(membership: CustomerMembership, account: BankAccount) -> bool:
    """A private account: only its owner. A shared one: the person who added it, or an admin."""
    if account.customer_id != membership.customer_id:
        return False
    if account.added_by_id == membership.user_id:
        return True
    return not account.is_private and membership.is_admin


def scheduled_payments_using(bank_account: BankAccount) -> QuerySet[Payment]:
    """The payments that removing this account would cancel: scheduled, not yet sent to the bank."""
    return (
        Payment.objects.filter(bank_account=bank_account, status=PaymentStatus.SCHEDULED)
        .prefetch_related("allocations__invoice")
        .order_by("pay_on", "pk")
    )


@transaction.atomic
def bank_account_remove(*, membership: CustomerMembership, bank_account: BankAccount, actor: User) -> list[Payment]:
    """Stop paying from an account: its scheduled payments are cancelled and its authorization ends.
    Nothing is deleted. Returns the payments that were cancelled."""
    account = visible_bank_accounts(membership).select_for_update().filter(pk=bank_account.pk).first()
    if account is None:
        raise BankAccountError("This bank account isn't one you can see.")
    if account.status == BankAccountStatus.REMOVED:
        raise BankAccountError(f"{account.label} was already removed.")
    if not can_remove(membership, account):
        raise BankAccountError(
            f"Only the person who added {account.label}, or an admin of {membership.customer.name}'s account, "
            f"can remove it."
        )
    cancelled = bank_account_retire(account, actor=actor, reason=f"{actor.email} removed the bank account").cancelled
    bank_account.status, bank_account.removed_at, bank_account.removed_by = account.status, account.removed_at, actor
    return cancelled


def bank_accounts_remove_private(user: User, actor: User) -> None:
    """A colleague lost access (the ``member_left`` hook): nobody else may see or use their private
    accounts, so those are removed too (Auto Pay from one turns off and the admins are told). Runs
    in the removal's transaction."""
    accounts = list(
        BankAccount.objects.select_for_update().filter(added_by=user, is_private=True, status=BankAccountStatus.ACTIVE)
    )
    for account in accounts:
        bank_account_retire(account, actor=actor, reason=f"{user.email}, whose private account it is, lost access")


@dataclass(frozen=True)
class Retired:
    cancelled: list[Payment]  # the scheduled payments from the account, now cancelled
    autopay_was_on: bool  # Auto Pay paid from it, and is now off


def bank_account_retire(
    account: BankAccount,
    *,
    actor: User | None,
    reason: str,
    status: BankAccountStatus = BankAccountStatus.REMOVED,
    cancel_note: str = "The bank account was removed",
    strict: bool = True,
) -> Retired:
    """The one way an account stops being debited: removed by a person, or (``status`` BLOCKED) by the
    bank's return. Auto Pay from it turns off (the ``bank_account_retired`` hook), what is scheduled
    from it is cancelled, its authorization ends. Call in the caller's transaction.

    ``strict``: a payment sent to the bank a moment ago makes a person's removal fail (they reload
    and look again); a return file's block leaves it, since the bank will return it too."""
    require_transaction("Retiring a bank account")
    autopay_was_on = bank_account_retired(account, actor, reason)
    cancelled = []
    for payment in scheduled_payments_using(account):
        try:
            cancelled.append(payment_cancel(payment=payment, actor=actor, reason=cancel_note))
        except PaymentError:
            if strict:
                raise BankAccountError(
                    "A payment from this account was sent to the bank a moment ago. Reload the page and try again."
                ) from None
    now = timezone.now()
    removed = status == BankAccountStatus.REMOVED
    who = {"removed_at": now, "removed_by": actor} if removed else {}
    BankAccount.objects.filter(pk=account.pk).update(status=status, **who)
    AchAuthorization.objects.filter(bank_account=account, ended_at__isnull=True).update(ended_at=now)
    account.status = status
    for name, value in who.items():
        setattr(account, name, value)
    return Retired(cancelled=cancelled, autopay_was_on=autopay_was_on)
