"""The Reminders card of the console's customer and invoice pages: paused (why, by whom, since
when, with Resume) or not (with Pause and a reason), the pauses lifted before, and on an invoice's
page the reminders sent for it and its late fee."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from remit.reminders.models import LateFee, ReminderPause, ReminderSent

register = template.Library()


@register.inclusion_tag("console/reminders/_pause.html")
def reminder_pause_card(*, customer: Any = None, invoice: Any = None) -> dict[str, Any]:
    pauses = list(ReminderPause.objects.filter(customer=customer, invoice=invoice)[:6])
    biller = (customer or invoice).biller
    if customer is not None:
        action = reverse("console:customer_reminders", args=[biller.slug, customer.pk])
        what, customer_paused = "This customer", False
    else:
        action = reverse("console:invoice_reminders", args=[biller.slug, invoice.pk])
        what = "This invoice"
        customer_paused = ReminderPause.objects.filter(customer_id=invoice.customer_id, lifted_at__isnull=True).exists()
    sent = list(ReminderSent.objects.filter(invoice=invoice)[:10]) if invoice is not None else []
    fee = LateFee.objects.filter(invoice=invoice).first() if invoice is not None else None
    return {
        "sent": sent,
        "late_fee": fee,
        "pause": next((pause for pause in pauses if pause.lifted_at is None), None),
        "lifted": [pause for pause in pauses if pause.lifted_at is not None],
        "action": action,
        "what": what,
        "customer_paused": customer_paused,
        "schedule_url": reverse("console:reminder_settings", args=[biller.slug]),
    }
