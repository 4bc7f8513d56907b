"""The biller's ACH pages: the settings its bank gave it (owner only), the NACHA files Remit wrote
(listed with what became of their payments, and downloadable), the return files the bank sent back
(uploaded here) and a reconciliation export.

The rules live in ``remit.ach``: these views parse, check who may act, call the action and answer.
Every read is scoped to the biller in the URL; another biller's file is a 404.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from remit.ach.actions import AchFields, AchSettingsError, ach_settings_save
from remit.ach.export import outbound_dir
from remit.ach.models import AchCorrection, AchEntry, AchFile, AchReturn, AchSettings, AchSettingsChange
from remit.ach.returns import ImportResult, ReturnFileError, ach_import_returns
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.console.views import ConsoleRequest, View, console_view, page_query
from remit.console.views_transfer import streamed
from remit.invoices.exports import CHUNK, csv_response, text_cell
from remit.lib.money import cents_to_plain
from remit.payments.models import BankAccountType, PaymentStatus
from remit.site.forms import NUMBER_ATTRS, NeverRedisplayedInput, add_action_error

PAGE_SIZE = 50
HISTORY = 20  # changes of the ACH settings shown on their page, newest first
DOWNLOAD_OWNERS_ONLY = "Only an owner can download ACH files: they hold customers' account numbers."
RECENT = 100  # returns and corrections shown on the page; the reconciliation CSV has them all
MAX_RETURN_FILE_BYTES = 10 * 1024 * 1024
FILE_STATUSES = (PaymentStatus.SENT, PaymentStatus.SETTLED, PaymentStatus.RETURNED)
RECONCILIATION_HEADER = [
    "File",
    "Effective date",
    "Batch",
    "Trace number",
    "Customer",
    "Invoice",
    "Amount",
    "Status",
    "Return code",
]


REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def _time_zones() -> list[tuple[str, str]]:
    """The IANA zones by region (not the old aliases such as US/Eastern or EST5EDT), and UTC."""
    names = sorted(name for name in available_timezones() if name.split("/")[0] in REGIONS and "/" in name)
    return [(name, name.replace("_", " ")) for name in [*names, "UTC"]]


def _text(label: str, *, help_text: str = "", numeric: bool = False) -> forms.CharField:
    attrs = NUMBER_ATTRS if numeric else {"autocomplete": "off"}
    return forms.CharField(label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class AchSettingsForm(forms.Form):
    """Every field is optional here: ``check_ach_fields`` gives the messages, all at once."""

    odfi_routing = _text(
        "Bank routing number (immediate destination)",
        help_text="The 9-digit routing number of your bank, where Remit's files go.",
        numeric=True,
    )
    immediate_origin = _text("Immediate origin", help_text="10 characters, as your bank says: often 1 and your EIN.")
    destination_name = _text("Bank name", help_text="Your bank's name, up to 23 characters.")
    origin_name = _text("Origin name", help_text="Your business's name as your bank knows it, up to 23 characters.")
    company_name = _text(
        "Company name (on your customers' statements)",
        help_text="Up to 16 characters: what your customers see next to the debit on their bank statement.",
    )
    company_id = _text("Company identification", help_text="10 letters or digits, e.g. 1 followed by your EIN.")
    entry_description = _text(
        "Company entry description",
        help_text="Up to 10 characters on your customers' statements, e.g. INVOICE.",
    )
    cutoff_time = forms.TimeField(
        label="Daily cut-off time",
        required=False,
        help_text="Your bank's deadline for the next banking day's file. Payments made later wait a day.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=_time_zones, help_text="The time zone of the cut-off.")
    balanced = forms.BooleanField(
        label="Balanced files",
        required=False,
        help_text="Each batch ends with a credit to your settlement account that offsets its debits. "
        "Ask your bank whether it wants balanced files.",
    )
    settlement_routing = _text("Settlement account routing number", numeric=True)
    settlement_account = forms.CharField(
        label="Settlement account number",
        required=False,
        help_text="4 to 17 digits: the account the debits are credited to. Stored encrypted.",
        widget=NeverRedisplayedInput(attrs=NUMBER_ATTRS),
    )
    settlement_account_type = forms.ChoiceField(label="Settlement account type", choices=BankAccountType.choices)
    settlement_days = forms.IntegerField(
        label="Settlement days",
        required=False,
        help_text="Banking days after the effective date without a return, after which a payment counts as "
        "settled (1 to 10).",
    )

    def fields_for_action(self) -> AchFields:
        data = self.cleaned_data
        return AchFields(**{name: data[name] for name in AchFields.__dataclass_fields__})


def _initial(biller: Biller, saved: AchSettings | None) -> dict[str, Any]:
    values = dict(AchFields().__dict__)
    if saved is not None:
        values.update({name: getattr(saved, name) for name in values if hasattr(saved, name)})
    values.update(cutoff_time=biller.ach_cutoff_time, time_zone=biller.time_zone, settlement_account="")
    return values


@dataclass(frozen=True)
class ChangeRow:
    """One line of the settings' history: who and when, and each changed field as (label, before, after)."""

    change: AchSettingsChange
    fields: list[tuple[str, str, str]]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _history(biller: Biller, form: AchSettingsForm) -> list[ChangeRow]:
    """The newest changes, each field named by its label on the form above them."""

    def label(name: str) -> str:
        return str(form.fields[name].label) if name in form.fields else name

    def row(change: AchSettingsChange) -> ChangeRow:
        return ChangeRow(
            change, [(label(name), _shown(change.before.get(name)), _shown(new)) for name, new in change.after.items()]
        )

    return [row(change) for change in AchSettingsChange.objects.filter(biller=biller)[:HISTORY]]


