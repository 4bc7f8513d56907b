"""Return (R) and notification-of-change (C) codes: what each means and what Remit does about it
(NACHA.md, "Returns"). Pure data."""

from __future__ import annotations

RETURN_MEANINGS = {
    "R01": "Insufficient funds",
    "R02": "Account closed",
    "R03": "No account, or unable to locate the account",
    "R04": "Invalid account number",
    "R05": "Unauthorized debit to a consumer account",
    "R06": "Returned at the bank's request",
    "R07": "Authorization revoked by the customer",
    "R08": "Payment stopped",
    "R09": "Uncollected funds",
    "R10": "Customer says the debit was not authorized",
    "R11": "Debit not in accordance with the authorization",
    "R12": "Account sold to another bank",
    "R13": "Invalid routing number",
    "R14": "Account holder deceased",
    "R15": "Beneficiary or account holder deceased",
    "R16": "Account frozen",
    "R17": "File record edit criteria",
    "R20": "Non-transaction account",
    "R23": "Credit entry refused by the receiver",
    "R24": "Duplicate entry",
    "R29": "Corporate customer says the debit was not authorized",
}

# The account can't be debited again: block it, turn Auto Pay off where it pays from it.
UNUSABLE = {"R02", "R03", "R04", "R05", "R07", "R10", "R12", "R13", "R14", "R15", "R16", "R20", "R29"}

CORRECTION_MEANINGS = {
    "C01": "Incorrect account number",
    "C02": "Incorrect routing number",
    "C03": "Incorrect routing number and account number",
    "C05": "Incorrect transaction code (checking or savings)",
    "C06": "Incorrect account number and transaction code",
    "C07": "Incorrect routing number, account number and transaction code",
}


def return_meaning(code: str) -> str:
    return RETURN_MEANINGS.get(code, "Returned by the customer's bank")
