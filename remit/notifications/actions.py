"""Writes to the email outbox: enqueue a message, deliver it, retry it.

Enqueueing happens inside the caller's transaction, so an email exists if and only if the change
that caused it was committed. Delivery is at-least-once: a row is claimed with a lease (a
conditional UPDATE that only one worker can win), delivered, then marked sent — retried while the
lease holds if the database is unreachable at that moment. A worker that dies mid-delivery lets the
lease run out and another picks the row up; the Message-ID stays the same, so a receiving server can
recognise the rare duplicate (a worker killed between the server's acceptance and the record).
"""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from remit.lib.tasks import enqueue_on_commit
from remit.lib.transactions import require_transaction
from remit.notifications import transports
from remit.notifications.categories import EmailCategory
from remit.notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# A delivered email is recorded as sent by retrying until this long before its lease ends.
RECORD_MARGIN = timedelta(seconds=30)
RECORD_RETRY_SECONDS = 1.0
MAX_BACKOFF = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16, 32 minutes, then hourly: a short outage costs minutes, a long one is ridden out."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outbox_enqueue(message: EmailMessage) -> OutboundEmail:
    """Store ``message`` for delivery. Call inside the transaction of the change that caused it
    (Django's own emails, such as a password reset, come through the mail backend outside one: the
    row then commits by itself). Inside ``outbox_batch`` the row is written when the batch ends (its
    id is unset until then)."""
    header_names = {name.lower() for name in message.extra_headers}
    if "message-id" not in header_names:
        message.extra_headers["Message-ID"] = make_msgid(domain=_mail_domain())
    recipients = [str(address) for address in message.recipients()]
    if not recipients:
        raise ValueError("An email needs at least one recipient.")
    outbound = OutboundEmail(
        biller_id=getattr(message, "remit_biller_id", None),
        from_email=str(message.from_email),
        recipients=recipients,
        subject=str(message.subject)[:998],
        message_id=message.extra_headers["Message-ID"],
        raw=_serialize(message),
    )
    batch: list[OutboundEmail] | None = getattr(_batching, "rows", None)
    if batch is not None:
        batch.append(outbound)
        return outbound
    with transaction.atomic(savepoint=False):  # the caller's transaction, if there is one
        outbound.save(force_insert=True)
        _request_delivery(outbound.pk)
    return outbound


_batching = threading.local()


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Emails enqueued inside are written in one bulk INSERT when the block ends, not one each (a
    return file tells a thousand customer accounts). Use inside the transaction of the change."""
    require_transaction("Batching emails")
    if getattr(_batching, "rows", None) is not None:
        yield  # already batching: the outer block writes them
        return
    rows: list[OutboundEmail] = []
    _batching.rows = rows
    _batching.opt_outs = {}
    try:
        yield
    finally:
        _batching.rows = None
        _batching.opt_outs = None
    OutboundEmail.objects.bulk_create(rows, batch_size=100)
    for row in rows:
        _request_delivery(row.pk)


def _serialize(message: EmailMessage) -> bytes:
    """The message as it goes on the wire. Django folds a non-ASCII subject with an empty first line,
    which several mail clients show as a leading space; the standard library's modern policy folds
    it properly, so the Subject is re-set through it. An ASCII subject is written as it is: the
    re-parse, most of the cost of an email, is skipped (a return file emails a thousand customers)."""
    raw = message.message().as_bytes(linesep="\r\n")
    if not str(message.subject).isascii():
        parsed = email.message_from_bytes(raw, policy=email.policy.SMTP)
        if parsed["Subject"] is not None:
            subject = str(parsed["Subject"]).strip()
            del parsed["Subject"]
            parsed["Subject"] = subject
        raw = parsed.as_bytes()
    return _unfolded_headers(message) + raw


def _unfolded_headers(message: EmailMessage) -> bytes:
    """Headers that must reach the reader exactly as written, on one line: ``List-Unsubscribe``
    holds a long URL that Django would fold onto an empty first line and the modern policy, when
    re-folding a non-ASCII message, would even turn into encoded words, which no mail app reads as a
    URL. They are ASCII (checked) and at most 998 characters, so a line of their own is valid."""
    lines = []
    for name, value in getattr(message, "unfolded_headers", {}).items():
        line = f"{name}: {value}"
        if not line.isascii() or "\r" in line or "\n" in line or len(line) > 998:
            raise ValueError(f"The {name} header must be one ASCII line of at most 998 characters.")
        lines.append(f"{line}\r\n".encode("ascii"))
    return b"".join(lines)


def _mail_domain() -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.REMIT_BASE_URL).hostname or "remit.invalid"


def _request_delivery(email_id: int) -> None:
    """Once the caller's transaction commits, ask the worker to deliver now. If the broker is down,
    the periodic sweep delivers later."""
    enqueue_on_commit("remit.notifications.tasks.deliver_email", email_id, what=f"delivery of email {email_id}")


@dataclass(frozen=True)
class DeliveryResult:
    email_id: int
    delivered: bool
    claimed: bool
    error: str = ""


def _claim(email_id: int) -> datetime | None:
    """Take the email's lease; returns when it ends, or None if the email is not due or is held."""
    now = timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + LEASE)
    )
    return now + LEASE if claimed == 1 else None


