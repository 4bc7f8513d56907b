"""Form pieces shared by the console and the portal."""

from __future__ import annotations

from typing import Any

from django import forms

from remit.lib.errors import ActionError

# Digits typed on a phone keypad, never remembered or corrected by the browser.
NUMBER_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class NeverRedisplayedInput(forms.TextInput):
    """A text input (an account number's leading zeros matter, so not type=number) that is always
    rendered empty: a page with an error must not carry a typed account number back."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


def add_action_error(form: forms.BaseForm, error: ActionError) -> None:
    """Show an action's refusal on the form: each message at the field it names when the form has
    that field, otherwise above the form (a non-field error)."""
    for name, messages in error.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
