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
    """Every field is optional here: ``check_ach_fields`` gives the messages, all at once."""

    odfi_routing = _text(
        "Bank routing number (immediate destination)",
        help_text="The 9-digit routing number of your bank, where Remit's files go.",
        numeric=True,
    )
    immediate_origin = _text("Immediate origin", help_text="10 characters, as your bank says: often 1 and your EIN.")
    destination_name = _text("Bank name", help_text="Your bank's name, up to 23 characters.")
    origin_name = _text("Origin name", help_text="Your business's name as your bank knows it, up to 23 characters.")
    company_name = _text(
        "Company name (on your customers' statements)",
        help_text="Up to 16 characters: what your customers see next to the debit on their bank statement.",
    )
    company_id = _text("Company identification", help_text="10 letters or digits, e.g. 1 followed by your EIN.")
    entry_description = _text(
        "Company entry description",
        help_text="Up to 10 characters on your customers' statements, e.g. INVOICE.",
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
        help_text="Each batch ends with a credit to your settlement account that offsets its debits. "
        "Ask your bank whether it wants balanced files.",
    )
    settlement_routing = _text("Settlement account routing number", numeric=True)
    settlement_account = forms.CharField(
        label="Settlement account number",
        required=False,
        help_text="4 to 17 digits: the account the debits are credited to. Stored encrypted.",
        widget=NeverRedisplayedInput(attrs=NUMBER_ATTRS),
    )
    settlement_account_type = forms.ChoiceField(label="Settlement account type", choices=BankAccountType.choices)
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
