"""Whatever an operator starts twice, nothing goes out twice: two `remit web`s, two `remit worker`s and
two `remit beat`s at once against one outbox deliver each email once — the portal's requests spread
over both webs, one beat sends the sweeps, both workers take tasks, and every email is also announced
twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.celery import app as celery_app
from remit.notifications.models import OutboundEmail
from remit.site.tests.faults import Visitor, browse, forgot_password, portal_with_people, remit, sign_in
from remit.site.tests.test_worker import queued_email, wait_for
from remit.test import read_eml

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EMAILS = 8  # each announced twice: 16 races, and the sweeps besides
PEOPLE = 6  # each asks a web for a password-reset email: 6 more, queued by the webs


def declare(queue: str) -> None:
    """Create the queue before the workers start. On SQLite the broker is kombu's SQLAlchemy
    transport, whose first declaration of a queue is an INSERT: two workers declaring a new queue at
    the same moment race for it, and the loser exits (a development-only broker; Redis has no such
    step)."""
    from kombu import Exchange, Queue

    with celery_app.connection_for_write() as connection:
        Queue(queue, Exchange(queue), routing_key=queue).bind(connection.default_channel).declare()


def test_two_webs_two_workers_and_two_beats_deliver_every_email_once(tmp_path: Path, monkeypatch):
    portal = portal_with_people(PEOPLE)
    emails = [queued_email(portal.biller, monkeypatch) for _ in range(EMAILS)]
    mail = tmp_path / "mail"
    with remit(tmp_path, EMAIL_URL=f"file://{mail}", REMIT_OUTBOX_SWEEP_SECONDS="1") as stack:
        declare(stack.env["REMIT_QUEUE"])
        for n in (1, 2):
            stack.web(f"web-{n}", threads=2)
            stack.worker(f"worker-{n}")
            stack.beat(f"beat-{n}")
        stack.wait_ready()
        # Every email announced twice too, as a retried hand-off would: both workers race for each.
        celery_app.conf.task_always_eager = False
        for email in emails:
            for _ in range(2):
                celery_app.send_task(
                    "remit.notifications.tasks.deliver_email", args=[email.pk], queue=stack.env["REMIT_QUEUE"]
                )
        # People on the portal: each signs in on one web and carries on at the other (the session is
        # in the database, and cookies don't care for ports), which queues their email.
        visitors = []
        for n, person in enumerate(portal.people):
            first, second = (stack.url("web-1"), stack.url("web-2"))[:: 1 if n % 2 else -1]
            visitor = Visitor(first)
            sign_in(visitor, portal, person)
            visitor.base = second
            browse(visitor, portal)
            forgot_password(visitor, portal, person)
            visitors.append(visitor)
        wait_for(
            lambda: not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists(),
            timeout=120,
            what="every email to be delivered",
        )
        # Sweeps while the tasks ran, and after: a double would have every chance to show.
        beats = [stack.processes[f"beat-{n}"].text for n in (1, 2)]
        wait_for(lambda: sum(text().count("Sending due task") for text in beats) >= 2, timeout=30, what="two sweeps")
        failures = [failure for visitor in visitors for failure in visitor.failures]
        assert failures == []

    sent = [email.message_id for email in portal.new_emails()]
    assert len(sent) == EMAILS + PEOPLE
    delivered = [read_eml(path)["Message-ID"] for path in mail.glob("*.eml")]
    assert sorted(delivered) == sorted(sent)
    assert sorted("Sending due task" in text() for text in beats) == [False, True]  # one schedule
    workers = [stack.processes[f"worker-{n}"].text() for n in (1, 2)]
    assert all("succeeded" in text for text in workers), "both workers took tasks"
    webs = [stack.processes[f"web-{n}"].text() for n in (1, 2)]
    assert all('"POST /' in text for text in webs), "both webs took requests"
