"""Adding and removing bank accounts: the number rules, the Terms of Service and the ACH authorization
record, duplicates, private accounts, and what removal does to scheduled payments."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.customers import access
from remit.customers.models import Customer, CustomerMembership
from remit.invoices.models import Invoice
from remit.ledger.balances import refresh_invoice_amounts
from remit.lib import crypto
from remit.payments.bank_accounts import (
    BankAccountError,
    bank_account_add,
    bank_account_remove,
    check_account_number,
    check_routing_number,
    scheduled_payments_using,
)
from remit.payments.models import (
    AchAuthorization,
    Allocation,
    BankAccount,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from remit.payments.selectors import usable_bank_accounts
from remit.payments.terms import TERMS_VERSION, terms_sha256, terms_text
from remit.test import PASSWORD, make_biller, make_customer

pytestmark = pytest.mark.django_db


def membership(user):
    return CustomerMembership.objects.select_related("customer__biller", "user").get(user=user)


def add(user, **changes):
    values = {
        "holder_name": "Globex Corporation",
        "routing_number": "011000015",
        "account_number": "123456789",
        "account_number_confirm": "123456789",
        "account_type": "checking",
        "is_private": False,
        "accepted_terms": True,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (test)",
    }
    number = changes.pop("number", None)
    if number is not None:
        values["account_number"] = values["account_number_confirm"] = number
    return bank_account_add(membership=membership(user), **{**values, **changes})


def scheduled_payment(account, invoice, cents=4000, status=PaymentStatus.SCHEDULED):
    """A payment from ``account`` made straight in the database: payment_schedule (the payment form) is
    being written at the same time as these tests, so they don't depend on it."""
    with transaction.atomic():
        payment = Payment.objects.create(
            biller_id=invoice.biller_id,
            customer_id=invoice.customer_id,
            method=PaymentMethod.ACH,
            status=status,
            amount_cents=cents,
            pay_on=timezone.localdate() + timedelta(days=7),
            bank_account=account,
            created_by=account.added_by,
        )
        Allocation.objects.create(payment=payment, invoice=invoice, amount_cents=cents)
        refresh_invoice_amounts([invoice.pk])
    return payment


# --- The number rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"), [("011000015", "011000015"), ("111000025", "111000025"), (" 011 000 015 ", "011000015")]
)
def test_good_routing_numbers_are_kept_as_nine_digits(typed, kept):
    assert check_routing_number(typed) == kept


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Enter the routing number"),
        ("01100001", "exactly 9 digits"),
        ("0110000150", "exactly 9 digits"),
        ("01100001A", "exactly 9 digits"),
        ("011-000-015", "exactly 9 digits"),
        ("٠١١٠٠٠٠١٥", "exactly 9 digits"),  # Arabic-Indic digits are digits to Python, not to a bank
        ("011000016", "doesn't exist"),
        ("000000000", "doesn't exist"),
    ],
)
def test_bad_routing_numbers_are_refused_at_the_routing_field(typed, words):
    with pytest.raises(BankAccountError, match=words) as problem:
        check_routing_number(typed)
    assert problem.value.field == "routing_number"


def test_account_numbers_drop_spaces_and_hyphens_and_keep_leading_zeros():
    assert check_account_number("0012-3456 789", "00123456789") == "00123456789"
    assert check_account_number("1234", "1234") == "1234"
    assert check_account_number("1" * 17, "1" * 17) == "1" * 17


@pytest.mark.parametrize(
    ("number", "confirm", "field", "words"),
    [
        ("", "", "account_number", "Enter the account number"),
        ("123", "123", "account_number", "4 to 17 digits"),
        ("1" * 18, "1" * 18, "account_number", "4 to 17 digits"),
        ("12345abc", "12345abc", "account_number", "only contain digits"),
        ("12345.678", "12345.678", "account_number", "only contain digits"),
        ("123456789", "", "account_number_confirm", "Type the account number again"),
        ("123456789", "123456788", "account_number_confirm", "not the same"),
    ],
)
def test_bad_account_numbers_are_refused_at_their_field(number, confirm, field, words):
    with pytest.raises(BankAccountError, match=words) as problem:
        check_account_number(number, confirm)
    assert problem.value.field == field


def test_a_refused_account_number_is_not_in_the_message():
    with pytest.raises(BankAccountError) as problem:
        check_account_number("98765432101299", "98765432101298")
    assert "9876" not in str(problem.value)


# --- Adding --------------------------------------------------------------------------------------


