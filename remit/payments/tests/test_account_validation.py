"""The rules of account validation (``payments.validation``): the biller's choice, how each new account
starts, the micro-entry amounts the customer types (attempts, lock, expiry, exact refusals) and
payments scheduled before the account may be debited."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from remit.customers.models import CustomerMembership
from remit.lib.errors import NotPermitted
from remit.payments.actions import payment_schedule
from remit.payments.models import AccountValidation, BankAccount, ValidationChoice, ValidationMethod, ValidationStatus
from remit.payments.validation import (
    AccountValidationError,
    account_state,
    current_choice,
    validation_choose,
    validation_resend,
    validation_sent,
    validation_unlock,
    validation_verify,
    validations_to_send,
)
from remit.test import make_bank_account, make_biller, make_customer, make_invoice, make_portal_user, make_staff, parts

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=NY)
TUESDAY = date(2026, 12, 8)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def jo(clock):
    """A personal customer of a biller that validates by micro-entries, with one account whose
    micro-entries went in Tuesday's file; the clock on Tuesday."""
    biller, owner = make_biller("Acme Supply Co.", validation="micro_entries")
    customer = make_customer(biller, "Jo Smith", email="jo@example.com")
    user = make_portal_user(customer, email="jo@example.com")
    account = make_bank_account(user, number="55501234")
    validation = AccountValidation.objects.get(bank_account=account)
    with transaction.atomic():
        validation_sent([validation.pk], effective_date=TUESDAY)
    clock.move_to(datetime(2026, 12, 8, 9, 0, tzinfo=NY))
    validation.refresh_from_db()
    return {"biller": biller, "owner": owner, "customer": customer, "user": user, "account": account, "v": validation}


def verify(jo, first, second):
    membership = CustomerMembership.objects.get(user=jo["user"])
    return validation_verify(membership=membership, bank_account_id=jo["account"].pk, amount_1=first, amount_2=second)


def right(jo):
    v = jo["v"]
    return f"0.{v.amount_1_cents:02d}", f"0.{v.amount_2_cents:02d}"


def wrong(jo):
    v = jo["v"]
    return f"0.{v.amount_1_cents % 99 + 1:02d}", f"0.{v.amount_2_cents:02d}"


# --- The biller's choice ----------------------------------------------------------------------------


def test_a_biller_that_never_chose_validates_by_micro_entries():
    biller, _ = make_biller(validation="")
    assert current_choice(biller.pk) is None
    customer = make_customer(biller, "Jo Smith")
    account = make_bank_account(make_portal_user(customer))
    validation = AccountValidation.objects.get(bank_account=account)
    assert validation.method == ValidationMethod.MICRO_ENTRIES and validation.status == ValidationStatus.PENDING
    assert account.debits_from is None
    assert 1 <= (validation.amount_1_cents or 0) <= 99 and 1 <= (validation.amount_2_cents or 0) <= 99


def test_the_statement_of_another_service_is_kept_with_who_made_it_and_when_and_validates_new_accounts(clock):
    biller, owner = make_biller(validation="")
    with pytest.raises(AccountValidationError, match="statement") as refused:
        validation_choose(biller=biller, actor=owner, method="service", statement="  ")
    assert refused.value.field == "statement" and not ValidationChoice.objects.exists()
    choice = validation_choose(biller=biller, actor=owner, method="service", statement="Plaid verifies each account.")
    assert (choice.chosen_by, choice.chosen_by_email, choice.chosen_at) == (owner, owner.email, MONDAY)
    account = make_bank_account(make_portal_user(make_customer(biller, "Jo Smith")))
    validation = AccountValidation.objects.get(bank_account=account)
    assert validation.status == ValidationStatus.VALIDATED and validation.choice == choice
    assert account.debits_from == date(2026, 12, 7) and owner.email in validation.note
    assert validation.authorization == account.authorization


