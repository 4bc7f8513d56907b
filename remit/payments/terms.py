"""The Terms of Service a customer accepts when saving a bank account (help article, step 7).

The text is versioned: the exact words shown, their version and their SHA-256 are kept with every
``AchAuthorization``, so Remit can show a bank, years later, what the customer agreed to. NACHA asks
for a clear authorization that says how to revoke it: a Personal (consumer) account is debited by a
WEB entry and gets the consumer wording; a Business account by a CCD entry, authorized by someone
who may sign for the company's account.

Change ``TERMS_VERSION`` whenever the words change, even by one character.
"""

from __future__ import annotations

import hashlib

from remit.customers.models import AccountType

TERMS_VERSION = "2026-11-26"

# Paragraphs; the first line of a numbered one is its heading. The page shows each as a paragraph.
_PERSONAL = (
    "Terms of Service and authorization to debit your bank account\nVersion {version}",
    "These terms apply when you save a bank account in {biller}'s payment portal to pay invoices from "
    "{biller} to {customer}.",
    "1. Your authorization\n"
    'By selecting "I accept the Terms of Service" and Save, you authorize {biller} to debit the bank account '
    "you are adding (take money from it electronically, by ACH) for each payment you schedule in this portal, "
    "including Auto Pay payments if you turn Auto Pay on. Each debit is for the amount and on the Pay On date "
    "you choose for that payment (for Auto Pay, the amounts and dates your Auto Pay settings give).",
    "You confirm that you hold this account, or may authorize debits to it, and that it is a personal account "
    "at a bank in the United States.",
    "2. If a debit is returned\n"
    "If your bank returns a debit unpaid (for example because there was not enough money in the account), "
    "{biller} may present it to your bank again, at most twice, within 180 days of the first attempt.",
    "3. How to revoke this authorization\n"
    "You can revoke this authorization at any time by removing the bank account in this portal or by "
    "contacting {biller}, in time for {biller} to act on your request before the next scheduled debit. "
    "Removing the account in the portal takes effect at once and cancels its scheduled payments that have not "
    "been sent to the bank yet; a payment already sent to your bank can't be stopped this way.",
    "4. Private accounts\n"
    "If you tick Private, only you can see and pay from this account. Otherwise colleagues with access to "
    "{customer}'s account in this portal can pay from it too, and you authorize those payments as well.",
    "5. Your records\n"
    "{biller} keeps a record of this authorization, with the date and these exact words, for at least two "
    "years after it ends. Ask {biller} for a copy at any time.",
)

_BUSINESS = (
    "Terms of Service and authorization to debit a business bank account\nVersion {version}",
    "These terms apply when you save a bank account in {biller}'s payment portal to pay invoices from "
    "{biller} to {customer}.",
    "1. Your authorization, for {customer}\n"
    'By selecting "I accept the Terms of Service" and Save, you confirm that you are an authorized signer on '
    "the company bank account you are adding, or are otherwise allowed to authorize debits to it for "
    "{customer}. On behalf of {customer}, you authorize {biller} to debit this account by ACH (CCD entries) "
    "for each payment scheduled in this portal, including Auto Pay payments if Auto Pay is turned on. Each "
    "debit is for the amount and on the Pay On date chosen for that payment (for Auto Pay, the amounts and "
    "dates the Auto Pay settings give).",
    "2. If a debit is returned\n"
    "If the bank returns a debit unpaid (for example because there was not enough money in the account), "
    "{biller} may present it to the bank again, at most twice, within 180 days of the first attempt.",
    "3. How to revoke this authorization\n"
    "{customer} can revoke this authorization at any time by removing the bank account in this portal or by "
    "contacting {biller}, in time for {biller} to act on the request before the next scheduled debit. "
    "Removing the account in the portal takes effect at once and cancels its scheduled payments that have not "
    "been sent to the bank yet; a payment already sent to the bank can't be stopped this way.",
    "4. Private accounts\n"
    "If you tick Private, only you can see and pay from this account. Otherwise colleagues with access to "
    "{customer}'s account in this portal can pay from it too.",
    "5. Records\n"
    "{biller} keeps a record of this authorization, with the date and these exact words, for at least two "
    "years after it ends. Ask {biller} for a copy at any time.",
)

_BY_ACCOUNT_TYPE = {AccountType.PERSONAL: _PERSONAL, AccountType.BUSINESS: _BUSINESS}


def terms_text(*, biller_name: str, customer_name: str, account_type: str) -> str:
    """The exact words shown to the customer and kept with their authorization."""
    try:
        template = _BY_ACCOUNT_TYPE[AccountType(account_type)]
    except ValueError:
        raise ValueError(f"No Terms of Service for the account type {account_type!r}.") from None
    paragraphs = (p.format(version=TERMS_VERSION, biller=biller_name, customer=customer_name) for p in template)
    return "\n\n".join(paragraphs)


def terms_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
