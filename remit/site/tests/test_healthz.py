import pytest
from django.db import connection

from conftest import free_port


@pytest.mark.django_db
def test_it_reports_the_database_and_the_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok", "vendor": connection.vendor}
    assert body["broker"] == {"status": "ok", "transport": "redis" if settings.REDIS_URL else "sqlalchemy"}
    assert body["cache"] == {"status": "ok", "backend": "redis" if settings.REDIS_URL else "file"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_is_unreachable(client):
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/remit.sqlite3"
    else:
        connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["status"] == "unavailable"
    assert body["database"]["error"] == "OperationalError"


@pytest.mark.django_db
def test_a_fresh_install_says_no_worker_has_run_yet_and_stays_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    worker = response.json()["worker"]
    assert worker["status"] == "never_seen" and worker["last_seen"] is None
    assert "No worker has run yet" in worker["message"]
    assert worker["outbox"] == {"pending": 0, "oldest_pending_age_seconds": 0}


@pytest.mark.django_db
def test_a_recent_heartbeat_is_ok_with_its_age_and_the_outbox_backlog(client):
    from remit.site.tasks import worker_heartbeat
    from remit.site.tests.test_metrics import email, old

    worker_heartbeat.delay()  # as the worker runs it from the schedule
    email(1, created_at=old(7))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["worker"]["status"] == "ok" and body["worker"]["age_seconds"] <= 5
    assert body["worker"]["outbox"]["pending"] == 1
    assert 7 * 60 - 5 <= body["worker"]["outbox"]["oldest_pending_age_seconds"] <= 7 * 60 + 5


@pytest.mark.django_db
def test_a_worker_silent_too_long_is_503(client, settings):
    from remit.site.heartbeat import heartbeat_beat
    from remit.site.tests.test_metrics import old

    settings.REMIT_WORKER_SILENT_SECONDS = 600
    heartbeat_beat(now=old(9))
    assert client.get("/healthz").status_code == 200
    heartbeat_beat(now=old(11))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"]["status"] == "ok"
    assert body["worker"]["status"] == "silent" and body["worker"]["silent_after_seconds"] == 600
    assert 655 <= body["worker"]["age_seconds"] <= 665

    settings.REMIT_WORKER_SILENT_SECONDS = 0  # an operator who doesn't want the worker in /healthz's answer
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_proxys_check_of_an_instance_asks_nothing_shared_so_a_database_outage_takes_no_instance_out(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Cache-Control"].startswith("max-age=0")
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/remit.sqlite3"
    else:
        connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz/live").status_code == 200
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
