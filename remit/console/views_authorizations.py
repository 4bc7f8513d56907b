"""The biller's ACH authorization records: who accepted which Terms of Service for which bank
account, when and from where. NACHA asks the biller to keep them two years after they end and to
produce them when a bank asks, so the page shows them all (newest first) and the CSV carries the
exact text each customer accepted. Staff may look as well as owners."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remit.billers.models import Biller
from remit.console.views import ConsoleRequest, console_view, page_query
from remit.console.views_transfer import streamed
from remit.invoices.exports import CHUNK, csv_response, text_cell
from remit.lib.errors import ActionError
from remit.payments.models import AchAuthorization
from remit.payments.validation import validation_unlock

PAGE_SIZE = 50
HEADER = [
    "Customer",
    "Customer account type",
    "Accepted by",
    "Email",
    "Bank account",
    "Routing number",
    "Name on the account",
    "Terms version",
    "Terms SHA-256",
    "Accepted at",
    "IP address",
    "User agent",
    "Ended at",
    "Validation method",
    "Validation status",
    "Validated at",
    "Validation record",
    "Terms text",
]


def authorizations_of(biller: Biller, *, search: str = "") -> QuerySet[AchAuthorization]:
    records = AchAuthorization.objects.filter(customer__biller=biller).select_related(
        "customer", "accepted_by", "validation"
    )
    if search:
        records = records.filter(customer__name__icontains=search)
    return records.order_by("-accepted_at", "-pk")


@console_view()
def authorizations(request: ConsoleRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    records = authorizations_of(request.biller, search=search).defer("terms_text")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "search": search, "query": page_query(request)}
    return render(request, "console/authorizations.html", context)


@console_view()
@streamed
def authorizations_export(request: ConsoleRequest) -> StreamingHttpResponse:
    search = request.GET.get("q", "").strip()
    filename = f"{request.biller.slug}-ach-authorizations-{timezone.localdate().isoformat()}.csv"
    return csv_response(authorization_rows(request.biller, search=search), filename)


def _instant(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def authorization_rows(biller: Biller, *, search: str = "") -> Iterator[list[str]]:
    yield HEADER
    for record in authorizations_of(biller, search=search).iterator(chunk_size=CHUNK):
        yield [
            text_cell(record.customer.name),
            record.customer_account_type.title(),
            text_cell(record.accepted_by.get_full_name() or record.accepted_by_email),
            text_cell(record.accepted_by_email),
            record.account_masked,
            record.routing_number,
            text_cell(record.holder_name),
            record.terms_version,
            record.terms_sha256,
            _instant(record.accepted_at),
            record.ip_address or "",
            text_cell(record.user_agent),
            _instant(record.ended_at),
            *_validation_cells(record),
            text_cell(record.terms_text),
        ]


def _validation_cells(record: AchAuthorization) -> list[str]:
    """The account's validation, kept with its authorization (none for records from before it)."""
    validation = getattr(record, "validation", None)
    if validation is None:
        return ["", "", "", ""]
    return [
        validation.get_method_display(),
        validation.get_status_display(),
        _instant(validation.validated_at),
        text_cell(validation.note),
    ]


@console_view(owner_only=True)
@require_POST
def validation_unlock_view(request: ConsoleRequest, validation_id: int) -> HttpResponse:
    """An owner unlocks a verification that three wrong amounts locked: new small deposits go out."""
    try:
        validation = validation_unlock(biller=request.biller, actor=request.user, validation_id=validation_id)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Unlocked {validation.bank_account.masked_number}: two new small deposits go in your next ACH file, "
            "and the customer can verify the account with them.",
        )
    return redirect("console:authorizations", slug=request.biller.slug)
