"""The biller's ACH pages: the settings its bank gave it (owner only), the NACHA files Remit wrote
(listed with what became of their payments, and downloadable), the return files the bank sent back
(uploaded here, each with a page of what its import did: returns, notifications of change,
dishonored and contested returns, returned offsets, and the entries that are not the biller's) and a
reconciliation export.

The rules live in ``remit.ach``: these views parse, check who may act, call the action and answer.
Every read is scoped to the biller in the URL; another biller's file is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from remit.ach.actions import AchFields, AchSettingsError, ach_settings_save
from remit.ach.models import (
    AchCorrection,
    AchDishonor,
    AchEntry,
    AchFile,
    AchOffsetReturn,
    AchReturn,
    AchSettings,
    AchSettingsChange,
    InboundFile,
)
from remit.ach.returns import ImportResult, ReturnFileError, ach_import_returns
from remit.ach.stored import StoredFileChanged, StoredFileMissing, StoredFileUnopened, StoredFileUnreachable, open_file
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.console.forms_ach import AchSettingsForm, ReturnFileForm, time_zones
from remit.console.views import ConsoleRequest, View, console_view, page_query, read_only_for_staff
from remit.console.views_transfer import streamed
from remit.invoices.exports import CHUNK, csv_response, text_cell
from remit.lib.money import cents_to_plain
from remit.payments.models import PaymentStatus
from remit.site.forms import add_action_error

PAGE_SIZE = 50
HISTORY = 20  # changes of the ACH settings shown on their page, newest first
DOWNLOAD_OWNERS_ONLY = "Only an owner can download ACH files: they hold customers' account numbers."
RECENT = 100  # returns and corrections shown on the page; the reconciliation CSV has them all
IMPORTS = 20  # return files imported, newest first, on the files page
LISTED = 500  # rows of each kind on an import's page
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
    "Dishonored return",
]


def _initial(biller: Biller, saved: AchSettings | None) -> dict[str, Any]:
    values = dict(AchFields().__dict__)
    if saved is not None:
        values.update({name: getattr(saved, name) for name in values if hasattr(saved, name)})
        values["immediate_origin"] = saved.immediate_origin.strip()  # a routing number's blank is the file's
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
    if biller.time_zone not in dict(time_zones()):  # an alias saved before: still a choice
        form.fields["time_zone"].choices = [(biller.time_zone, biller.time_zone), *time_zones()]  # type: ignore[attr-defined]
    read_only_for_staff(request, form)
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
    offsets = Subquery(
        AchOffsetReturn.objects.filter(file=OuterRef("pk")).values("file").annotate(n=Count("pk")).values("n")[:1]
    )
    return (
        AchFile.objects.filter(biller=biller)
        .annotate(**counts, offsets_returned=offsets)
        .order_by("-created_at", "-pk")
    )


@console_view()
def ach_files(request: ConsoleRequest) -> HttpResponse:
    biller = request.biller
    page = Paginator(files_of(biller), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        FileRow(record, [(s, s.label, getattr(record, s)) for s in FILE_STATUSES if getattr(record, s)])
        for record in page
    ]
    returns = (
        AchReturn.objects.filter(entry__biller=biller)
        .select_related("entry__payment__customer")
        .prefetch_related("entry__dishonors")
    )
    corrections = AchCorrection.objects.filter(entry__biller=biller).select_related("entry__payment__customer")
    dishonors = AchDishonor.objects.filter(entry__biller=biller).select_related("entry__payment__customer", "inbound")
    context = {
        "page": page,
        "rows": rows,
        "query": page_query(request),
        "returns": returns[:RECENT],
        "corrections": corrections[:RECENT],
        "dishonors": dishonors[:RECENT],
        "offsets": AchOffsetReturn.objects.filter(file__biller=biller).select_related("file", "inbound")[:RECENT],
        "imports": InboundFile.objects.filter(biller=biller)[:IMPORTS],
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
    # From the shared file store, whichever instance answers. The bank moves money on what this file
    # says: never hand over one that changed since it was written (its SHA-256 is checked).
    try:
        handle = open_file(record)
    except StoredFileMissing:
        return _unavailable(request, record, status=404, problem="missing")
    except StoredFileChanged:
        return _unavailable(request, record, status=409, problem="changed")
    except StoredFileUnopened:
        return _unavailable(request, record, status=503, problem="keys")
    except StoredFileUnreachable:
        return _unavailable(request, record, status=503, problem="unreachable")
    response = FileResponse(
        handle, as_attachment=True, filename=record.filename, content_type="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"  # it holds customers' account numbers
    return response


def _unavailable(request: ConsoleRequest, record: AchFile, *, status: int, problem: str) -> HttpResponse:
    context = {"record": record, "problem": problem}
    return render(request, "console/ach/file_unavailable.html", context, status=status)


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
            shown = result.inbound
            if shown is not None and shown.biller_id == request.biller.pk:
                return redirect("console:ach_return_file", slug=request.biller.slug, inbound_id=shown.pk)
            return redirect("console:ach_files", slug=request.biller.slug)
    return render(request, "console/ach/upload.html", {"form": form})


@console_view()
def ach_return_file(request: ConsoleRequest, inbound_id: int) -> HttpResponse:
    """What the import of one return file did, and what in it is not the biller's."""
    biller = request.biller
    inbound = get_object_or_404(InboundFile.objects.select_related("imported_by"), biller=biller, pk=inbound_id)
    mine = Q(entry__biller=biller)
    customer = "entry__payment__customer"
    context = {
        "inbound": inbound,
        "returns": inbound.returns.filter(mine).select_related(customer)[:LISTED],
        "corrections": inbound.corrections.filter(mine).select_related(customer)[:LISTED],
        "dishonors": inbound.dishonors.filter(mine).select_related(customer)[:LISTED],
        "offsets": inbound.offset_returns.filter(file__biller=biller).select_related("file")[:LISTED],
        "not_ours": inbound.foreign_entries.all()[:LISTED],
        "listed": LISTED,
    }
    return render(request, "console/ach/return_file.html", context)


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
    if result.retries:
        said.append(_count(result.retries, "retry scheduled", "retries scheduled"))
    if result.dishonored:
        said.append(_count(result.dishonored, "dishonored or contested return", "dishonored or contested returns"))
    if result.restored:
        said.append(_count(result.restored, "payment restored", "payments restored"))
    if result.offset_returns:
        said.append(_count(result.offset_returns, "offset returned", "offsets returned"))
    if result.not_ours:
        said.append(_count(result.not_ours, "entry not yours, left alone", "entries not yours, left alone"))
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
    dishonor = AchDishonor.objects.filter(entry=OuterRef("pk")).order_by("-pk").values("code")[:1]
    rows = (
        AchEntry.objects.filter(biller=biller)
        .annotate(dishonor=Subquery(dishonor))
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
            "dishonor",
        )
    )
    for (
        filename,
        effective,
        batch,
        trace,
        customer,
        invoice,
        allocated,
        amount,
        status,
        code,
        dishonor,
    ) in rows.iterator(chunk_size=CHUNK):
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
            dishonor or "",
        ]
