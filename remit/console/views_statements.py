"""A customer's statements in the console: preview and **Email statement** for a chosen period, and
the **Monthly statements** switch (sent on the 1st by the worker, ``statements.tasks``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from remit.console.views import ConsoleRequest, console_view
from remit.customers.selectors import customer_of
from remit.lib.money import format_cents
from remit.site.forms import add_action_error
from remit.site.forms_statements import StatementPeriodForm, period_form
from remit.statements.actions import monthly_statements_set, statement_email
from remit.statements.core import StatementError
from remit.statements.gather import statement_for
from remit.statements.models import MonthlyStatements, StatementEvent


def monthly_on(customer_id: int) -> bool:
    return MonthlyStatements.objects.filter(customer_id=customer_id, enabled=True).exists()


@console_view()
def customer_statement(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    today = customer.biller.today()
    if request.method == "POST":
        form = StatementPeriodForm(request.POST, today=today)
        period = form.chosen()
        if period is not None:
            try:
                sent = statement_email(customer=customer, start=period[0], end=period[1], actor=request.user)
            except StatementError as error:
                add_action_error(form, error)
            else:
                messages.success(
                    request,
                    f"Statement for {sent.period_start:%b %-d, %Y} – {sent.period_end:%b %-d, %Y} "
                    f"({format_cents(sent.closing_cents)}) emailed to {', '.join(sent.recipients)}.",
                )
                return redirect("console:customer_statement", slug=request.biller.slug, customer_id=customer.pk)
    else:
        form = period_form(request.GET, today=today, default="last_month")
        period = form.chosen()
    statement = statement_for(customer, start=period[0], end=period[1]) if period else None
    context = {
        "customer": customer,
        "form": form.shown(),
        "statement": statement,
        "monthly": monthly_on(customer.pk),
        "events": StatementEvent.objects.filter(customer=customer).select_related("actor")[:20],
    }
    return render(request, "console/customers/statement.html", context, status=400 if form.errors else 200)


@console_view()
@require_POST
def customer_monthly_statements(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    enabled = request.POST.get("enabled") == "1"
    monthly_statements_set(customer=customer, enabled=enabled, actor=request.user)
    if enabled:
        messages.success(request, f"{customer.name} gets a statement on the 1st of every month.")
    else:
        messages.success(request, f"Monthly statements to {customer.name} are off.")
    page = "console:customer_statement" if request.POST.get("next") == "statement" else "console:customer"
    return redirect(page, slug=request.biller.slug, customer_id=customer.pk)