@console_view(owner_only=True)
def ach_settings(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    saved = AchSettings.objects.filter(biller=biller).first()
    form = AchSettingsForm(request.POST or None, initial=_initial(biller, saved))
    if saved is not None and saved.settlement_account_last4:
        kept = f"Saved: ••••{saved.settlement_account_last4}. Leave empty to keep it; type a new number to replace it."
        form.fields["settlement_account"].help_text = kept
    if biller.time_zone not in dict(_time_zones()):  # an alias saved before: still a choice
        form.fields["time_zone"].choices = [(biller.time_zone, biller.time_zone), *_time_zones()]  # type: ignore[attr-defined]
    if not request.membership.is_owner:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            ach_settings_save(biller=biller, actor=request.user, fields=form.fields_for_action())
        except AchSettingsError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "ACH settings saved. The next file uses them.")
            return redirect("console:ach_settings", slug=biller.slug)
    history = _history(biller, form) if request.membership.is_owner else []
    return render(request, "console/ach/settings.html", {"form": form, "saved": saved, "history": history})


# --- Files and returns ---------------------------------------------------------------------------


@dataclass
class FileRow:
    record: AchFile
    statuses: list[tuple[str, str, int]]  # (status, its label, how many of the file's payments have it)


def files_of(biller: Biller) -> QuerySet[AchFile]:
    """The biller's files, newest first, each with how many of its payments are in each status."""
    counts = {str(status): Count("entries", filter=Q(entries__payment__status=status)) for status in FILE_STATUSES}
    return AchFile.objects.filter(biller=biller).annotate(**counts).order_by("-created_at", "-pk")


