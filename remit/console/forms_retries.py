"""The retry policy's form. Its fields are plain text on purpose: ``retry_policy_save`` gives the
messages (a number of retries beyond NACHA's limit is named as such, not "select a valid choice")."""

from __future__ import annotations

from django import forms

from remit.ach import retry_rules
from remit.site.forms import NUMBER_ATTRS

RETRY_CHOICES = [("0", "Off: don't retry"), ("1", "Retry once"), ("2", "Retry twice (NACHA's limit)")]


class RetryPolicyForm(forms.Form):
    retries = forms.CharField(
        label="Retries of payments returned for insufficient or uncollected funds (R01, R09)",
        required=False,
        widget=forms.Select(choices=RETRY_CHOICES),
    )
    timing = forms.CharField(
        label="When",
        required=False,
        widget=forms.Select(choices=list(retry_rules.TIMINGS.items())),
        help_text="The 1st or 15th that is not a banking day moves to the next banking day.",
    )
    days = forms.CharField(
        label="Banking days after the return arrives",
        required=False,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
        help_text=f"From 1 to {retry_rules.MAX_DAYS}, when retrying after a number of banking days.",
    )

    def values(self) -> tuple[int | None, str, int | None]:
        return _number(self.cleaned_data["retries"]), self.cleaned_data["timing"], _number(self.cleaned_data["days"])


def _number(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else None
