"""The biller's customers: list and search, add, edit, archive."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remit.ach.export import customer_individual_id
from remit.autopay.models import AutoPay
from remit.console.forms_invoicing import CustomerForm
from remit.console.views import ConsoleRequest, console_view, page_query
from remit.console.views_email import customer_opt_outs
from remit.console.views_statements import monthly_on
from remit.customers import actions
from remit.customers.actions import CustomerError
from remit.customers.selectors import customer_of, customers_of
from remit.invoices.models import Invoice
from remit.ledger.amounts import balance_sql, status_filter
from remit.payments.controls import payment_rules
from remit.payments.credits import credit_available_cents
from remit.payments.models import Credit
from remit.recurring.selectors import templates_of
from remit.site.forms import add_action_error

PAGE_SIZE = 50


@console_view()
def customer_list(request: ConsoleRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    archived = request.GET.get("archived") == "1"
    today = timezone.localdate()
    customers = customers_of(request.biller, search=search, archived=archived)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    # One more query for the whole page: each customer's open invoices and what they still owe.
    open_amounts = {
        row["customer"]: row
        for row in Invoice.objects.filter(status_filter("outstanding", today), customer__in=[c.pk for c in page])
        .values("customer")
        .annotate(balance=Sum(balance_sql()), count=Count("pk"))
    }
    for customer in page:
        row = open_amounts.get(customer.pk, {})
        customer.open_balance_cents = row.get("balance", 0)  # type: ignore[attr-defined]
        customer.open_invoices = row.get("count", 0)  # type: ignore[attr-defined]
    query = page_query(request)
    return render(
        request, "console/customers/list.html", {"page": page, "search": search, "archived": archived, "query": query}
    )


@console_view()
def customer_new(request: ConsoleRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = actions.customer_create(
                biller=request.biller, actor=request.user, fields=form.fields_for_action()
            )
        except CustomerError as error:
            add_action_error(form, error)
        else:
            messages.success(request, f"{customer.name} was added.")
            return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)
    return render(request, "console/customers/form.html", {"form": form, "customer": None})


@console_view()
def customer_edit(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    form = CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    if request.method == "POST" and form.is_valid():
        try:
            actions.customer_update(customer=customer, actor=request.user, fields=form.fields_for_action())
        except CustomerError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)
    return render(request, "console/customers/form.html", {"form": form, "customer": customer})


@console_view()
def customer_detail(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    today = timezone.localdate()
    invoices = customer.invoices.order_by("-issue_date", "-pk")[:100]
    totals = Invoice.objects.filter(customer=customer).aggregate(
        outstanding=Sum(balance_sql(), filter=status_filter("outstanding", today)),
        overdue=Sum(balance_sql(), filter=status_filter("overdue", today)),
    )
    events = customer.events.select_related("actor", "api_key")[:10]
    reference = customer.reference.strip()
    ach_id = customer_individual_id(reference, customer.pk)  # what its ACH debits carry: the mapping, shown
    context = {
        "customer": customer,
        "invoices": invoices,
        "totals": totals,
        "events": events,
        "today": today,
        "autopay": AutoPay.objects.select_related("bank_account").filter(customer=customer).first(),
        "ach_id": ach_id,
        "ach_id_replaces_reference": bool(reference) and ach_id != reference.upper(),
        "payment_rules": payment_rules(customer),
        "opt_outs": customer_opt_outs(customer),
        "recurring": templates_of(request.biller).filter(customer=customer),
        "monthly_statements": monthly_on(customer.pk),
        "credits": Credit.objects.filter(customer=customer)
        .prefetch_related("applications__invoice")
        .order_by("-created_at", "-pk")[:50],
        "credit_available_cents": credit_available_cents(customer.pk),
    }
    return render(request, "console/customers/detail.html", context)


@console_view()
@require_POST
def customer_archive(request: ConsoleRequest, customer_id: int) -> HttpResponse:
    customer = customer_of(request.biller, customer_id)
    if request.POST.get("restore"):
        actions.customer_restore(customer=customer, actor=request.user)
        messages.success(request, f"{customer.name} is active again.")
    else:
        actions.customer_archive(customer=customer, actor=request.user)
        messages.success(request, f"{customer.name} was archived. Their invoices stay as they are.")
    return redirect("console:customer", slug=request.biller.slug, customer_id=customer.pk)