def test_only_an_owner_chooses_and_every_choice_stays_in_the_history():
    biller, owner = make_biller(validation="")
    staff = make_staff(biller)
    with pytest.raises(NotPermitted):
        validation_choose(biller=biller, actor=staff, method="prenote")
    validation_choose(biller=biller, actor=owner, method="prenote")
    validation_choose(biller=biller, actor=owner, method="micro_entries", offsetting_debit=True)
    assert [c.method for c in ValidationChoice.objects.filter(biller=biller)] == ["micro_entries", "prenote"]
    choice = current_choice(biller.pk)
    assert choice is not None and choice.offsetting_debit


def test_an_unknown_method_is_refused():
    biller, owner = make_biller(validation="")
    with pytest.raises(AccountValidationError, match="Choose how"):
        validation_choose(biller=biller, actor=owner, method="guess")


def test_a_new_account_number_is_a_new_account_validated_again():
    biller, owner = make_biller(validation="service")
    user = make_portal_user(make_customer(biller, "Jo Smith"))
    first = make_bank_account(user, number="55501234")
    validation_choose(biller=biller, actor=owner, method="micro_entries")
    second = make_bank_account(user, number="55509999")
    assert first.debits_from is not None and second.debits_from is None
    assert AccountValidation.objects.get(bank_account=second).status == ValidationStatus.PENDING


# --- The customer types the amounts ------------------------------------------------------------------


def test_the_right_amounts_in_either_order_verify_the_account(jo):
    first, second = right(jo)
    outcome = verify(jo, second.replace("0.", "$."), first)
    assert outcome.verified
    account = BankAccount.objects.get(pk=jo["account"].pk)
    validation = AccountValidation.objects.get(pk=jo["v"].pk)
    assert account.debits_from == date(2026, 12, 9)  # Tuesday before the cut-off: Wednesday's file
    assert (validation.status, validation.validated_by) == (ValidationStatus.VALIDATED, jo["user"])
    with pytest.raises(AccountValidationError, match="already verified"):
        verify(jo, first, second)


def test_wrong_amounts_use_an_attempt_and_the_third_locks_the_account_and_tells_the_owner(jo, run_on_commit, mailbox):
    with pytest.raises(AccountValidationError, match=r"don't match the two small deposits\. You have 2 attempts left"):
        verify(jo, *wrong(jo))
    with pytest.raises(AccountValidationError, match="You have 1 attempt left"):
        verify(jo, *wrong(jo))
    assert AccountValidation.objects.get(pk=jo["v"].pk).attempts == 2
    with run_on_commit(execute=True), pytest.raises(AccountValidationError, match="now locked after 3 wrong attempts"):
        verify(jo, *wrong(jo))
    assert AccountValidation.objects.get(pk=jo["v"].pk).status == ValidationStatus.LOCKED
    [told] = [m for m in mailbox() if "is locked" in m["Subject"]]
    assert told["To"] == jo["owner"].email and "Jo Smith" in parts(told)["text/plain"]
    with pytest.raises(AccountValidationError, match="locked after too many wrong amounts"):
        verify(jo, *right(jo))  # even the right ones, now
    assert BankAccount.objects.get(pk=jo["account"].pk).debits_from is None


@pytest.mark.parametrize(
    ("first", "second", "message", "field"),
    [
        ("", "0.05", "Enter the amount of each small deposit", "amount_1"),
        ("0.05", "1.20", "Enter an amount under \\$1.00", "amount_2"),
        ("abc", "0.05", "Enter an amount under \\$1.00", "amount_1"),
        ("0.00", "0.05", "between \\$0.01 and \\$0.99", "amount_1"),
    ],
)
def test_amounts_that_are_not_amounts_are_refused_without_using_an_attempt(jo, first, second, message, field):
    with pytest.raises(AccountValidationError, match=message) as refused:
        verify(jo, first, second)
    assert refused.value.field == field
    assert AccountValidation.objects.get(pk=jo["v"].pk).attempts == 0