def test_an_account_is_saved_encrypted_with_its_authorization(world):
    account = add(world.admin, number="987654321012", user_agent="U" * 600)
    assert crypto.decrypt(account.account_number_encrypted) == "987654321012"
    assert "987654321012" not in account.account_number_encrypted
    assert (account.account_last4, account.masked_number, account.label) == ("1012", "••••1012", "Checking ••••1012")
    assert account.lookup_hash == crypto.lookup_hash("987654321012", purpose="bank-account:011000015")
    assert (account.visibility_key, account.added_by, account.status) == ("shared", world.admin, "active")
    record = AchAuthorization.objects.get(bank_account=account)
    text = terms_text(biller_name="Acme Supply Co.", customer_name="Globex Corporation", account_type="business")
    assert (record.terms_text, record.terms_sha256, record.terms_version) == (text, terms_sha256(text), TERMS_VERSION)
    assert (record.customer, record.accepted_by, record.accepted_by_email) == (
        world.customer,
        world.admin,
        "ap@globex.example",
    )
    assert (record.customer_account_type, record.account_masked, record.routing_number) == (
        "business",
        "••••1012",
        "011000015",
    )
    assert (record.holder_name, record.ip_address, record.user_agent) == (
        "Globex Corporation",
        "203.0.113.7",
        "U" * 500,
    )
    assert record.ended_at is None


def test_a_personal_customer_accepts_the_web_debit_authorization():
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Pat Jones", email="pat@example.com")
    pat = access.portal_sign_up(
        customer=customer, email="pat@example.com", password=PASSWORD, confirm=PASSWORD, account_type="personal"
    )
    record = add(pat, holder_name="Pat Jones").authorization
    assert record.customer_account_type == "personal"
    assert "you authorize Acme Supply Co. to debit the bank account you are adding" in record.terms_text
    assert "revoke this authorization" in record.terms_text and "removing the bank account" in record.terms_text
    assert record.terms_sha256 == terms_sha256(record.terms_text)
    assert "authorized signer" not in record.terms_text


def test_the_holder_name_is_tidied_and_required(world):
    assert add(world.admin, holder_name="  Globex   Corporation ").holder_name == "Globex Corporation"
    with pytest.raises(BankAccountError, match="Enter the name on the account") as problem:
        add(world.admin, holder_name="  ", number="5555")
    assert problem.value.field == "holder_name"


def test_the_account_type_is_checking_or_savings(world):
    assert add(world.admin, account_type="savings").label == "Savings ••••6789"
    with pytest.raises(BankAccountError, match="Checking or Savings") as problem:
        add(world.admin, account_type="brokerage", number="5555")
    assert problem.value.field == "account_type"


def test_without_accepting_the_terms_nothing_is_saved(world):
    with pytest.raises(BankAccountError, match=r"Accept the Terms of Service to save the account\.") as problem:
        add(world.admin, accepted_terms=False)
    assert problem.value.field == "accept_terms"
    assert not BankAccount.objects.exists() and not AchAuthorization.objects.exists()


def test_terms_that_changed_since_the_page_showed_them_must_be_accepted_again(world):
    shown = terms_sha256(
        terms_text(biller_name="Acme Supply Co.", customer_name=world.customer.name, account_type="business")
    )
    Customer.objects.filter(pk=world.customer.pk).update(name="Globex Holdings")
    with pytest.raises(BankAccountError, match="changed while this page was open") as problem:
        add(world.admin, terms_sha256_shown=shown)
    assert problem.value.field == "accept_terms"
    assert not BankAccount.objects.exists()
    assert "Globex Holdings" in add(world.admin, terms_sha256_shown="").authorization.terms_text


def test_a_customer_without_an_account_type_cannot_add_an_account(world):
    Customer.objects.filter(pk=world.customer.pk).update(account_type="")
    with pytest.raises(BankAccountError, match="Personal or Business"):
        add(world.admin)
    assert not BankAccount.objects.exists()


def test_an_unusable_ip_address_is_left_out_rather_than_refused(world):
    assert add(world.admin, ip_address="not-an-address").authorization.ip_address is None
    assert add(world.admin, ip_address="2001:db8::1", number="5555").authorization.ip_address == "2001:db8::1"


def test_members_may_add_accounts_too(world):
    assert add(world.member).added_by == world.member


# --- Duplicates ----------------------------------------------------------------------------------


def test_the_same_account_twice_is_refused(world):
    add(world.admin)
    for person in (world.admin, world.member):
        with pytest.raises(BankAccountError, match=r"This bank account is already saved\.") as problem:
            add(person, account_number="1234-56789", account_number_confirm="123456789")
        assert problem.value.field == "account_number"
    assert BankAccount.objects.count() == 1 and AchAuthorization.objects.count() == 1


def test_the_same_number_at_another_bank_is_another_account(world):
    add(world.admin)
    assert add(world.admin, routing_number="111000025").pk