def outbox_deliver(*, email_id: int) -> DeliveryResult:
    """Deliver one pending email if it is due and no other worker holds it. Safe to call twice."""
    lease_ends = _claim(email_id)
    if lease_ends is None:
        return DeliveryResult(email_id=email_id, delivered=False, claimed=False)
    outbound = OutboundEmail.objects.get(pk=email_id)
    try:
        transports.deliver(
            settings.REMIT_EMAIL_TRANSPORT,
            from_email=outbound.from_email,
            recipients=list(outbound.recipients),
            raw=bytes(outbound.raw),
            name=f"{outbound.created_at:%Y%m%d-%H%M%S}-{outbound.pk:07d}",
        )
    except Exception as exc:
        return _record_failure(outbound, exc)
    _record_sent(outbound, lease_ends=lease_ends)
    logger.info(
        "Delivered outbound %s (%s) to %d recipient(s).", outbound.pk, outbound.subject, len(outbound.recipients)
    )
    return DeliveryResult(email_id=outbound.pk, delivered=True, claimed=True)


def _record_sent(outbound: OutboundEmail, *, lease_ends: datetime) -> None:
    """Record that the mail server took the message. It is out: should the database be unreachable
    at this moment, the row would stay pending and be delivered again once its lease ran out. So the
    worker keeps trying while its lease keeps every other worker off the row (a database outage of a
    few minutes is ridden out; a worker killed right here is the one gap left, and the Message-ID,
    the same in both copies, lets the receiving server recognise the duplicate)."""
    retry_until = lease_ends - RECORD_MARGIN
    warned = False
    while True:
        try:
            OutboundEmail.objects.filter(pk=outbound.pk).update(
                status=OutboundEmail.Status.SENT,
                sent_at=timezone.now(),
                attempts=outbound.attempts + 1,
                locked_until=None,
                last_error="",
            )
            return
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or timezone.now() >= retry_until:
                raise
            if not warned:
                logger.warning(
                    "Outbound %s was delivered but the database is unreachable (%s); recording it as sent "
                    "as soon as the database answers.",
                    outbound.pk,
                    type(error).__name__,
                )
                warned = True
            connection.close()  # never reuse a broken connection
            time.sleep(RECORD_RETRY_SECONDS)


def _record_failure(outbound: OutboundEmail, exc: Exception) -> DeliveryResult:
    attempts = outbound.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    gave_up = attempts >= settings.REMIT_EMAIL_MAX_ATTEMPTS
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        status=OutboundEmail.Status.FAILED if gave_up else OutboundEmail.Status.PENDING,
        attempts=attempts,
        last_error=error,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        locked_until=None,
    )
    log = logger.error if gave_up else logger.warning
    log(
        "Delivery of outbound %s failed (attempt %d%s): %s",
        outbound.pk,
        attempts,
        ", giving up" if gave_up else "",
        error,
    )
    return DeliveryResult(email_id=outbound.pk, delivered=False, claimed=True, error=error)


