import pytest
from django.db.utils import OperationalError

from remit.lib.reach import address, unreachable


def test_an_address_is_host_and_port_without_the_password():
    assert address("redis://:sekrit@10.0.0.5:6379/15") == "10.0.0.5:6379"
    assert address("postgres://remit:sekrit@db.example/remit") == "db.example"
    assert address("sqla+sqlite:////var/lib/remit/celery-broker.sqlite3") == "/var/lib/remit/celery-broker.sqlite3"


@pytest.mark.django_db(transaction=True)  # it reconnects to tell
def test_a_database_error_while_the_database_answers_is_not_about_reach():
    assert unreachable(OperationalError("database is locked")) is None


def test_other_errors_are_not_about_reach():
    assert unreachable(ValueError("bad input")) is None
