"""The ACH pages' forms: the biller's ACH settings and a return file to import."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.core.files.uploadedfile import UploadedFile

from remit.ach.actions import AchFields
from remit.payments.models import BankAccountType
from remit.site.forms import NUMBER_ATTRS, NeverRedisplayedInput

MAX_RETURN_FILE_BYTES = 10 * 1024 * 1024
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def time_zones() -> list[tuple[str, str]]:
    """The IANA zones by region (not the old aliases such as US/Eastern or EST5EDT), and UTC."""
    names = sorted(name for name in available_timezones() if name.split("/")[0] in REGIONS and "/" in name)
    return [(name, name.replace("_", " ")) for name in [*names, "UTC"]]


def _text(label: str, *, help_text: str = "", numeric: bool = False) -> forms.CharField:
    attrs = NUMBER_ATTRS if numeric else {"autocomplete": "off"}
    return forms.CharField(label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class AchSettingsForm(forms.Form):
    """Every field is optional here: ``check_ach_fields`` gives the messages, all at once. Each help
    text says what the field is in the file Remit writes, so an owner can match it to what the bank sent."""

    odfi_routing = _text(
        "Bank routing number (immediate destination)",
        help_text="The 9-digit routing number of your bank (the ODFI: the bank that sends your debits on). "
        "Remit's files are addressed to it, and it begins every batch's bank number and every trace number.",
        numeric=True,
    )
    immediate_origin = _text(
        "Immediate origin",
        help_text="Who sends the file, as your bank identifies you: usually the 10 characters it gave you, "
        "often 1 followed by your EIN. Some banks ask for a routing number here instead: then tick the box below.",
    )
    origin_is_routing = forms.BooleanField(
        label="Immediate origin is a routing number",
        required=False,
        help_text="Tick this only if your bank asked for a 9-digit routing number (often its own) as the immediate "
        "origin. Remit checks its check digit and writes it after a blank, as such files require.",
    )
    destination_name = _text(
        "Bank name (immediate destination name)",
        help_text="Your bank's name as it wants it at the top of the file, up to 23 characters.",
    )
    origin_name = _text(
        "Origin name (immediate origin name)",
        help_text="Your business's name as your bank knows it, at the top of the file, up to 23 characters.",
    )
    company_name = _text(
        "Company name (on your customers' statements)",
        help_text="Up to 16 characters in every batch: what your customers see next to the debit on their bank "
        "statement.",
    )
    company_id = _text(
        "Company identification",
        help_text="The 10 letters or digits your bank identifies you by in every batch, e.g. 1 followed by your EIN. "
        "It may be the same as the immediate origin or not: use what your bank gave you for each.",
    )
    entry_description = _text(
        "Company entry description",
        help_text="Up to 10 characters on your customers' statements that say what the debit is for, e.g. INVOICE. "
        "Words NACHA reserves for other entries (REVERSAL, RETRY PYMT, ACCTVERIFY, …) are refused.",
    )
    cutoff_time = forms.TimeField(
        label="Daily cut-off time",
        required=False,
        help_text="Your bank's deadline for the next banking day's file. Payments made later wait a day.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zones, help_text="The time zone of the cut-off.")
    balanced = forms.BooleanField(
        label="Balanced files",
        required=False,
        help_text="A balanced file ends with a batch of one credit to your settlement account for the total of "
        "its debits, so that its debits and credits are equal. Most banks don't want this: ask yours.",
    )
    settlement_routing = _text(
        "Settlement account routing number",
        help_text="The routing number of your account that the offset credit of a balanced file goes to.",
        numeric=True,
    )
    settlement_account = forms.CharField(
        label="Settlement account number",
        required=False,
        help_text="4 to 17 digits: the account the debits are credited to. Stored encrypted.",
        widget=NeverRedisplayedInput(attrs=NUMBER_ATTRS),
    )
    settlement_account_type = forms.ChoiceField(
        label="Settlement account type",
        choices=BankAccountType.choices,
        help_text="Whether that account is a checking or a savings account (the offset credit's kind).",
    )
    settlement_days = forms.IntegerField(
        label="Settlement days",
        required=False,
        help_text="Banking days after the effective date without a return, after which a payment counts as "
        "settled (1 to 10).",
    )

    def fields_for_action(self) -> AchFields:
        data = self.cleaned_data
        return AchFields(**{name: data[name] for name in AchFields.__dataclass_fields__})


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label="Return file",
        help_text="The return or notification-of-change file your bank sent, as it sent it (NACHA format).",
    )

    filename = "return file"

    def clean_file(self) -> str:
        """The file's text: a NACHA file is ASCII, so anything else is refused here."""
        upload: UploadedFile = self.cleaned_data["file"]
        self.filename = upload.name or self.filename
        if upload.size is not None and upload.size > MAX_RETURN_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; a return file is much smaller. "
                "Check that this is the file your bank sent."
            )
        raw = upload.read()
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"The file is not plain ASCII text (byte {error.start + 1} is not), so it is not a NACHA file. "
                "Nothing was imported."
            ) from None
