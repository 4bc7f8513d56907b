"""No email is lost to a crash: the outbox rows of a change are written in the change's own
transaction, so a process that dies right after the commit — before anything was delivered or handed
to the worker — leaves them for the next delivery round. A real `remit` process schedules a payment
and dies there; after the "restart" (`remit outbox deliver`), the emails reach a real SMTP server."""

import subprocess
import sys

import pytest

from remit.notifications.models import OutboundEmail
from remit.payments.models import Payment
from remit.test import child_env, soonest_pay_on

pytestmark = pytest.mark.django_db(transaction=True)

# Runs in the child: the first on-commit callback kills the process, so none registered by the
# change itself (a delivery, a hand-off to the worker) ever runs.
PAY_AND_DIE = """
import os, sys
from datetime import date
from django.db import transaction
from remit.payments.actions import payment_schedule
from remit.users.models import User

payer, invoice, account, pay_on = sys.argv[1:]
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(86))
    payment_schedule(
        payer=User.objects.get(pk=int(payer)),
        invoice_ids=[int(invoice)],
        bank_account_id=int(account),
        pay_on=date.fromisoformat(pay_on),
        total_cents=12345,
    )
"""


def test_emails_of_a_payment_committed_just_before_a_crash_are_delivered_after_restart(world, smtp_server, tmp_path):
    invoice = world.invoice(amount_cents=12345)
    account = world.bank_account(world.admin)
    script = tmp_path / "pay_and_die.py"
    script.write_text(PAY_AND_DIE)
    env = child_env(EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    args = [str(world.admin.pk), str(invoice.pk), str(account.pk), soonest_pay_on(world.biller).isoformat()]
    died = subprocess.run(
        [
            sys.executable,
            "-m",
            "remit",
            "shell",
            "-c",
            f"import sys; sys.argv = ['x', *{args!r}]; exec(open({str(script)!r}).read())",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert died.returncode == 86, died.stderr[-2000:]
    assert Payment.objects.filter(customer=world.customer).count() == 1  # the change committed
    waiting = OutboundEmail.objects.filter(sent_at__isnull=True)
    assert waiting.count() == 2  # the payer's confirmation and the biller's notice, nothing sent yet
    assert smtp_server.messages == []

    restarted = subprocess.run(
        [sys.executable, "-m", "remit", "outbox", "deliver"], env=env, capture_output=True, text=True, timeout=120
    )
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    recipients = sorted(to for _, tos in smtp_server.envelopes for to in tos)
    assert recipients == sorted([world.admin.email, world.owner.email])
    subjects = " | ".join(str(message["Subject"]) for message in smtp_server.messages)
    assert "scheduled" in subjects.lower()
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
