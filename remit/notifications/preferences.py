"""Who gets what: the one write path of email opt-outs, and the reads that honour them.

An opt-out is (biller, address, category): a person stops one kind of a biller's non-essential
emails (``categories.EmailCategory``) at one address. The portal's Email preferences page, the
one-click unsubscribe of a mail app and the page the email's unsubscribe link opens all write here;
``actions.email_send_optional`` reads here. Essential emails never look.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from remit.lib.errors import ActionError
from remit.notifications.categories import EmailCategory
from remit.notifications.models import EmailOptOut, EmailPreferenceChange, OptOutHow


class PreferenceError(ActionError):
    pass


def normalise_address(address: str) -> str:
    """The address part, trimmed and lowercase: "AP <AP@Globex.example>" → "ap@globex.example"."""
    return (parseaddr(address)[1] or address).strip().lower()


def _check(address: str, category: str) -> None:
    if category not in EmailCategory.values:
        raise PreferenceError(f"There is no kind of email called {category!r}.", field="category")
    if "@" not in address:
        raise PreferenceError("Enter an email address.", field="address")


def email_opt_out(*, biller: Any, address: str, category: str, how: str, actor: Any = None) -> bool:
    """Stop ``category`` emails of ``biller`` to ``address``. Whether this changed anything: doing it
    again (a second click, a retried one-click POST, two at once) changes nothing and records nothing."""
    address = normalise_address(address)
    _check(address, category)
    with transaction.atomic():
        if EmailOptOut.objects.filter(biller_id=biller.pk, address=address, category=category).exists():
            return False
        try:
            with transaction.atomic():  # a savepoint: the same opt-out at the same moment loses here
                EmailOptOut.objects.create(biller_id=biller.pk, address=address, category=category, how=how)
        except IntegrityError:
            return False
        _record(biller, address, category, opted_out=True, how=how, actor=actor)
    return True


def email_opt_in(*, biller: Any, address: str, category: str, how: str, actor: Any = None) -> bool:
    """Receive ``category`` emails of ``biller`` at ``address`` again. Whether it changed anything."""
    address = normalise_address(address)
    _check(address, category)
    with transaction.atomic():
        deleted, _ = EmailOptOut.objects.filter(biller_id=biller.pk, address=address, category=category).delete()
        if not deleted:
            return False
        _record(biller, address, category, opted_out=False, how=how, actor=actor)
    return True


def email_preferences_save(*, biller: Any, address: str, receive: Collection[str], actor: Any) -> list[str]:
    """The portal's Email preferences page: ``address`` receives the categories in ``receive`` and
    none of the others. Returns the categories that changed (each recorded)."""
    unknown = set(receive) - set(EmailCategory.values)
    if unknown:
        raise PreferenceError(f"There is no kind of email called {sorted(unknown)[0]!r}.", field="receive")
    changed = []
    with transaction.atomic():
        for category in EmailCategory.values:
            if category in receive:
                done = email_opt_in(
                    biller=biller, address=address, category=category, how=OptOutHow.PREFERENCES, actor=actor
                )
            else:
                done = email_opt_out(
                    biller=biller, address=address, category=category, how=OptOutHow.PREFERENCES, actor=actor
                )
            if done:
                changed.append(category)
    return changed


def _record(biller: Any, address: str, category: str, *, opted_out: bool, how: str, actor: Any) -> None:
    EmailPreferenceChange.objects.create(
        biller_id=biller.pk, address=address, category=category, opted_out=opted_out, how=how, actor=actor
    )


# Reads


def opted_out_addresses(*, biller_id: int, category: str, addresses: Iterable[str]) -> set[str]:
    """Which of ``addresses`` (normalised) do not want ``category`` from this biller: one query."""
    wanted = [normalise_address(address) for address in addresses]
    if not wanted:
        return set()
    return set(
        EmailOptOut.objects.filter(biller_id=biller_id, category=category, address__in=wanted).values_list(
            "address", flat=True
        )
    )


def opted_out_for_category(*, biller_id: int, category: str) -> set[str]:
    """Every address that does not want ``category`` from this biller: one query."""
    return set(EmailOptOut.objects.filter(biller_id=biller_id, category=category).values_list("address", flat=True))


def opted_out_categories(*, biller_id: int, address: str) -> set[str]:
    """The categories ``address`` stopped receiving from this biller."""
    return set(
        EmailOptOut.objects.filter(biller_id=biller_id, address=normalise_address(address)).values_list(
            "category", flat=True
        )
    )


def opt_outs_of(*, biller_id: int, search: str = "") -> QuerySet[EmailOptOut]:
    """A biller's opt-outs, newest first; ``search`` narrows to addresses containing it."""
    rows = EmailOptOut.objects.filter(biller_id=biller_id)
    if search.strip():
        rows = rows.filter(address__contains=search.strip().lower())
    return rows.order_by("-created_at", "-pk")


def preference_changes_of(*, biller_id: int, search: str = "", limit: int = 20) -> list[EmailPreferenceChange]:
    """The newest changes of a biller's opt-outs (stopped and resumed), with who made them;
    ``search`` narrows to addresses containing it."""
    rows = EmailPreferenceChange.objects.filter(biller_id=biller_id)
    if search.strip():
        rows = rows.filter(address__contains=search.strip().lower())
    return list(rows.select_related("actor")[:limit])


@dataclass(frozen=True)
class AddressOptOuts:
    """One address's opt-outs at a biller, for the console: each category stopped, with how and when."""

    address: str
    opt_outs: list[EmailOptOut]


def opt_outs_by_address(*, biller_id: int, addresses: Iterable[str] | None = None) -> list[AddressOptOuts]:
    """A biller's opt-outs grouped by address (all of them, or those of ``addresses``), by address."""
    rows = EmailOptOut.objects.filter(biller_id=biller_id)
    if addresses is not None:
        rows = rows.filter(address__in=sorted({normalise_address(a) for a in addresses}))
    grouped: dict[str, list[EmailOptOut]] = {}
    for row in rows.order_by("address", "category"):
        grouped.setdefault(row.address, []).append(row)
    return [AddressOptOuts(address, opt_outs) for address, opt_outs in grouped.items()]
