"""Every change to a customer record: one transaction, one event row. ``api_key_id``: the API key that
asked for the change (the API passes it; ``actor`` is then None), kept in the event."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from remit.billers.models import Biller
from remit.customers.models import Customer, CustomerEvent
from remit.customers.rules import CustomerFields, FieldErrors, check_customer_fields
from remit.lib.errors import ActionError
from remit.users.models import User


class CustomerError(ActionError):
    pass


def reference_taken(biller: Biller, reference: str, *, exclude_pk: int | None = None) -> bool:
    if not reference:
        return False
    taken = Customer.objects.filter(biller=biller, reference__iexact=reference)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _validated(biller: Biller, fields: CustomerFields, *, exclude_pk: int | None = None) -> CustomerFields:
    errors = check_customer_fields(fields)
    if not errors.errors.get("reference") and reference_taken(biller, fields.reference, exclude_pk=exclude_pk):
        errors.add("reference", f"Another customer already has the reference “{fields.reference}”.")
    if errors:
        raise CustomerError(errors=errors.errors)
    return fields


def _save(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        errors = FieldErrors()
        errors.add("reference", f"Another customer already has the reference “{customer.reference}”.")
        raise CustomerError(errors=errors.errors) from None


@transaction.atomic
def customer_create(
    *, biller: Biller, actor: User | None, fields: CustomerFields, api_key_id: int | None = None
) -> Customer:
    fields = _validated(biller, fields)
    customer = Customer(biller=biller, **asdict(fields))
    _save(customer)
    CustomerEvent.objects.create(customer=customer, actor=actor, api_key_id=api_key_id, kind=CustomerEvent.Kind.CREATED)
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: User | None, fields: CustomerFields, api_key_id: int | None = None
) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    fields = _validated(customer.biller, fields, exclude_pk=customer.pk)
    changes: dict[str, Any] = {}
    for name, value in asdict(fields).items():
        if getattr(customer, name) != value:
            changes[name] = [getattr(customer, name), value]
            setattr(customer, name, value)
    if changes:
        _save(customer)
        CustomerEvent.objects.create(
            customer=customer, actor=actor, api_key_id=api_key_id, kind=CustomerEvent.Kind.UPDATED, data=changes
        )
    return customer


@transaction.atomic
def customer_archive(*, customer: Customer, actor: User | None, api_key_id: int | None = None) -> Customer:
    """Archived customers leave the lists and can't get new invoices; their invoices stay visible."""
    changed = Customer.objects.filter(pk=customer.pk, archived_at__isnull=True).update(archived_at=timezone.now())
    if changed:
        CustomerEvent.objects.create(
            customer=customer, actor=actor, api_key_id=api_key_id, kind=CustomerEvent.Kind.ARCHIVED
        )
    customer.refresh_from_db()
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer, actor: User | None, api_key_id: int | None = None) -> Customer:
    changed = Customer.objects.filter(pk=customer.pk, archived_at__isnull=False).update(archived_at=None)
    if changed:
        CustomerEvent.objects.create(
            customer=customer, actor=actor, api_key_id=api_key_id, kind=CustomerEvent.Kind.RESTORED
        )
    customer.refresh_from_db()
    return customer
