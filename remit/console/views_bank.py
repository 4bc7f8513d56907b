"""ACH → Bank connection: the biller's SFTP connection to its bank (owner only: staff may look), the
public key to give the bank, the host key to confirm, Test connection, the delivery log and the
files picked up from the bank. The rules live in ``remit.bank``; these views parse, call, answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from remit.bank import sftp
from remit.bank.connections import (
    OWNERS_ONLY,
    bank_connection_save,
    bank_connection_test,
    bank_host_key_pin,
    bank_key_generate,
)
from remit.bank.delivery import bank_delivery_by_hand
from remit.bank.models import BankConnection, BankConnectionChange, FileDelivery, PickedUpFile
from remit.bank.pickup import bank_pickup_retry
from remit.billers.permissions import require_owner
from remit.console.forms_bank import BankConnectionForm, HostKeyForm
from remit.console.views import ConsoleRequest, console_view, read_only_for_staff
from remit.lib.errors import ActionError
from remit.site.forms import add_action_error

RECENT = 30
LABELS = {
    "host": "SFTP server",
    "port": "port",
    "username": "user name",
    "auth": "sign in with",
    "outbound_dir": "folder for Remit's files",
    "inbound_dir": "folder of the bank's files",
    "enabled": "automatic",
    "host_key": "host key",
    "pgp_bank_key": "bank's PGP key",
    "pgp_own_key": "your PGP key",
    "ssh_key": "SSH key",
    "password": "password",
    "pgp_own_passphrase": "PGP passphrase",
}


def _initial(connection: BankConnection | None) -> dict[str, Any]:
    if connection is None:
        return {"port": 22, "auth": "key", "outbound_dir": "/", "inbound_dir": "/"}
    names = ("host", "port", "username", "auth", "outbound_dir", "inbound_dir", "enabled")
    return {name: getattr(connection, name) for name in names}


def _said(name: str, before: Any, after: Any) -> str:
    label = LABELS.get(name, name)
    if after == "changed":
        return f"{label} changed"
    if isinstance(after, bool):
        return f"{label} turned {'on' if after else 'off'}"
    if after in ("", None):
        return f"{label} removed"
    return f"{label} {before if before not in ('', None) else '—'} → {after}"


def _history(biller: Any) -> list[tuple[BankConnectionChange, list[str]]]:
    changes = BankConnectionChange.objects.filter(biller=biller)[:RECENT]
    return [(change, [_said(n, change.before.get(n), v) for n, v in change.after.items()]) for change in changes]


def _page(request: ConsoleRequest, form: BankConnectionForm, **extra: Any) -> HttpResponse:
    biller = request.biller
    connection = BankConnection.objects.filter(biller=biller).first()
    is_owner = request.membership.is_owner
    read_only_for_staff(request, form)
    context = {
        "form": form,
        "connection": connection,
        "deliveries": FileDelivery.objects.filter(biller=biller).select_related("file")[:RECENT],
        "picked_up": PickedUpFile.objects.filter(biller=biller).defer("content_encrypted")[:RECENT],
        "history": _history(biller) if is_owner else [],
        **extra,
    }
    return render(request, "console/bank/connection.html", context)


@console_view(owner_only=True)
def bank_connection(request: ConsoleRequest) -> HttpResponse:
    connection = BankConnection.objects.filter(biller=request.biller).first()
    form = BankConnectionForm(request.POST or None, request.FILES or None, initial=_initial(connection))
    if request.method == "POST" and form.is_valid():
        fields = form.fields_for_action()
        if not form.errors:
            try:
                bank_connection_save(biller=request.biller, actor=request.user, fields=fields)
            except ActionError as error:
                add_action_error(form, error)
            else:
                messages.success(request, "Bank connection saved. Use Test connection to check it.")
                return redirect("console:bank_connection", slug=request.biller.slug)
    return _page(request, form)


@console_view(owner_only=True)
@require_POST
def bank_key(request: ConsoleRequest) -> HttpResponse:
    bank_key_generate(biller=request.biller, actor=request.user)
    messages.success(
        request, "Remit made a new SSH key. Give the public key below to your bank: the old one stops working."
    )
    return redirect("console:bank_connection", slug=request.biller.slug)


@console_view(owner_only=True)
@require_POST
def bank_test(request: ConsoleRequest) -> HttpResponse:
    report = bank_connection_test(biller=request.biller)
    if report.ok:
        messages.success(request, "Test connection: everything works.")
    else:
        messages.error(request, f"Test connection failed. {report.lines[-1]}")
    return redirect("console:bank_connection", slug=request.biller.slug)


@console_view(owner_only=True)
def bank_host_key(request: ConsoleRequest) -> HttpResponse:
    """POST without a key: fetch the server's key and show its fingerprint to confirm. POST with the
    key (the confirm button): pin it."""
    require_owner(request.biller, request.user, message=OWNERS_ONLY)
    connection = BankConnection.objects.filter(biller=request.biller).first()
    if request.method != "POST" or connection is None or not connection.host:
        return redirect("console:bank_connection", slug=request.biller.slug)
    confirm = HostKeyForm(request.POST)
    if confirm.is_valid():
        try:
            bank_host_key_pin(biller=request.biller, actor=request.user, host_key=confirm.cleaned_data["host_key"])
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The bank's host key is confirmed: Remit trusts this key only.")
        return redirect("console:bank_connection", slug=request.biller.slug)
    try:
        key = sftp.fetch_host_key(connection.host, connection.port)
    except sftp.SftpError as error:
        messages.error(request, f"Could not fetch the host key: {error}")
        return redirect("console:bank_connection", slug=request.biller.slug)
    context = {"connection": connection, "key": key, "form": HostKeyForm(initial={"host_key": key.text})}
    return render(request, "console/bank/host_key.html", context)


@console_view(owner_only=True)
@require_POST
def bank_pickup_again(request: ConsoleRequest, picked_up_id: int) -> HttpResponse:
    try:
        bank_pickup_retry(biller=request.biller, actor=request.user, picked_up_id=picked_up_id)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Remit reads the file again at its next look at the bank's folder.")
    return redirect("console:bank_connection", slug=request.biller.slug)


@console_view(owner_only=True)
@require_POST
def bank_by_hand(request: ConsoleRequest, file_delivery_id: int) -> HttpResponse:
    try:
        bank_delivery_by_hand(biller=request.biller, actor=request.user, delivery_id=file_delivery_id)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Marked as delivered by hand: Remit will not send that file.")
    return redirect("console:bank_connection", slug=request.biller.slug)