def test_amounts_expire_ten_days_after_the_files_date(jo, clock):
    clock.move_to(datetime(2026, 12, 19, 9, 0, tzinfo=NY))
    with pytest.raises(AccountValidationError, match=r"expired on Dec 18, 2026\. Ask for new ones below"):
        verify(jo, *right(jo))
    assert AccountValidation.objects.get(pk=jo["v"].pk).attempts == 0


def test_amounts_cant_be_entered_before_the_deposits_are_sent(clock):
    biller, _ = make_biller(validation="micro_entries")
    user = make_portal_user(make_customer(biller, "Jo Smith"))
    account = make_bank_account(user)
    membership = CustomerMembership.objects.get(user=user)
    with pytest.raises(AccountValidationError, match="not in your account yet"):
        validation_verify(membership=membership, bank_account_id=account.pk, amount_1="0.01", amount_2="0.02")


def test_a_colleague_who_cant_see_a_private_account_cant_verify_it(jo):
    private = make_bank_account(jo["user"], private=True, number="77700001")
    colleague = make_portal_user(jo["customer"], email="pat@example.com")
    membership = CustomerMembership.objects.get(user=colleague)
    with pytest.raises(AccountValidationError, match="isn't one you can use"):
        validation_verify(membership=membership, bank_account_id=private.pk, amount_1="0.01", amount_2="0.02")


# --- Payments before the first possible debit --------------------------------------------------------


def test_a_payment_before_the_first_possible_debit_moves_there_and_the_payer_is_told(clock, run_on_commit, mailbox):
    biller, _ = make_biller("Acme Supply Co.", validation="micro_entries")
    customer = make_customer(biller, "Jo Smith", email="jo@example.com")
    user = make_portal_user(customer, email="jo@example.com")
    account = make_bank_account(user)
    state = account_state(account, biller, AccountValidation.objects.get(bank_account=account))
    assert (state.label, state.debits_from, state.can_verify) == ("Verification pending", date(2026, 12, 9), False)
    with run_on_commit(execute=True):
        payment = payment_schedule(
            payer=user,
            invoice_ids=[make_invoice(customer, amount_cents=4500).pk],
            bank_account_id=account.pk,
            pay_on=TUESDAY,
            total_cents=4500,
        )
    assert payment.pay_on == date(2026, 12, 9)
    assert payment.events.get().note.startswith("Scheduled by")
    [told] = [m for m in mailbox() if "now goes out on Dec 9, 2026" in m["Subject"]]
    assert "waits for the account's verification" in parts(told)["text/plain"]


def test_a_payment_after_the_first_possible_debit_keeps_its_date_and_no_email(clock, run_on_commit, mailbox):
    biller, _ = make_biller("Acme Supply Co.", validation="micro_entries")
    customer = make_customer(biller, "Jo Smith", email="jo@example.com")
    user = make_portal_user(customer, email="jo@example.com")
    account = make_bank_account(user)
    later = TUESDAY + timedelta(days=7)
    with run_on_commit(execute=True):
        payment = payment_schedule(
            payer=user,
            invoice_ids=[make_invoice(customer, amount_cents=4500).pk],
            bank_account_id=account.pk,
            pay_on=later,
            total_cents=4500,
        )
    assert payment.pay_on == later
    assert not [m for m in mailbox() if "now goes out on" in m["Subject"]]


def test_verifying_moves_the_waiting_payments_whose_date_passed_to_the_next_file(jo, run_on_commit, mailbox, clock):
    with run_on_commit(execute=True):
        payment = payment_schedule(
            payer=jo["user"],
            invoice_ids=[make_invoice(jo["customer"], amount_cents=4500).pk],
            bank_account_id=jo["account"].pk,
            pay_on=date(2026, 12, 9),
            total_cents=4500,
        )
    clock.move_to(datetime(2026, 12, 14, 9, 0, tzinfo=NY))  # Monday after: Wednesday passed unsent
    with run_on_commit(execute=True):
        verify(jo, *right(jo))
    payment.refresh_from_db()
    assert payment.pay_on == date(2026, 12, 15)
    assert [m for m in mailbox() if "now goes out on Dec 15, 2026" in m["Subject"]]


