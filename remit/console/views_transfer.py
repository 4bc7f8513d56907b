"""The console's CSV import page and CSV downloads. Staff may use them as well as owners.

The page calls the same importer as `remit import`: if any row has a problem, nothing is imported
and the page lists every problem with its line, so the biller fixes the file once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from remit.console.forms import ImportForm
from remit.console.views import ConsoleRequest, View, console_view
from remit.customers.importer import CUSTOMERS, import_customers
from remit.invoices.exports import csv_response, invoices_csv_rows, payments_csv_rows
from remit.invoices.importer import INVOICES, import_invoices

IMPORTERS = {"customers": import_customers, "invoices": import_invoices}


@console_view()
def import_file(request: ConsoleRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        importer = IMPORTERS[form.cleaned_data["kind"]]
        result = importer(biller=request.biller, actor=request.user, file=form.cleaned_data["file"])
        if result.ok:
            messages.success(request, result.summary())
            return redirect("console:import", slug=request.biller.slug)
        if all(problem.line == 0 for problem in result.problems):
            # Not UTF-8, empty, too large…: a problem with the file itself belongs at the file field.
            for problem in result.problems:
                form.add_error("file", problem.message)
            result = None
    return render(
        request,
        "console/import.html",
        {"form": form, "result": result, "layouts": [CUSTOMERS, INVOICES]},
    )


def streamed(view: Callable[[ConsoleRequest], StreamingHttpResponse]) -> View:
    """console_view is typed for HttpResponse; a streamed download is its sibling, which Django serves alike."""
    return cast(View, view)


@console_view()
@streamed
def export_invoices(request: ConsoleRequest) -> StreamingHttpResponse:
    filename = f"{request.biller.slug}-invoices-{timezone.localdate().isoformat()}.csv"
    return csv_response(invoices_csv_rows(request.biller), filename)


@console_view()
@streamed
def export_payments(request: ConsoleRequest) -> StreamingHttpResponse:
    filename = f"{request.biller.slug}-payments-{timezone.localdate().isoformat()}.csv"
    return csv_response(payments_csv_rows(request.biller), filename)
