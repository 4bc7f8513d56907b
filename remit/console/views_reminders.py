"""Settings → Reminders (the schedule and the late fee policy: owners change, staff look), Upcoming
reminders (the next 14 days), and pausing per customer or invoice. The rules are
``remit.reminders``'s."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from remit.console.forms_reminders import LateFeeForm, PauseForm, StepForm
from remit.console.views import ConsoleRequest, console_view, read_only_for_staff
from remit.customers.selectors import customer_of
from remit.invoices.models import Invoice
from remit.lib.money import cents_to_plain, format_cents
from remit.reminders import settings as actions
from remit.reminders.models import (
    LateFeeKind,
    LateFeePolicy,
    ReminderChange,
    ReminderPause,
    ReminderStep,
    describe_offset,
)
from remit.reminders.settings import ReminderError
from remit.reminders.upcoming import DAYS, upcoming_reminders
from remit.site.forms import add_action_error

HISTORY = 20
LABELS = {
    "offset_days": "day",
    "subject": "subject",
    "message": "message",
    "kind": "late fee",
    "fixed_cents": "amount",
    "percent": "percentage",
    "grace_days": "grace days",
}


def _shown(name: str, value: Any) -> str:
    if name == "offset_days":
        return describe_offset(int(value)).lower()
    if name == "fixed_cents":
        return format_cents(int(value))
    if name == "kind":
        return str(dict(LateFeeKind.choices).get(value, value)).lower()
    if name == "percent":
        return f"{value}%"
    return f"“{value}”" if value != "" else "none"


def _described(values: dict[str, Any]) -> str:
    """In the order of ``LABELS`` (PostgreSQL's jsonb keeps no order of its own)."""
    return ", ".join(f"{label} {_shown(name, values[name])}" for name, label in LABELS.items() if name in values)


def _history(biller_id: int) -> list[tuple[ReminderChange, str, str]]:
    changes = ReminderChange.objects.filter(biller_id=biller_id)[:HISTORY]
    return [(change, _described(change.before), _described(change.after)) for change in changes]


def _fee_initial(policy: LateFeePolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"kind": "none", "grace_days": "0"}
    return {
        "kind": policy.kind,
        "fixed": cents_to_plain(policy.fixed_cents) if policy.fixed_cents else "",
        "percent": str(policy.percent.normalize()) if policy.percent else "",
        "grace_days": str(policy.grace_days),
    }


@console_view(owner_only=True)
def reminder_settings(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    steps = list(ReminderStep.objects.filter(biller=biller))
    policy = LateFeePolicy.objects.filter(biller=biller).first()
    post = request.POST if request.method == "POST" else None
    what = post.get("action", "") if post else ""
    step_forms = {
        step.pk: StepForm(
            post if what == f"change-{step.pk}" else None,
            prefix=f"step-{step.pk}",
            initial={"offset_days": str(step.offset_days), "subject": step.subject, "message": step.message},
        )
        for step in steps
    }
    add_form = StepForm(post if what == "add" else None, prefix="new")
    fee_form = LateFeeForm(post if what == "fee" else None, initial=_fee_initial(policy))
    for form in [add_form, fee_form, *step_forms.values()]:
        read_only_for_staff(request, form)
    if post is not None:
        done = _act(request, what, add_form, fee_form, step_forms, steps)
        if done:
            messages.success(request, done)
            return redirect("console:reminder_settings", slug=biller.slug)
    context = {
        "steps": [(step, step_forms[step.pk]) for step in steps],
        "add_form": add_form,
        "fee_form": fee_form,
        "policy": policy,
        "history": _history(biller.pk) if request.membership.is_owner else [],
    }
    return render(request, "console/reminders/settings.html", context)


def _act(
    request: ConsoleRequest,
    what: str,
    add_form: StepForm,
    fee_form: LateFeeForm,
    step_forms: dict[int, StepForm],
    steps: list[ReminderStep],
) -> str:
    """Do what the POST asks; the message to show, or "" when a form has errors to show."""
    biller, user = request.biller, request.user
    by_id = {str(step.pk): step for step in steps}
    try:
        if what == "add" and add_form.is_valid():
            step = actions.reminder_step_add(biller=biller, actor=user, **_step_values(add_form))
            return f"Reminder added: {step.describe().lower()}."
        if what.startswith("change-") and what[7:] in by_id:
            form = step_forms[by_id[what[7:]].pk]
            if form.is_valid():
                actions.reminder_step_change(step=by_id[what[7:]], actor=user, **_step_values(form))
                return "Reminder saved."
            return ""
        if what.startswith("remove-") and what[7:] in by_id:
            actions.reminder_step_remove(step=by_id[what[7:]], actor=user)
            return "Reminder removed."
        if what == "fee" and fee_form.is_valid():
            kind, fixed, percent, grace = fee_form.values()
            actions.late_fee_policy_save(
                biller=biller, actor=user, kind=kind, fixed_cents=fixed, percent=percent, grace_days=grace
            )
            return "Late fee policy saved." + (" Confirm it to start adding fees." if kind != "none" else "")
        if what == "confirm":
            actions.late_fee_policy_confirm(biller=biller, actor=user)
            return "Late fee confirmed: it is added to invoices from the next round."
    except ReminderError as error:
        target = {"add": add_form, "fee": fee_form}.get(what)
        if target is None and what.startswith("change-"):
            target = step_forms[by_id[what[7:]].pk]
        if target is not None:
            add_action_error(target, error)
        else:
            messages.error(request, str(error))
    return ""


def _step_values(form: StepForm) -> dict[str, Any]:
    offset, subject, message = form.values()
    return {"offset_days": offset, "subject": subject, "message": message}


@console_view()
def reminders_upcoming(request: ConsoleRequest) -> HttpResponse:
    today = request.biller.today()
    rows = upcoming_reminders(request.biller, today=today)
    return render(request, "console/reminders/upcoming.html", {"rows": rows, "today": today, "days": DAYS})


def _pause_or_resume(request: ConsoleRequest, **target: Any) -> None:
    user = request.user
    if request.POST.get("resume"):
        pause = get_object_or_404(ReminderPause, pk=request.POST["resume"], biller=request.biller, **target)
        try:
            actions.reminders_resume(pause=pause, actor=user)
        except ReminderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Reminders resumed.")
        return
    form = PauseForm(request.POST)
    form.is_valid()
    try:
        actions.reminders_pause(actor=user, reason=form.cleaned_data.get("reason", ""), **target)
    except ReminderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Reminders paused.")


@console_view()
@require_POST
def customer_reminders(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    _pause_or_resume(request, customer=customer)
    return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)


@console_view()
@require_POST
def invoice_reminders(request: ConsoleRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, biller=request.biller, pk=invoice_id)
    _pause_or_resume(request, invoice=invoice)
    return redirect("console:invoice", slug=request.biller.slug, invoice_id=invoice.pk)
