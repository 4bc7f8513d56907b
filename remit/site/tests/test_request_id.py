"""The request id: in the response, in every log line of the request, and in the tasks it queues."""

from __future__ import annotations

import logging

import pytest
from celery.signals import before_task_publish

from remit.celery import app as celery_app
from remit.lib import request_id

pytestmark = pytest.mark.django_db

logger = logging.getLogger("remit.tests.request_id")


@celery_app.task(name="remit.site.tests.test_request_id.log_line")
def log_line() -> None:
    logger.info("A line from the task.")


def test_it_keeps_a_sane_incoming_request_id_and_returns_it(client, caplog):
    with caplog.at_level(logging.INFO, logger="remit.access"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f2a-99")
    assert response["X-Request-ID"] == "lb-4f2a-99"
    [access] = [r for r in caplog.records if r.name == "remit.access"]
    assert access.request_id == "lb-4f2a-99"
    assert access.route == "healthz" and access.status == 200 and access.method == "GET"


def test_it_replaces_an_insane_request_id_with_a_new_one(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="forged\tid " * 20)
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]  # a new one each time


def test_every_log_line_of_a_request_carries_its_id(client, caplog):
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="remit.access"):
        client.get("/console/signin", HTTP_X_REQUEST_ID="req-1")
        client.get("/no-such-biller-page/at/all", HTTP_X_REQUEST_ID="req-2")
    lines = [(r.name, r.request_id) for r in caplog.records]
    assert ("remit.access", "req-1") in lines
    assert ("django.request", "req-2") in lines  # "Not Found", which Django logs after the middleware
    assert {request_id for _, request_id in lines} == {"req-1", "req-2"}
    assert request_id.current_request_id() is None  # nothing leaks past the request


def test_a_task_queued_during_a_request_carries_the_id_in_its_message_headers():
    headers: dict = {}
    token = request_id.current.set("req-77")
    try:
        before_task_publish.send(sender="remit.x", body=(), exchange="", routing_key="", headers=headers)
    finally:
        request_id.current.reset(token)
    assert headers[request_id.TASK_HEADER] == "req-77"

    outside: dict = {}
    before_task_publish.send(sender="remit.x", body=(), exchange="", routing_key="", headers=outside)
    assert request_id.TASK_HEADER not in outside


def test_the_worker_logs_a_task_under_the_request_id_its_message_carries(caplog):
    with caplog.at_level(logging.INFO, logger="remit.tests.request_id"):
        log_line.apply(headers={request_id.TASK_HEADER: "req-from-web"})
        log_line.apply()
    carried, plain = [r for r in caplog.records if r.name == "remit.tests.request_id"]
    assert carried.request_id == "req-from-web"
    assert plain.request_id is None  # restored after the task
    assert request_id.current_request_id() is None


def test_a_task_run_in_process_during_a_request_logs_under_the_request_id(caplog):
    token = request_id.current.set("req-eager")
    try:
        with caplog.at_level(logging.INFO, logger="remit.tests.request_id"):
            log_line.apply_async()  # task_always_eager in tests: runs here, inside the request's context
    finally:
        request_id.current.reset(token)
    [line] = [r for r in caplog.records if r.name == "remit.tests.request_id"]
    assert line.request_id == "req-eager"
