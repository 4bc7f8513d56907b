"""The Terms of Service text: pure, versioned, and for a Personal account a WEB debit authorization
that says what is debited, when, and how to revoke it."""

import hashlib

import pytest

from remit.payments.terms import TERMS_VERSION, terms_sha256, terms_text


def personal(**names):
    return terms_text(
        biller_name=names.get("biller", "Acme Supply Co."),
        customer_name=names.get("customer", "Pat Jones"),
        account_type="personal",
    )


def business(**names):
    return terms_text(
        biller_name=names.get("biller", "Acme Supply Co."),
        customer_name=names.get("customer", "Globex Corporation"),
        account_type="business",
    )


def test_it_names_the_version_the_biller_and_the_customer():
    text = personal()
    assert f"Version {TERMS_VERSION}" in text
    assert "Acme Supply Co." in text and "Pat Jones" in text


def test_the_personal_text_authorizes_debits_for_scheduled_and_auto_pay_payments():
    text = personal()
    assert "you authorize Acme Supply Co. to debit the bank account you are adding" in text
    assert "for each payment you schedule in this portal" in text
    assert "including Auto Pay payments if you turn Auto Pay on" in text
    assert "for the amount and on the Pay On date you choose" in text


def test_the_personal_text_says_a_returned_debit_may_be_presented_again():
    assert "may present it to your bank again" in personal()


def test_the_personal_text_says_how_to_revoke_in_time_for_the_biller_to_act():
    text = personal()
    assert "You can revoke this authorization at any time" in text
    assert "by removing the bank account in this portal or by contacting Acme Supply Co." in text
    assert "in time for Acme Supply Co. to act on your request before the next scheduled debit" in text


def test_the_business_text_is_a_company_authorization_by_a_signer():
    text = business()
    assert text != personal(customer="Globex Corporation")
    assert "authorized signer on the company bank account" in text
    assert "On behalf of Globex Corporation, you authorize Acme Supply Co. to debit this account" in text
    assert "CCD" in text
    assert "revoke this authorization" in text
    assert "personal account" not in text


def test_the_text_is_plain_paragraphs():
    text = personal()
    assert "<" not in text and "{" not in text
    assert text.count("\n\n") >= 5
    # Billers' names often end in "Co." or "Inc.": no sentence may end right after one.
    assert ".." not in text


def test_names_with_braces_are_kept_as_typed():
    assert "Acme {Supply}" in personal(biller="Acme {Supply}")


def test_the_hash_is_sha256_of_the_utf8_text():
    text = personal(customer="Zoë Müller")
    assert terms_sha256(text) == hashlib.sha256(text.encode()).hexdigest()
    assert terms_sha256(text) != terms_sha256(personal(customer="Zoe Muller"))
    assert len(terms_sha256(text)) == 64


def test_an_unknown_account_type_has_no_terms():
    with pytest.raises(ValueError, match="No Terms of Service"):
        terms_text(biller_name="A", customer_name="B", account_type="")