def test_a_colleagues_private_duplicate_is_allowed_and_not_revealed(world):
    add(world.member, is_private=True)
    shared = add(world.admin)
    assert shared.visibility_key == "shared"
    assert add(world.admin, is_private=True, number="5555").visibility_key == f"user:{world.admin.pk}"
    # The member sees the shared copy now, so sharing the same account again is a duplicate for them.
    with pytest.raises(BankAccountError, match="already saved"):
        add(world.member)


def test_an_own_private_account_is_a_duplicate_of_the_same_shared_one(world):
    add(world.admin, is_private=True)
    with pytest.raises(BankAccountError, match="already saved"):
        add(world.admin)


def test_the_database_refuses_a_duplicate_the_check_missed(world):
    account = add(world.admin)
    copy = BankAccount(
        customer_id=account.customer_id,
        added_by=world.admin,
        holder_name="x",
        routing_number="011000015",
        account_type="checking",
        account_number_encrypted=account.account_number_encrypted,
        account_last4="6789",
        lookup_hash=account.lookup_hash,
        visibility_key="shared",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_a_removed_account_can_be_added_again(world):
    old = add(world.admin)
    bank_account_remove(membership=membership(world.admin), bank_account=old, actor=world.admin)
    again = add(world.admin)
    assert again.pk != old.pk and BankAccount.objects.count() == 2


# --- Private accounts ----------------------------------------------------------------------------


def test_a_private_account_is_usable_only_by_the_person_who_added_it(world):
    private = add(world.admin, is_private=True)
    shared = add(world.member, number="5555")
    assert list(usable_bank_accounts(membership(world.admin))) == [private, shared]
    assert list(usable_bank_accounts(membership(world.member))) == [shared]


# --- Removing ------------------------------------------------------------------------------------


def test_removing_cancels_scheduled_payments_and_ends_the_authorization(world):
    account = add(world.admin)
    invoice = world.invoice(amount_cents=10000)
    scheduled = scheduled_payment(account, invoice, 4000)
    sent = scheduled_payment(account, invoice, 3000, status=PaymentStatus.SENT)
    assert list(scheduled_payments_using(account)) == [scheduled]

    cancelled = bank_account_remove(membership=membership(world.admin), bank_account=account, actor=world.admin)

    assert [p.pk for p in cancelled] == [scheduled.pk]
    assert Payment.objects.get(pk=scheduled.pk).status == PaymentStatus.CANCELLED
    assert Payment.objects.get(pk=sent.pk).status == PaymentStatus.SENT
    event = PaymentEvent.objects.get(payment=scheduled, to_status=PaymentStatus.CANCELLED)
    assert (event.actor, event.note) == (world.admin, "The bank account was removed")  # history names no account
    assert Invoice.objects.get(pk=invoice.pk).pending_cents == 3000
    account.refresh_from_db()
    assert (account.status, account.removed_by) == ("removed", world.admin) and account.removed_at is not None
    record = AchAuthorization.objects.get(bank_account=account)
    assert record.ended_at == account.removed_at
    assert list(usable_bank_accounts(membership(world.admin))) == []


def test_removing_twice_is_refused(world):
    account = add(world.admin)
    bank_account_remove(membership=membership(world.admin), bank_account=account, actor=world.admin)
    with pytest.raises(BankAccountError, match="already removed"):
        bank_account_remove(membership=membership(world.admin), bank_account=account, actor=world.admin)


def test_a_member_cannot_remove_a_shared_account_someone_else_added(world):
    account = add(world.admin)
    payment = scheduled_payment(account, world.invoice())
    with pytest.raises(BankAccountError, match="Only the person who added Checking ••••6789, or an admin"):
        bank_account_remove(membership=membership(world.member), bank_account=account, actor=world.member)
    account.refresh_from_db()
    assert account.status == "active" and account.authorization.ended_at is None
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SCHEDULED


def test_a_member_removes_their_own_shared_account_and_an_admin_anyones(world):
    own = add(world.member)
    assert bank_account_remove(membership=membership(world.member), bank_account=own, actor=world.member) == []
    theirs = add(world.member, number="5555")
    bank_account_remove(membership=membership(world.admin), bank_account=theirs, actor=world.admin)
    assert BankAccount.objects.filter(status="removed").count() == 2


def test_not_even_an_admin_can_remove_a_colleagues_private_account(world):
    private = add(world.member, is_private=True)
    with pytest.raises(BankAccountError, match="isn't one you can see"):
        bank_account_remove(membership=membership(world.admin), bank_account=private, actor=world.admin)
    assert BankAccount.objects.get(pk=private.pk).status == "active"


def test_another_customers_person_cannot_remove_it(world):
    account = add(world.admin)
    with pytest.raises(BankAccountError):
        bank_account_remove(membership=membership(world.outsider), bank_account=account, actor=world.outsider)
    assert BankAccount.objects.get(pk=account.pk).status == "active"
