"""The console's CSV import page and CSV downloads. Staff may use them as well as owners.

The page calls the same importer as `remit import`: if any row has a problem, nothing is imported
and the page lists every problem with its line, so the biller fixes the file once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from remit.console.views import ConsoleRequest, View, console_view
from remit.invoices.exports import csv_response, invoices_csv_rows, payments_csv_rows
from remit.invoices.importer import CUSTOMERS, INVOICES, import_customers, import_invoices
from remit.lib.csv_table import MAX_BYTES, MAX_ROWS

IMPORTERS = {"customers": import_customers, "invoices": import_invoices}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("customers", "Customers"), ("invoices", "Invoices")],
        initial="invoices",
        help_text="Import your customers first: each invoice row names its customer.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV — in Excel, save as “CSV UTF-8 (Comma delimited)”. Up to {MAX_BYTES // 1024 // 1024} MB "
        f"and {MAX_ROWS:,} rows; the first line names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest accepted is "
                f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload


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
