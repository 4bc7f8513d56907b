"""Settings → Retries: the biller's policy for payments returned for insufficient or uncollected
funds (owner only; staff see it), with its history. The rules are ``remit.ach.retry_policy``'s."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from remit.ach.models import RetryPolicy, RetryPolicyChange
from remit.ach.retry_policy import RetryPolicyError, retry_policy_save
from remit.console.forms_retries import RetryPolicyForm
from remit.console.views import ConsoleRequest, console_view, read_only_for_staff
from remit.site.forms import add_action_error

HISTORY = 20
LABELS = {"retries": "Retries", "timing": "When", "days": "Banking days"}


def _shown(name: str, value: object) -> str:
    if value is None:
        return "—"
    if name == "retries":
        return {0: "off", 1: "once", 2: "twice"}.get(value, str(value))  # type: ignore[call-overload]
    if name == "timing":
        return str(dict(RetryPolicy.Timing.choices).get(str(value), value)).lower()
    return str(value)


def _history(biller_id: int) -> list[tuple[RetryPolicyChange, list[tuple[str, str, str]]]]:
    return [
        (change, [(LABELS[n], _shown(n, change.before.get(n)), _shown(n, v)) for n, v in change.after.items()])
        for change in RetryPolicyChange.objects.filter(biller_id=biller_id)[:HISTORY]
    ]


@console_view(owner_only=True)
def retry_settings(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    saved = RetryPolicy.objects.filter(biller=biller).first() or RetryPolicy(biller=biller)
    initial = {"retries": str(saved.retries), "timing": saved.timing, "days": str(saved.days)}
    form = RetryPolicyForm(request.POST or None, initial=initial)
    read_only_for_staff(request, form)
    if request.method == "POST" and form.is_valid():
        retries, timing, days = form.values()
        try:
            retry_policy_save(biller=biller, actor=request.user, retries=retries, timing=timing, days=days)
        except RetryPolicyError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Retry policy saved. It applies to returns imported from now on.")
            return redirect("console:retry_settings", slug=biller.slug)
    history = _history(biller.pk) if request.membership.is_owner else []
    return render(request, "console/ach/retries.html", {"form": form, "saved": saved, "history": history})
