"""The biller's ACH settings: checked field by field, saved by an owner only, each change recorded
(``AchSettingsChange``: who, when, every changed field before and after, the account number masked)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from remit.ach.models import AchSettings, AchSettingsChange
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.lib import crypto
from remit.lib.errors import ActionError
from remit.payments.bank_accounts import BankAccountError, check_routing_number
from remit.users.models import User

RESERVED_DESCRIPTIONS = {
    "REVERSAL",
    "RETRY PYMT",
    "ACCTVERIFY",
    "NONSETTLED",
    "RECLAIM",
    "RETURN FEE",
    "HCCLAIMPMT",
    "AUTOENROLL",
    "REDEPCHECK",
    "NO CHECK",
}
PRINTABLE = re.compile(r"^[A-Za-z0-9 .,&'/()\-#]*$")
# The fields of AchSettings the owner sets (the settlement account number apart: it is encrypted).
SAVED_FIELDS = (
    "odfi_routing",
    "immediate_origin",
    "origin_is_routing",
    "destination_name",
    "origin_name",
    "company_name",
    "company_id",
    "entry_description",
    "balanced",
    "settlement_routing",
    "settlement_account_type",
    "settlement_days",
)


@dataclass
class AchFields:
    odfi_routing: str = ""
    immediate_origin: str = ""
    origin_is_routing: bool = False
    destination_name: str = ""
    origin_name: str = ""
    company_name: str = ""
    company_id: str = ""
    entry_description: str = "INVOICE"
    cutoff_time: time | None = None
    time_zone: str = "America/New_York"
    balanced: bool = False
    settlement_routing: str = ""
    settlement_account: str = ""  # empty: keep the saved one
    settlement_account_type: str = "checking"
    settlement_days: int | None = 2


class AchSettingsError(ActionError):
    pass


def _text(errors: dict[str, str], name: str, value: str, *, label: str, limit: int) -> str:
    value = " ".join(value.split()).upper()
    if not value:
        errors[name] = f"Enter the {label}."
    elif len(value) > limit:
        errors[name] = f"The {label} can be at most {limit} characters (the bank's file has room for {limit})."
    elif not PRINTABLE.match(value):
        errors[name] = f"The {label} may use letters, digits, spaces and . , & ' / ( ) - # only."
    return value


def check_ach_fields(fields: AchFields, *, has_settlement_account: bool) -> tuple[AchFields, dict[str, str]]:
    """Every problem at once, by field; the values cleaned (upper case, single spaces)."""
    errors: dict[str, str] = {}
    clean = AchFields(**fields.__dict__)
    try:
        clean.odfi_routing = check_routing_number(fields.odfi_routing)
    except BankAccountError as error:
        errors["odfi_routing"] = str(error)
    clean.immediate_origin = _immediate_origin(errors, fields.immediate_origin, is_routing=fields.origin_is_routing)
    clean.destination_name = _text(errors, "destination_name", fields.destination_name, label="bank name", limit=23)
    clean.origin_name = _text(errors, "origin_name", fields.origin_name, label="origin name", limit=23)
    clean.company_name = _text(errors, "company_name", fields.company_name, label="company name", limit=16)
    company_id = fields.company_id.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{10}", company_id):
        errors["company_id"] = "The company identification is 10 letters or digits, e.g. 1 followed by your EIN."
    clean.company_id = company_id
    description = _text(
        errors, "entry_description", fields.entry_description or "INVOICE", label="entry description", limit=10
    )
    if description in RESERVED_DESCRIPTIONS:
        errors["entry_description"] = f"{description} is reserved by NACHA for other entries; choose another word."
    clean.entry_description = description
    if fields.cutoff_time is None:
        errors["cutoff_time"] = "Enter the daily cut-off time your bank gave you, e.g. 16:00."
    try:
        ZoneInfo(fields.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = f"“{fields.time_zone}” is not a time zone, e.g. America/New_York."
    if fields.settlement_days is None or not 1 <= fields.settlement_days <= 10:
        errors["settlement_days"] = "Enter a number of banking days from 1 to 10."
    if fields.settlement_account_type not in {"checking", "savings"}:
        errors["settlement_account_type"] = "Choose checking or savings."
    if fields.balanced or fields.settlement_routing or fields.settlement_account:
        _check_settlement(fields, clean, errors, has_settlement_account=has_settlement_account)
    return clean, errors


def _immediate_origin(errors: dict[str, str], typed: str, *, is_routing: bool) -> str:
    """The immediate origin as the file header takes it: a routing number (when the bank asks for one)
    is " " and its 9 digits, its check digit right; otherwise the 10 letters or digits the bank gave."""
    origin = typed.strip().upper()
    if is_routing:
        try:
            return " " + check_routing_number(origin)
        except BankAccountError as error:
            errors["immediate_origin"] = f"Your bank asked for a routing number here. {error}"
            return origin
    if re.fullmatch(r"[0-9]{9}", origin):
        errors["immediate_origin"] = (
            "That is 9 digits, like a routing number. If your bank asked for a routing number here, tick "
            "“Immediate origin is a routing number”; otherwise enter the 10 characters it gave you "
            "(e.g. 1 and your EIN)."
        )
    elif not re.fullmatch(r"[0-9A-Z]{10}", origin) or origin == "0000000000":
        errors["immediate_origin"] = (
            "Enter the 10-character immediate origin your bank gave you (letters or digits, e.g. 1 and your EIN)."
        )
    return origin


def _check_settlement(
    fields: AchFields, clean: AchFields, errors: dict[str, str], *, has_settlement_account: bool
) -> None:
    try:
        clean.settlement_routing = check_routing_number(fields.settlement_routing)
    except BankAccountError as error:
        errors["settlement_routing"] = str(error)
    account = fields.settlement_account.strip()
    if account and not re.fullmatch(r"[0-9]{4,17}", account):
        errors["settlement_account"] = "The settlement account number is 4 to 17 digits."
    if fields.balanced and not account and not has_settlement_account:
        errors["settlement_account"] = "Balanced files need the settlement account the offset is credited to."
    clean.settlement_account = account


@transaction.atomic
def ach_settings_save(*, biller: Biller, actor: User, fields: AchFields) -> AchSettings:
    require_owner(biller, actor, message="Only an owner can change the ACH settings.")
    current = AchSettings.objects.select_for_update().filter(biller=biller).first()
    clean, errors = check_ach_fields(
        fields, has_settlement_account=bool(current and current.settlement_account_encrypted)
    )
    if errors:
        raise AchSettingsError(errors={name: [message] for name, message in errors.items()})
    saved = Biller.objects.only("ach_cutoff_time", "time_zone").get(pk=biller.pk)  # not the caller's copy
    before = _snapshot(current, saved)
    new_account = _new_account(current, clean.settlement_account)
    ach = current or AchSettings(biller=biller)
    for name in SAVED_FIELDS:
        setattr(ach, name, getattr(clean, name))
    if new_account:
        ach.settlement_account_encrypted = crypto.encrypt(new_account)
        ach.settlement_account_last4 = new_account[-4:]
    ach.updated_at = timezone.now()
    ach.save()
    Biller.objects.filter(pk=biller.pk).update(ach_cutoff_time=clean.cutoff_time, time_zone=clean.time_zone)
    biller.ach_cutoff_time, biller.time_zone = clean.cutoff_time or biller.ach_cutoff_time, clean.time_zone
    _record_change(biller, actor, before, _snapshot(ach, biller), account_changed=bool(new_account))
    return ach


def _new_account(current: AchSettings | None, typed: str) -> str:
    """The settlement account number to store: the one typed, unless it is the one already saved."""
    if not typed or current is None or not current.settlement_account_encrypted:
        return typed
    try:
        saved = crypto.decrypt(current.settlement_account_encrypted)
    except crypto.DecryptionError:
        return typed  # the old number can't be read: storing the typed one again is the safe side
    return "" if saved == typed else typed


def _snapshot(ach: AchSettings | None, biller: Biller) -> dict[str, Any]:
    """What the owner sees on the settings page, as JSON values; the account number only masked."""
    values: dict[str, Any] = {"cutoff_time": biller.ach_cutoff_time.strftime("%H:%M"), "time_zone": biller.time_zone}
    if ach is not None:
        values.update({name: getattr(ach, name) for name in SAVED_FIELDS})
        last4 = ach.settlement_account_last4
        values["settlement_account"] = crypto.mask(last4) if last4 else ""
    return values


def _record_change(
    biller: Biller, actor: User, before: dict[str, Any], after: dict[str, Any], *, account_changed: bool
) -> None:
    """One history row naming every field that changed (none: no row). A new settlement account
    counts even when its last four digits are the old one's."""
    changed = [name for name in after if name not in before or before[name] != after[name]]
    if account_changed and "settlement_account" not in changed:
        changed.append("settlement_account")
    if not changed:
        return
    AchSettingsChange.objects.create(
        biller=biller,
        actor=actor,
        actor_email=actor.email,
        before={name: before[name] for name in changed if name in before},
        after={name: after[name] for name in changed},
    )
