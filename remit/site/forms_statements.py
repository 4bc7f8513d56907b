"""The period chooser of the portal's Statements page and the console's Email statement (both use it,
so it lives in the shell): a named period (this month, last month…) or custom dates. ``from`` and
``to`` are the fields' names, as in the API, so a refusal of ``check_period`` lands at the same field
everywhere."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from remit.site.forms import add_action_error
from remit.statements.core import DEFAULT_PERIOD, PERIODS, StatementError, check_period, period_dates

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StatementPeriodForm(forms.Form):
    period = forms.ChoiceField(label="Period", choices=PERIODS, initial=DEFAULT_PERIOD)

    def __init__(self, *args: Any, today: date, default: str = DEFAULT_PERIOD, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["from"] = forms.DateField(label="From", required=False, widget=DATE_INPUT)
        self.fields["to"] = forms.DateField(label="To", required=False, widget=DATE_INPUT)
        if not self.is_bound and "from" not in self.initial:
            start, end = period_dates(default, today=today)
            self.initial.update({"period": default, "from": start, "to": end})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period")
        if period and period != "custom":
            data["from"], data["to"] = period_dates(period, today=self.today)
        elif period == "custom" and not self.has_error("from") and not self.has_error("to"):
            try:
                data["from"], data["to"] = check_period(data.get("from"), data.get("to"))
            except StatementError as error:
                add_action_error(self, error)
        return data

    def chosen(self) -> tuple[date, date] | None:
        """The period chosen (the default one when nothing was), or None when the choice is refused."""
        if not self.is_bound:
            return self.initial["from"], self.initial["to"]
        if not self.is_valid():
            return None
        return self.cleaned_data["from"], self.cleaned_data["to"]

    def shown(self) -> StatementPeriodForm:
        """The form to show again: once a named period is chosen, with its dates in From and To."""
        if not self.is_bound or not self.is_valid():
            return self
        start, end = self.cleaned_data["from"], self.cleaned_data["to"]
        return StatementPeriodForm(
            today=self.today, initial={"period": self.cleaned_data["period"], "from": start, "to": end}
        )


def period_form(data: Any, *, today: date, default: str = DEFAULT_PERIOD) -> StatementPeriodForm:
    """The form bound to a query string that chose something, else unbound (the default period)."""
    return StatementPeriodForm(data if data.get("period") else None, today=today, default=default)
