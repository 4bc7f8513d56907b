"""Portal forms. The labels are the words of the help article (customer-portal-help.txt)."""

from __future__ import annotations

from typing import Any

from django import forms

from remit.customers.access import AccessError, check_new_password
from remit.customers.models import AccountType, PortalRole
from remit.site.forms import add_action_error
from remit.users.models import User


class PortalSignInForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class NewPasswordFields(forms.Form):
    """Create a password + confirm it. Checked with the same rule the actions use, so every problem
    shows at once (the action checks again: it is the one that counts)."""

    def __init__(self, *args: Any, email: str = "", biller: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = User(email=email, biller=biller)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2"):
            if "email" in data:
                self.person.email = data["email"]
            try:
                check_new_password(data["password1"], data["password2"], self.person)
            except AccessError as error:
                add_action_error(self, error)
        return data

    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 10 characters, not a common password, not like your email address.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirm password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class SignUpForm(NewPasswordFields):
    """Steps 2–4: create a password, select an account type, Sign Up."""

    field_order = ["email", "password1", "password2", "account_type"]

    email = forms.ChoiceField(label="Email")
    account_type = forms.ChoiceField(
        label="Account type",
        choices=AccountType.choices,
        widget=forms.RadioSelect,
        help_text="Personal if you pay from a personal bank account; Business for a company's account.",
    )

    def __init__(self, *args: Any, emails: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person.email = emails[0] if emails else ""
        self.fields["email"].choices = [(email, email) for email in emails]  # type: ignore[attr-defined]
        self.fields["email"].initial = emails[0] if emails else None
        if len(emails) == 1:
            self.fields["email"].help_text = "The address this invoice was sent to."
        else:
            self.fields["email"].help_text = "One of the addresses this invoice was sent to."


class SetPasswordForm(NewPasswordFields):
    pass


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class InviteColleagueForm(forms.Form):
    email = forms.EmailField(label="Colleague's email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(
        label="Role",
        choices=PortalRole.choices,
        initial=PortalRole.MEMBER,
        help_text="Admins also manage people, Auto Pay and bank accounts. Members see invoices and pay them.",
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=20,
        help_text="The 6-digit code in your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class TurnOffForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
