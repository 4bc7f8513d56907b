"""Recurring invoices in the console: the templates of a customer (new, edit, pause, resume,
delete), the upcoming dates across customers (skip one, pause), and the invoices held for review
(send or skip). Every change goes through ``remit.recurring.actions``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from remit.console.forms_invoicing import LineFormSet, valid_lines
from remit.console.forms_recurring import ReasonForm, RecurringForm, SkipForm
from remit.console.views import ConsoleRequest, console_view
from remit.customers.models import Customer
from remit.customers.selectors import customer_of
from remit.recurring import actions
from remit.recurring.actions import RecurringError
from remit.recurring.models import RecurringInvoice
from remit.recurring.selectors import held_for_review, issue_of, next_dates, template_of, templates_of, upcoming


@console_view()
def recurring_list(request: ConsoleRequest) -> HttpResponse:
    today = request.biller.today()
    context = {
        "held": held_for_review(request.biller),
        "upcoming": upcoming(request.biller, today=today),
        "templates": templates_of(request.biller).order_by("customer__name", "pk"),
        "today": today,
    }
    return render(request, "console/recurring/list.html", context)


def _form_page(
    request: ConsoleRequest, customer: Customer, template: RecurringInvoice | None
) -> tuple[RecurringForm, Any, RecurringInvoice | None]:
    """Bind, check and save the form; the saved template, or None to show the form (again)."""
    posted = request.POST if request.method == "POST" else None
    if template is None:
        initial: dict[str, Any] = {"start_on": request.biller.today(), "terms": request.biller.default_terms}
        lines_initial = [{"quantity": "1"}]
    else:
        initial = RecurringForm.initial_for(template)
        lines_initial = [
            {
                "description": line.description,
                "quantity": f"{line.quantity.normalize():f}",
                "unit_price": f"{line.unit_price_cents / 100:.2f}",
            }
            for line in template.lines.all()
        ]
    if posted is not None and "add_line" in posted:
        data = posted.copy()
        data["lines-TOTAL_FORMS"] = str(int(data.get("lines-TOTAL_FORMS", "1")) + 1)
        return RecurringForm(data), LineFormSet(data, prefix="lines"), None
    form = RecurringForm(posted, initial=initial)
    formset: Any = LineFormSet(posted, prefix="lines", initial=lines_initial)
    if posted is None:
        return form, formset, None
    lines = valid_lines(formset)
    if not form.is_valid() or lines is None:
        return form, formset, None
    fields = form.fields_for_action(customer, lines)
    try:
        if template is None:
            saved = actions.recurring_create(biller=request.biller, actor=request.user, fields=fields)
        else:
            saved = actions.recurring_update(template=template, actor=request.user, fields=fields)
    except RecurringError as error:
        for name, problems in error.errors.items():
            for problem in problems:
                if name in form.fields:
                    form.add_error(name, problem)
                else:
                    formset._non_form_errors = [*formset.non_form_errors(), problem]
        return form, formset, None
    return form, formset, saved


@console_view()
def recurring_new(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    form, formset, saved = _form_page(request, customer, None)
    if saved is not None:
        messages.success(request, f"The recurring invoice for {customer.name} was created.")
        return redirect("console:recurring_detail", slug=request.biller.slug, template_id=saved.pk)
    context = {"form": form, "formset": formset, "customer": customer, "template": None}
    return render(request, "console/recurring/form.html", context)


@console_view()
def recurring_edit(request: ConsoleRequest, template_id: int) -> HttpResponse:
    template = template_of(request.biller, template_id)
    form, formset, saved = _form_page(request, template.customer, template)
    if saved is not None:
        messages.success(request, "Saved. The invoices not yet issued follow the new version.")
        return redirect("console:recurring_detail", slug=request.biller.slug, template_id=saved.pk)
    context = {"form": form, "formset": formset, "customer": template.customer, "template": template}
    return render(request, "console/recurring/form.html", context)


@console_view()
def recurring_detail(request: ConsoleRequest, template_id: int) -> HttpResponse:
    template = template_of(request.biller, template_id)
    context = {
        "template": template,
        "upcoming": next_dates(template),
        "issues": template.issues.select_related("invoice", "actor")[:100],
        "changes": template.changes.select_related("actor")[:50],
    }
    return render(request, "console/recurring/detail.html", context)


def _back(request: ConsoleRequest, template: RecurringInvoice) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("console:recurring_detail", slug=request.biller.slug, template_id=template.pk)


STATUS_ACTIONS = {
    "pause": (actions.recurring_pause, "Paused: no invoice is issued until you resume it."),
    "resume": (actions.recurring_resume, "Resumed: the next invoice is issued on its date."),
    "delete": (actions.recurring_delete, "Deleted. The invoices already issued stay as they are."),
}


@console_view()
@require_POST
def recurring_status(request: ConsoleRequest, template_id: int) -> HttpResponse:
    template = template_of(request.biller, template_id)
    chosen = STATUS_ACTIONS.get(request.POST.get("action", ""))
    form = ReasonForm(request.POST)
    if chosen is None or not form.is_valid():
        messages.error(request, "Choose pause, resume or delete (a reason has at most 500 characters).")
        return _back(request, template)
    action, done = chosen
    try:
        action(template=template, actor=request.user, reason=form.cleaned_data["reason"])
    except RecurringError as error:
        messages.error(request, str(error))
        return _back(request, template)
    messages.success(request, done)
    if request.POST.get("action") == "delete":
        return redirect("console:customer", slug=request.biller.slug, customer_id=template.customer_id)
    return _back(request, template)


@console_view()
@require_POST
def recurring_skip(request: ConsoleRequest, template_id: int) -> HttpResponse:
    template = template_of(request.biller, template_id)
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the reason for skipping this date.")
        return _back(request, template)
    day = form.cleaned_data["scheduled_on"]
    try:
        actions.recurring_skip(
            template=template, actor=request.user, scheduled_on=day, reason=form.cleaned_data["reason"]
        )
    except RecurringError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Skipped: no invoice for {template.customer.name} on {day:%b %-d, %Y}.")
    return _back(request, template)


@console_view()
@require_POST
def recurring_issue_send(request: ConsoleRequest, issue_id: int) -> HttpResponse:
    issue = issue_of(request.biller, issue_id)
    try:
        issue = actions.recurring_issue_send(issue=issue, actor=request.user)
    except RecurringError as error:
        messages.error(request, str(error))
        return redirect("console:recurring", slug=request.biller.slug)
    assert issue.invoice is not None
    if issue.emailed:
        messages.success(request, f"Invoice {issue.invoice.number} was issued and emailed.")
    else:
        messages.warning(request, f"Invoice {issue.invoice.number} was issued. {issue.note}")
    return redirect("console:invoice", slug=request.biller.slug, invoice_id=issue.invoice.pk)
