"""enqueue_on_commit: a task is queued by its registered name once the change commits, never when it
rolls back, and never from outside a transaction."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.db import transaction

from remit.celery import app as celery_app
from remit.lib.tasks import enqueue_on_commit

pytestmark = pytest.mark.django_db(transaction=True)  # no test-wide transaction: the real commit

RAN: list[tuple[object, ...]] = []


@celery_app.task(name="remit.lib.tests.test_tasks.remember")
def remember(*args: object, **kwargs: object) -> None:
    RAN.append((*args, kwargs))


@pytest.fixture(autouse=True)
def _forget() -> None:
    RAN.clear()


class Boom(Exception):
    pass


def test_it_runs_the_task_once_the_transaction_commits():
    with transaction.atomic():
        enqueue_on_commit("remit.lib.tests.test_tasks.remember", 1, [2, 3], what="a test task", size=4)
        assert RAN == []
    assert RAN == [(1, [2, 3], {"size": 4})]


def test_nothing_is_queued_when_the_transaction_rolls_back():
    with pytest.raises(Boom), transaction.atomic():
        enqueue_on_commit("remit.lib.tests.test_tasks.remember", 1, what="a test task")
        raise Boom
    assert RAN == []


def test_it_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue_on_commit("remit.lib.tests.test_tasks.remember", 1, what="a test task")
    assert RAN == []


def test_an_unknown_task_name_fails_at_once_not_after_the_commit():
    with pytest.raises(LookupError, match=r"remit\.nowhere\.tasks\.nothing"), transaction.atomic():
        enqueue_on_commit("remit.nowhere.tasks.nothing", what="a task that does not exist")


def test_a_web_process_finds_remits_tasks_by_name_though_it_imported_no_tasks_module():
    script = (
        "import django, sys; django.setup()\n"
        "from remit.lib.tasks import registered_task\n"
        "assert 'remit.webhooks.tasks' not in sys.modules\n"
        "print(registered_task('remit.webhooks.tasks.deliver_webhooks').name)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "remit.settings"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "remit.webhooks.tasks.deliver_webhooks"


def test_a_queue_out_of_reach_is_one_warning_and_the_change_commits(caplog, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(remember, "apply_async", refuse)
    with caplog.at_level(logging.WARNING, logger="remit.lib.tasks"), transaction.atomic():
        enqueue_on_commit("remit.lib.tests.test_tasks.remember", 1, what="a test task")
    [record] = caplog.records
    assert record.getMessage().startswith("Could not queue a test task")
    assert record.getMessage().endswith("the worker's periodic sweep will do it.")
