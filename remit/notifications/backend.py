"""Django's EMAIL_BACKEND: anything sent with Django's mail API (including Django's own password
reset and error emails) goes into the outbox instead of straight to a mail server."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from remit.notifications.actions import outbox_enqueue


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            if message.recipients():
                outbox_enqueue(message)
                count += 1
        return count
