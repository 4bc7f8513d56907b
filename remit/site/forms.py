"""Form pieces shared by the console and the portal."""

from __future__ import annotations

from typing import Any

from django import forms

from remit.lib.errors import ActionError
from remit.lib.money import MoneyError, parse_cents

# Digits typed on a phone keypad, never remembered or corrected by the browser.
NUMBER_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class NeverRedisplayedInput(forms.TextInput):
    """A text input (an account number's leading zeros matter, so not type=number) that is always
    rendered empty: a page with an error must not carry a typed account number back."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


class MoneyField(forms.CharField):
    """Dollars and cents as typed ("1,234.50") → integer cents."""

    def __init__(self, *args: Any, allow_zero: bool = True, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            return parse_cents(text, allow_zero=self.allow_zero)
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None


def add_action_error(form: forms.BaseForm, error: ActionError) -> None:
    """Show an action's refusal on the form: each message at the field it names when the form has
    that field, otherwise above the form (a non-field error)."""
    for name, messages in error.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
