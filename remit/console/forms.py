"""Console forms: they parse and check the shape of input. The rules live in the actions."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

from remit.billers.models import Role, hex_color
from remit.lib.csv_table import MAX_BYTES, MAX_ROWS
from remit.lib.images import ACCEPTED_LABEL, MAX_UPLOAD_BYTES, Logo, LogoError, normalize_logo
from remit.webhooks.models import EventType


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SignUpForm(forms.Form):
    business_name = forms.CharField(
        label="Business name",
        max_length=120,
        help_text="As your customers know you; it names your portal's address.",
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    owner_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 10 characters; not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class BrandingForm(forms.Form):
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text=f"{ACCEPTED_LABEL}, up to 2 MB and 4096×4096 pixels. "
        "A wide logo on a transparent background looks best.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    brand_color = forms.CharField(
        label="Brand colour",
        max_length=7,
        validators=[hex_color],
        help_text="Used for the top of your portal, its buttons and your emails.",
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    def clean_brand_color(self) -> str:
        return str(self.cleaned_data["brand_color"]).lower()

    def clean_logo(self) -> Logo | None:
        upload: UploadedFile | None = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest accepted is 2 MB."
            )
        try:
            return normalize_logo(upload.read(), upload.name or "")
        except LogoError as error:
            raise forms.ValidationError(str(error)) from None


class SlugForm(forms.Form):
    slug = forms.CharField(
        label="Portal address",
        max_length=50,
        help_text="Lowercase letters, digits and hyphens, containing your company name.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )


class DomainForm(forms.Form):
    custom_domain = forms.CharField(
        label="Your own domain",
        max_length=253,
        required=False,
        help_text="Optional, e.g. pay.example.com. Point it (a CNAME record) at this Remit server first. "
        "Leave empty to remove it.",
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "spellcheck": "false", "placeholder": "pay.example.com"}
        ),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        initial=Role.STAFF,
        help_text="Owners also manage branding, the portal address and the team.",
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 10 characters; not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use the key, e.g. “Accounting sync”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        help_text="Where Remit POSTs the events: an https:// address of your own server.",
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=EventType.choices,
        required=False,  # the action says "choose at least one", at the field
        widget=forms.CheckboxSelectMultiple,
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("customers", "Customers"), ("invoices", "Invoices")],
        initial="invoices",
        help_text="Import your customers first: each invoice row names its customer.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV — in Excel, save as “CSV UTF-8 (Comma delimited)”. Up to {MAX_BYTES // 1024 // 1024} MB "
        f"and {MAX_ROWS:,} rows; the first line names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest accepted is "
                f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload
