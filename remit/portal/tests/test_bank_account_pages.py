"""The portal's bank account pages (help article, steps 6–7): Add Bank Account with its labels and the
Terms of Service, every mistake shown at its field with nothing saved, Private, next=, and Remove."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from remit.customers.models import CustomerMembership
from remit.ledger.balances import refresh_invoice_amounts
from remit.payments.bank_accounts import bank_account_add
from remit.payments.models import AchAuthorization, Allocation, BankAccount, Payment, PaymentMethod, PaymentStatus
from remit.test import portal_login

pytestmark = pytest.mark.django_db

NEW = "/acme-supply/bank-accounts/new/"
LIST = "/acme-supply/bank-accounts/"
GOOD = {
    "holder_name": "Globex Corporation",
    "routing_number": "011000015",
    "account_number": "123456789",
    "account_number_confirm": "123456789",
    "account_type": "checking",
    "accept_terms": "on",
}


def signed_in(user):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (pages test)")
    portal_login(client, user)
    return client


def add(user, **changes):
    values = {
        "holder_name": "Globex Corporation",
        "routing_number": "011000015",
        "account_number": "123456789",
        "account_number_confirm": "123456789",
        "account_type": "checking",
        "is_private": False,
        "accepted_terms": True,
        "ip_address": None,
        "user_agent": "",
        **changes,
    }
    return bank_account_add(membership=CustomerMembership.objects.get(user=user), **values)


def field_errors(page, name):
    found = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def test_the_form_has_the_help_articles_fields_and_the_terms(world):
    page = signed_in(world.admin).get(NEW).content.decode()
    for label in ["Name on the account", "Routing number", "Account number", "Confirm account number", "Account type"]:
        assert f">{label}</" in page, label
    assert "The 9 digits at the bottom left of a check." in page
    assert re.search(r'type="radio" name="account_type" value="checking"[^>]*checked', page)
    assert 'value="savings"' in page and ">Savings<" in page
    assert "<span>Private</span>" in page
    assert "Only you can see and pay from this account; colleagues with access to this portal can&#x27;t." in page
    assert '<div class="terms" role="region" aria-label="Terms of Service" tabindex="0">' in page
    assert "On behalf of Globex Corporation, you authorize Acme Supply Co. to debit this account" in page
    assert "<span>I accept the Terms of Service</span>" in page
    assert '<button type="submit">Save</button>' in page
    for name in ["routing_number", "account_number", "account_number_confirm"]:
        found = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
        assert found, name
        tag = found.group(0)
        assert 'inputmode="numeric"' in tag and 'autocomplete="off"' in tag, tag


def test_a_good_form_saves_the_account_and_says_so(world):
    client = signed_in(world.admin)
    response = client.post(NEW, GOOD)
    assert response.status_code == 302 and response["Location"] == LIST
    account = BankAccount.objects.get()
    assert (account.added_by, account.is_private, account.account_last4) == (world.admin, False, "6789")
    record = AchAuthorization.objects.get()
    assert (record.ip_address, record.user_agent) == ("127.0.0.1", "Mozilla/5.0 (pages test)")
    page = client.get(LIST).content.decode()
    assert "Bank account Checking ••••6789 was saved." in page
    assert "Globex Corporation" in page and "••••6789" in page and ">You<" in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"holder_name": ""}, "holder_name", "Enter the name on the account."),
        ({"routing_number": ""}, "routing_number", "Enter the routing number"),
        ({"routing_number": "12345"}, "routing_number", "A routing number is exactly 9 digits."),
        ({"routing_number": "011000016"}, "routing_number", "This routing number doesn&#x27;t exist."),
        ({"routing_number": "000000000"}, "routing_number", "This routing number doesn&#x27;t exist."),
        ({"account_number": "", "account_number_confirm": ""}, "account_number", "Enter the account number."),
        ({"account_number": "123", "account_number_confirm": "123"}, "account_number", "4 to 17 digits"),
        ({"account_number": "1" * 18, "account_number_confirm": "1" * 18}, "account_number", "4 to 17 digits"),
        ({"account_number": "12ab5678", "account_number_confirm": "12ab5678"}, "account_number", "only contain digits"),
        ({"account_number_confirm": ""}, "account_number_confirm", "Type the account number again"),
        (
            {"account_number_confirm": "123456788"},
            "account_number_confirm",
            "The two account numbers are not the same.",
        ),
        ({"accept_terms": ""}, "accept_terms", "Accept the Terms of Service to save the account."),
    ],
)
def test_each_mistake_is_shown_at_its_field_and_nothing_is_saved(world, changes, field, words):
    response = signed_in(world.admin).post(NEW, {**GOOD, **changes})
    assert response.status_code == 200
    page = response.content.decode()
    assert words in field_errors(page, field), page
    assert not BankAccount.objects.exists() and not AchAuthorization.objects.exists()
    # The typed account number is never sent back; the other answers are kept.
    assert "123456789" not in page
    assert 'value="Globex Corporation"' in page or field == "holder_name"


def test_a_wrong_account_type_is_shown_in_its_fieldset(world):
    page = signed_in(world.admin).post(NEW, {**GOOD, "account_type": "brokerage"}).content.decode()
    assert '<fieldset class="choice has-error">' in page and "Choose the account type: Checking or Savings." in page
    assert not BankAccount.objects.exists()


def test_every_mistake_at_once_is_shown_at_once(world):
    page = signed_in(world.admin).post(NEW, {"account_number": "12"}).content.decode()
    for field in ["holder_name", "routing_number", "account_number", "accept_terms"]:
        assert field_errors(page, field), field


def test_a_duplicate_is_shown_at_the_account_number(world):
    client = signed_in(world.admin)
    client.post(NEW, GOOD)
    page = client.post(NEW, GOOD).content.decode()
    assert "This bank account is already saved." in field_errors(page, "account_number")
    assert BankAccount.objects.count() == 1


# --- Private -------------------------------------------------------------------------------------


def test_a_private_account_is_only_for_the_person_who_added_it(world):
    client = signed_in(world.member)
    client.post(NEW, {**GOOD, "is_private": "on"})
    account = BankAccount.objects.get()
    assert account.is_private and account.visibility_key == f"user:{world.member.pk}"
    page = client.get(LIST).content.decode()
    assert "••••6789" in page and '<span class="badge private">Private</span>' in page
    assert "Bank account Checking ••••6789 was saved. Only you can see it." in page

    colleague = signed_in(world.admin)
    assert "••••6789" not in colleague.get(LIST).content.decode()
    remove = f"/acme-supply/bank-accounts/{account.pk}/remove/"
    assert colleague.get(remove).status_code == 404
    assert colleague.post(remove).status_code == 404
    assert BankAccount.objects.get().status == "active"


def test_another_customers_account_is_404(world):
    account = add(world.admin)
    client = signed_in(world.outsider)
    assert client.get(f"/acme-supply/bank-accounts/{account.pk}/remove/").status_code == 404
    assert "••••6789" not in client.get(LIST).content.decode()


# --- next= ---------------------------------------------------------------------------------------


def test_next_returns_the_person_to_the_payment_page(world):
    client = signed_in(world.admin)
    page = client.get(f"{NEW}?next=/acme-supply/pay-bills/").content.decode()
    assert 'href="/acme-supply/pay-bills/">Cancel</a>' in page
    response = client.post(f"{NEW}?next=/acme-supply/pay-bills/", GOOD)
    assert response["Location"] == "/acme-supply/pay-bills/"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "/other-portal/pay-bills/"])
def test_next_never_leaves_this_portal(world, elsewhere):
    response = signed_in(world.admin).post(f"{NEW}?next={elsewhere}", GOOD)
    assert response["Location"] == LIST


# --- Remove --------------------------------------------------------------------------------------


def scheduled_payment(account, invoice, cents):
    """Made straight in the database: payment_schedule (the payment form) is written concurrently."""
    with transaction.atomic():
        payment = Payment.objects.create(
            biller_id=invoice.biller_id,
            customer_id=invoice.customer_id,
            method=PaymentMethod.ACH,
            status=PaymentStatus.SCHEDULED,
            amount_cents=cents,
            pay_on=timezone.localdate() + timedelta(days=9),
            bank_account=account,
            created_by=account.added_by,
        )
        Allocation.objects.create(payment=payment, invoice=invoice, amount_cents=cents)
        refresh_invoice_amounts([invoice.pk])
    return payment


def test_remove_lists_the_payments_it_cancels_then_cancels_them(world):
    account = add(world.admin)
    invoice = world.invoice(amount_cents=50000, number="INV-77")
    payment = scheduled_payment(account, invoice, 12345)
    client = signed_in(world.admin)
    assert f'href="/acme-supply/bank-accounts/{account.pk}/remove/"' in client.get(LIST).content.decode()

    page = client.get(f"/acme-supply/bank-accounts/{account.pk}/remove/").content.decode()
    assert "Remove Checking ••••6789?" in page
    assert "This scheduled payment uses it and will be cancelled" in page
    assert "$123.45" in page and "INV-77" in page and payment.pay_on.strftime("%b %-d, %Y") in page

    response = client.post(f"/acme-supply/bank-accounts/{account.pk}/remove/")
    assert response["Location"] == LIST
    page = client.get(LIST).content.decode()
    assert "Checking ••••6789 was removed. 1 scheduled payment from it was cancelled." in page
    assert "••••6789</td>" not in page
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CANCELLED
    assert AchAuthorization.objects.get(bank_account=account).ended_at is not None


def test_a_member_sees_but_cannot_remove_an_account_someone_else_shared(world):
    account = add(world.admin)
    client = signed_in(world.member)
    page = client.get(LIST).content.decode()
    assert "••••6789" in page and "ap@globex.example" in page
    assert f"/bank-accounts/{account.pk}/remove/" not in page
    remove = f"/acme-supply/bank-accounts/{account.pk}/remove/"
    page = client.get(remove).content.decode()
    assert "Only the person who added this bank account, or an admin" in page and "Remove bank account<" not in page
    client.post(remove)
    assert "Only the person who added Checking ••••6789" in client.get(LIST).content.decode()
    assert BankAccount.objects.get().status == "active"


def test_a_removed_account_cannot_be_removed_again(world):
    account = add(world.admin)
    client = signed_in(world.admin)
    client.post(f"/acme-supply/bank-accounts/{account.pk}/remove/")
    response = client.get(f"/acme-supply/bank-accounts/{account.pk}/remove/")
    assert response["Location"] == LIST
    assert "Checking ••••6789 was already removed." in client.get(LIST).content.decode()


def test_signed_out_people_are_sent_to_sign_in(world):
    for path in [LIST, NEW, "/acme-supply/bank-accounts/1/remove/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/acme-supply/signin/")


# --- In a browser --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_steps_6_and_7_in_a_browser(page, live_server, world):
    """Add Bank Account with a mistake first, then Private, the Terms of Service and Save; then Remove.
    Every page is checked with axe-core and photographed (var/screenshots/portal-bank-*.png)."""
    from conftest import axe_violations, screenshot
    from remit.test import PASSWORD

    def check(name):
        screenshot(page, name)
        assert axe_violations(page) == [], name
        assert page.console_errors == [], name

    page.goto(f"{live_server.url}/acme-supply/signin/?next={LIST}")
    page.get_by_label("Email").fill(world.admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}{LIST}")
    check("portal-bank-list-empty")

    page.get_by_role("link", name="Add Bank Account").click()
    page.get_by_label("Name on the account").fill("Globex Corporation")
    page.get_by_label("Routing number").fill("011000015")
    page.get_by_label("Account number", exact=True).fill("987654321012")
    page.get_by_label("Confirm account number").fill("987654321013")
    check("portal-bank-add")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The two account numbers are not the same.").is_visible()
    assert page.get_by_label("Account number", exact=True).input_value() == ""
    check("portal-bank-add-error")

    terms = page.get_by_role("region", name="Terms of Service")
    terms.focus()
    page.keyboard.press("PageDown")
    # Scrolling may be smooth: wait until the region has moved rather than reading it at once.
    page.wait_for_function("element => element.scrollTop > 0", arg=terms.element_handle(), timeout=5000)
    page.get_by_label("Account number", exact=True).fill("987654321012")
    page.get_by_label("Confirm account number").fill("987654321012")
    page.get_by_label("Savings").check()
    page.get_by_label("Private").check()
    page.get_by_label("I accept the Terms of Service").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}{LIST}")
    assert page.get_by_text("Bank account Savings ••••1012 was saved. Only you can see it.").is_visible()
    check("portal-bank-list")

    page.get_by_role("link", name="Remove Savings ••••1012").click()
    check("portal-bank-remove")
    page.get_by_role("button", name="Remove bank account").click()
    page.wait_for_url(f"{live_server.url}{LIST}")
    assert page.get_by_text("No scheduled payments were using it.").is_visible()
    assert page.failed_responses == []
