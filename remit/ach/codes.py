"""Return (R) and notification-of-change (C) codes: what each means and what Remit does about it
(NACHA.md, "Returns" and "Dishonored and contested returns"). Pure data."""

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
    # Dishonored returns: the biller's bank refused the customer's bank's return.
    "R61": "Misrouted return",
    "R67": "Duplicate return",
    "R68": "Untimely return",
    "R69": "Field errors in the return",
    "R70": "Permissible return entry not accepted, or no written statement requested",
    # Contested dishonored returns: the customer's bank stands by its return.
    "R71": "Misrouted dishonored return",
    "R72": "Untimely dishonored return",
    "R73": "Timely original return",
    "R74": "Corrected return",
    "R75": "Return not a duplicate",
    "R76": "No errors found",
    "R77": "Non-acceptance of an R62 dishonored return",
}

# The account can't be debited again: block it, turn Auto Pay off where it pays from it.
UNUSABLE = {"R02", "R03", "R04", "R05", "R07", "R10", "R12", "R13", "R14", "R15", "R16", "R20", "R29"}

# Dishonored returns restore the payment; contested ones leave (or make) it returned again.
DISHONORED = frozenset({"R61", "R67", "R68", "R69", "R70"})
CONTESTED = frozenset({"R71", "R72", "R73", "R74", "R75", "R76", "R77"})

# Notifications of change Remit applies to the customer's bank account.
CORRECTION_MEANINGS = {
    "C01": "Incorrect account number",
    "C02": "Incorrect routing number",
    "C03": "Incorrect routing number and account number",
    "C05": "Incorrect transaction code (checking or savings)",
    "C06": "Incorrect account number and transaction code",
    "C07": "Incorrect routing number, account number and transaction code",
}

# Notifications of change Remit records and shows without changing anything: what they correct is not
# something an ACH debit of Remit's carries from a bank account (a name, an ID, the addenda's format),
# or it is the RDFI refusing a notification (C61–C69).
NOTED_CORRECTION_MEANINGS = {
    "C04": "Incorrect individual name or receiving company name",
    "C08": "Incorrect receiving DFI identification (IAT)",
    "C09": "Incorrect individual identification number",
    "C13": "Addenda format error",
    "C14": "Incorrect SEC code for an outbound international payment",
    "C61": "Misrouted notification of change",
    "C62": "Incorrect trace number",
    "C63": "Incorrect company identification number",
    "C64": "Incorrect individual identification number",
    "C65": "Incorrectly formatted corrected data",
    "C66": "Incorrect discretionary data",
    "C67": "Routing number not from the original entry detail record",
    "C68": "DFI account number not from the original entry detail record",
    "C69": "Incorrect transaction code",
}


def return_meaning(code: str) -> str:
    return RETURN_MEANINGS.get(code, "Returned by the customer's bank")


def correction_meaning(code: str) -> str:
    return CORRECTION_MEANINGS.get(code) or NOTED_CORRECTION_MEANINGS.get(code, "Notification of change")