@console_view()
def ach_files(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    page = Paginator(files_of(biller), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        FileRow(record, [(s, s.label, getattr(record, s)) for s in FILE_STATUSES if getattr(record, s)])
        for record in page
    ]
    returns = AchReturn.objects.filter(entry__biller=biller).select_related("entry__payment__customer")
    corrections = AchCorrection.objects.filter(entry__biller=biller).select_related("entry__payment__customer")
    context = {
        "page": page,
        "rows": rows,
        "query": page_query(request),
        "returns": returns[:RECENT],
        "corrections": corrections[:RECENT],
        "recent": RECENT,
        "has_settings": AchSettings.objects.filter(biller=biller).exists(),
    }
    return render(request, "console/ach/files.html", context)


def _serves_files(view: Callable[[ConsoleRequest, int], HttpResponse | FileResponse]) -> View:
    """console_view is typed for HttpResponse; a FileResponse is its streamed sibling, which Django serves alike."""
    return cast(View, view)


@console_view()
@_serves_files
def ach_file_download(request: ConsoleRequest, file_id: int) -> HttpResponse | FileResponse:
    record = get_object_or_404(AchFile, biller=request.biller, pk=file_id)
    # The file holds customers' full account numbers: only an owner takes it to the bank.
    require_owner(request.biller, request.user, message=DOWNLOAD_OWNERS_ONLY)
    path = outbound_dir() / record.filename
    if path.name != record.filename or not path.is_file():
        return _unavailable(request, record, status=404, problem="missing")
    handle = path.open("rb")
    # The bank moves money on what this file says: never hand over one that changed since it was written.
    if hashlib.file_digest(handle, "sha256").hexdigest() != record.sha256:
        handle.close()
        return _unavailable(request, record, status=409, problem="changed")
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=record.filename, content_type="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"  # it holds customers' account numbers
    return response


def _unavailable(request: ConsoleRequest, record: AchFile, *, status: int, problem: str) -> HttpResponse:
    context = {"record": record, "problem": problem, "folder": outbound_dir()}
    return render(request, "console/ach/file_unavailable.html", context, status=status)


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label="Return file",
        help_text="The return or notification-of-change file your bank sent, as it sent it (NACHA format).",
    )

    filename = "return file"

    def clean_file(self) -> str:
        """The file's text: a NACHA file is ASCII, so anything else is refused here."""
        upload: UploadedFile = self.cleaned_data["file"]
        self.filename = upload.name or self.filename
        if upload.size is not None and upload.size > MAX_RETURN_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; a return file is much smaller. "
                "Check that this is the file your bank sent."
            )
        raw = upload.read()
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"The file is not plain ASCII text (byte {error.start + 1} is not), so it is not a NACHA file. "
                "Nothing was imported."
            ) from None


@console_view(owner_only=True)
def ach_returns_upload(request: ConsoleRequest) -> HttpResponse:
    form = ReturnFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filename = form.filename
        try:
            result = ach_import_returns(
                text=form.cleaned_data["file"], filename=filename, biller=request.biller, actor=request.user
            )
        except ReturnFileError as error:
            where = f"Line {error.line}: {error.reason}" if error.line else error.reason[:1].upper() + error.reason[1:]
            form.add_error(None, f"{where}. Nothing was imported.")
        else:
            _tell_imported(request, filename, result)
            return redirect("console:ach_files", slug=request.biller.slug)
    return render(request, "console/ach/upload.html", {"form": form})


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _tell_imported(request: ConsoleRequest, filename: str, result: ImportResult) -> None:
    if result.already_imported:
        messages.info(request, f"{filename} was imported before: nothing changed.")
        return
    said = [
        _count(result.returned, "payment returned", "payments returned"),
        _count(result.corrected, "notification of change applied", "notifications of change applied"),
    ]
    if result.blocked_accounts:
        said.append(_count(result.blocked_accounts, "bank account blocked", "bank accounts blocked"))
    messages.success(request, f"{filename} imported: {', '.join(said)}.")


# --- Reconciliation ------------------------------------------------------------------------------


@console_view()
@streamed
def ach_reconciliation(request: ConsoleRequest) -> StreamingHttpResponse:
    filename = f"{request.biller.slug}-ach-reconciliation-{timezone.localdate().isoformat()}.csv"
    return csv_response(reconciliation_rows(request.biller), filename)


def reconciliation_rows(biller: Biller) -> Iterator[list[str]]:
    """One row per entry and invoice it pays (an entry without allocations: one row, no invoice),
    read as plain values a chunk at a time, so memory stays flat however many entries there are."""
    yield RECONCILIATION_HEADER
    rows = (
        AchEntry.objects.filter(biller=biller)
        .order_by("file__created_at", "file_id", "batch_number", "trace_number", "payment__allocations__pk")
        .values_list(
            "file__filename",
            "file__effective_date",
            "batch_number",
            "trace_number",
            "payment__customer__name",
            "payment__allocations__invoice__number",
            "payment__allocations__amount_cents",
            "amount_cents",
            "payment__status",
            "ach_return__code",
        )
    )
    for filename, effective, batch, trace, customer, invoice, allocated, amount, status, code in rows.iterator(
        chunk_size=CHUNK
    ):
        yield [
            filename,
            effective.isoformat(),
            str(batch),
            trace,
            text_cell(customer),
            text_cell(invoice or ""),
            cents_to_plain(amount if allocated is None else allocated),
            PaymentStatus(status).label,
            code or "",
        ]
