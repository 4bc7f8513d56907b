from datetime import date

import pytest

from remit.invoices.actions import InvoiceError, invoice_void
from remit.invoices.models import Invoice, InvoiceEvent
from remit.payments.actions import payment_record_offline
from remit.payments.models import Payment, PaymentEvent, PaymentStatus
from remit.test import ach_payment_rows, make_biller, make_customer, make_invoice, parts

pytestmark = pytest.mark.django_db


def scheduled_payment(customer, allocations):
    return ach_payment_rows(customer, allocations, pay_on=date(2026, 12, 1))


def test_voiding_tells_the_customer_with_the_reason(run_on_commit, mailbox):
    biller, owner = make_biller("Acme Supply Co.")
    invoice = make_invoice(make_customer(biller, "Initech", email="pat@initech.example"))
    with run_on_commit(execute=True):
        invoice = invoice_void(invoice=invoice, actor=owner, reason="  Billed twice  by mistake ")
    assert invoice.is_void and invoice.void_reason == "Billed twice by mistake"
    assert invoice.available_cents == 0
    assert InvoiceEvent.objects.get(invoice=invoice, kind=InvoiceEvent.Kind.VOIDED).actor == owner
    [message] = mailbox()
    assert message["To"] == "pat@initech.example"
    assert message["Subject"] == f"Invoice {invoice.number} from Acme Supply Co. was voided"
    assert "Billed twice by mistake" in parts(message)["text/plain"]


def test_voiding_cancels_scheduled_payments_and_trims_shared_ones():
    biller, _ = make_biller()
    customer = make_customer(biller)
    first, second = make_invoice(customer, amount_cents=10000), make_invoice(customer, amount_cents=5000)
    only_first = scheduled_payment(customer, [(first, 4000)])
    both = scheduled_payment(customer, [(first, 6000), (second, 5000)])
    invoice_void(invoice=first, actor=None, reason="Cancelled order")
    only_first.refresh_from_db()
    both.refresh_from_db()
    assert only_first.status == PaymentStatus.CANCELLED
    assert (both.status, both.amount_cents) == (PaymentStatus.SCHEDULED, 5000)
    assert list(both.allocations.values_list("invoice_id", flat=True)) == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.pending_cents, second.pending_cents) == (0, 5000)
    assert PaymentEvent.objects.filter(payment=only_first, to_status=PaymentStatus.CANCELLED).exists()


def test_a_paid_or_sent_invoice_cannot_be_voided_and_nothing_changes():
    biller, _ = make_biller()
    customer = make_customer(biller)
    paid = make_invoice(customer, amount_cents=1000)
    payment_record_offline(invoice=paid, actor=None, amount_cents=500, method="check", received_on=date(2026, 11, 20))
    with pytest.raises(InvoiceError, match="already been paid"):
        invoice_void(invoice=paid, actor=None, reason="x")
    in_flight = make_invoice(customer, amount_cents=1000)
    payment = scheduled_payment(customer, [(in_flight, 1000)])
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SENT)
    with pytest.raises(InvoiceError, match="on its way to the bank"):
        invoice_void(invoice=in_flight, actor=None, reason="x")
    assert not Invoice.objects.filter(voided_at__isnull=False).exists()


def test_a_reason_is_required():
    invoice = make_invoice(make_customer(make_biller()[0]))
    with pytest.raises(InvoiceError, match="Enter the reason"):
        invoice_void(invoice=invoice, actor=None, reason="   ")