def test_after_expiry_the_customer_asks_for_new_deposits_and_the_attempts_start_again(jo, clock):
    with pytest.raises(AccountValidationError, match="You have 2 attempts left"):
        verify(jo, *wrong(jo))
    membership = CustomerMembership.objects.get(user=jo["user"])
    with pytest.raises(AccountValidationError, match="only once the last ones have expired"):
        validation_resend(membership=membership, bank_account_id=jo["account"].pk)
    clock.move_to(datetime(2026, 12, 19, 9, 0, tzinfo=NY))
    validation_resend(membership=membership, bank_account_id=jo["account"].pk)
    validation = AccountValidation.objects.get(pk=jo["v"].pk)
    assert (validation.attempts, validation.sent_on, validation.expires_on) == (0, None, None)
    assert validation.status == ValidationStatus.PENDING and "jo@example.com" in validation.note
    assert [v.pk for v in validations_to_send(jo["biller"].pk)] == [validation.pk]  # the next file carries them


def test_a_locked_account_gets_no_new_deposits(jo, clock):
    for _ in range(3):
        with pytest.raises(AccountValidationError):
            verify(jo, *wrong(jo))
    clock.move_to(datetime(2026, 12, 19, 9, 0, tzinfo=NY))
    membership = CustomerMembership.objects.get(user=jo["user"])
    with pytest.raises(AccountValidationError, match="only once the last ones have expired"):
        validation_resend(membership=membership, bank_account_id=jo["account"].pk)
    assert AccountValidation.objects.get(pk=jo["v"].pk).status == ValidationStatus.LOCKED


# --- An owner unlocks a locked account ---------------------------------------------------------------


def lock(jo):
    for _ in range(3):
        with pytest.raises(AccountValidationError):
            verify(jo, *wrong(jo))


def test_an_owner_unlocks_a_locked_account_and_new_deposits_go_in_the_next_file(jo):
    lock(jo)
    unlocked = validation_unlock(biller=jo["biller"], actor=jo["owner"], validation_id=jo["v"].pk)
    assert unlocked.status == ValidationStatus.PENDING and unlocked.attempts == 0
    assert unlocked.sent_on is None and unlocked.expires_on is None
    assert all(cents is not None and 1 <= cents <= 99 for cents in (unlocked.amount_1_cents, unlocked.amount_2_cents))
    assert jo["owner"].email in unlocked.note
    assert [v.pk for v in validations_to_send(jo["biller"].pk)] == [jo["v"].pk]
    jo["v"] = unlocked
    with transaction.atomic():
        validation_sent([unlocked.pk], effective_date=TUESDAY)
    assert verify(jo, *right(jo)) is not None  # the new amounts verify it
    assert AccountValidation.objects.get(pk=unlocked.pk).status == ValidationStatus.VALIDATED


def test_only_an_owner_unlocks_only_a_locked_account_of_its_own(jo):
    with pytest.raises(AccountValidationError, match="verification pending, not locked"):
        validation_unlock(biller=jo["biller"], actor=jo["owner"], validation_id=jo["v"].pk)
    lock(jo)
    with pytest.raises(NotPermitted):
        validation_unlock(biller=jo["biller"], actor=make_staff(jo["biller"]), validation_id=jo["v"].pk)
    other, other_owner = make_biller("Globex Billing")
    with pytest.raises(AccountValidationError, match="no such account verification"):
        validation_unlock(biller=other, actor=other_owner, validation_id=jo["v"].pk)
    assert AccountValidation.objects.get(pk=jo["v"].pk).status == ValidationStatus.LOCKED