def outbox_retry(*, email_id: int) -> bool:
    """An operator asks for a failed (or waiting) email to be tried again now."""
    with transaction.atomic(savepoint=False):  # the admin calls it outside a transaction
        changed = OutboundEmail.objects.filter(
            pk=email_id, status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.PENDING]
        ).update(status=OutboundEmail.Status.PENDING, next_attempt_at=timezone.now(), locked_until=None)
        if changed:
            _request_delivery(email_id)
    return changed == 1


def due_email_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_deliver_due(*, limit: int = 500) -> list[DeliveryResult]:
    """Deliver every email that is due (the worker's periodic sweep, and `remit outbox deliver`)."""
    return [outbox_deliver(email_id=email_id) for email_id in due_email_ids(limit=limit)]


def email_send(
    *,
    to: Sequence[str],
    template: str,
    context: dict[str, Any],
    biller: Any = None,
    reply_to: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> OutboundEmail:
    """Compose a branded email from ``emails/<template>/`` and put it in the outbox.
    ``attachments`` are (filename, content, MIME type), e.g. an invoice's PDF."""
    require_transaction("Sending an email")
    message = _compose(to=to, template=template, context=context, biller=biller, reply_to=reply_to)
    return outbox_enqueue(_attach(message, attachments))


def email_send_optional(
    *,
    to: Sequence[str],
    category: str,
    template: str,
    context: dict[str, Any],
    biller: Any,
    reply_to: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> list[OutboundEmail]:
    """A non-essential email (``categories.EmailCategory``): one message per address that has not
    opted out of ``category`` at this biller (one query for all of them), each with its own way to
    stop: the ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers of RFC 8058 (one-click, for
    mail apps) and the same link in the body (``unsubscribe_url`` in the base templates' footer).
    Returns the emails written; an address that opted out gets none, and nothing says so to the caller
    but the list."""
    require_transaction("Sending an email")
    from remit.notifications.preferences import normalise_address
    from remit.notifications.unsubscribe import unsubscribe_url

    label = EmailCategory(category).label  # an unknown category is a programming error: ValueError
    addresses: dict[str, str] = {}
    for address in to:
        addresses.setdefault(normalise_address(address), address)  # once each, as first spelled
    stopped = _stopped(biller_id=biller.pk, category=category, addresses=addresses)
    sent = []
    for normalised, address in addresses.items():
        if normalised in stopped:
            continue
        url = unsubscribe_url(biller=biller, address=normalised, category=category)
        message = _compose(
            to=[address],
            template=template,
            context={**context, "unsubscribe_url": url, "unsubscribe_category": label},
            biller=biller,
            reply_to=reply_to,
        )
        message.unfolded_headers = {  # type: ignore[attr-defined]
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        sent.append(outbox_enqueue(_attach(message, attachments)))
    return sent


def _stopped(*, biller_id: int, category: str, addresses: Iterable[str]) -> Collection[str]:
    """The opted-out addresses among ``addresses``. Inside ``outbox_batch`` (a reminder round over
    thousands of invoices) the biller's whole opt-out list for the category is read once per batch
    instead of once per email."""
    from remit.notifications.preferences import opted_out_addresses, opted_out_for_category

    cache: dict[tuple[int, str], set[str]] | None = getattr(_batching, "opt_outs", None)
    if cache is None:
        return opted_out_addresses(biller_id=biller_id, category=category, addresses=addresses)
    key = (biller_id, category)
    if key not in cache:
        cache[key] = opted_out_for_category(biller_id=biller_id, category=category)
    return cache[key]


def _compose(**kwargs: Any) -> EmailMessage:
    from remit.notifications.compose import compose

    return compose(**kwargs)


def _attach(message: EmailMessage, attachments: Sequence[tuple[str, bytes, str]]) -> EmailMessage:
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message
