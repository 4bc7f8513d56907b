"""The retry policy: owner only, within NACHA's limits (a refusal names the problem and changes
nothing), every change recorded before/after; its console page (Settings → Retries)."""

import pytest
from django.test import Client

from remit.ach.models import RetryPolicy, RetryPolicyChange
from remit.ach.retry_policy import RetryPolicyError, policy_of, retry_policy_save
from remit.ach.retry_rules import Policy
from remit.lib.errors import NotPermitted
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.")


def test_the_policy_is_off_until_an_owner_saves_one(acme):
    biller, _ = acme
    assert policy_of(biller.pk) == Policy(retries=0)


def test_an_owner_saves_the_policy_and_each_change_is_recorded_before_and_after(acme):
    biller, owner = acme
    retry_policy_save(biller=biller, actor=owner, retries=2, timing="days", days=5)
    retry_policy_save(biller=biller, actor=owner, retries=1, timing="semimonthly", days=5)
    assert policy_of(biller.pk) == Policy(retries=1, timing="semimonthly", days=5)
    newest, first = RetryPolicyChange.objects.all()
    assert (first.before, first.after) == ({}, {"retries": 2, "timing": "days", "days": 5})
    assert (newest.before, newest.after) == ({"retries": 2, "timing": "days"}, {"retries": 1, "timing": "semimonthly"})
    assert (newest.actor, newest.actor_email) == (owner, owner.email)


def test_an_unchanged_save_records_nothing(acme):
    biller, owner = acme
    retry_policy_save(biller=biller, actor=owner, retries=1, timing="days", days=3)
    retry_policy_save(biller=biller, actor=owner, retries=1, timing="days", days=3)
    assert RetryPolicyChange.objects.count() == 1


@pytest.mark.parametrize(
    ("retries", "timing", "days", "field", "words"),
    [
        (3, "days", 3, "retries", "beyond NACHA's limit"),
        (None, "days", 3, "retries", "at most 2 times"),
        (1, "days", 0, "days", "from 1 to 30"),
        (1, "days", 31, "days", "from 1 to 30"),
        (1, "days", None, "days", "from 1 to 30"),
        (1, "weekly", 3, "timing", "Choose when to retry"),
    ],
)
def test_a_policy_beyond_the_limits_is_refused_naming_the_problem_and_nothing_changes(
    acme, retries, timing, days, field, words
):
    biller, owner = acme
    retry_policy_save(biller=biller, actor=owner, retries=1, timing="days", days=3)
    with pytest.raises(RetryPolicyError) as refused:
        retry_policy_save(biller=biller, actor=owner, retries=retries, timing=timing, days=days)
    assert field in refused.value.errors and words in refused.value.message
    assert policy_of(biller.pk) == Policy(retries=1, timing="days", days=3)
    assert RetryPolicyChange.objects.count() == 1


def test_staff_cannot_change_the_policy(acme):
    biller, _ = acme
    with pytest.raises(NotPermitted):
        retry_policy_save(biller=biller, actor=make_staff(biller), retries=2, timing="days", days=3)
    assert not RetryPolicy.objects.exists()


def test_the_retries_page_saves_shows_history_and_refuses_with_the_message(acme):
    biller, owner = acme
    client = Client()
    client.force_login(owner)
    page = client.get("/console/acme-supply/settings/retries/").content.decode()
    assert 'aria-current="page">Retries</a>' in page and "RETRY PYMT" in page
    response = client.post("/console/acme-supply/settings/retries/", {"retries": "2", "timing": "days", "days": "4"})
    assert response.status_code == 302
    assert policy_of(biller.pk) == Policy(retries=2, timing="days", days=4)
    page = client.get("/console/acme-supply/settings/retries/").content.decode()
    assert "Retries — → twice" in page
    refused = client.post("/console/acme-supply/settings/retries/", {"retries": "3", "timing": "days", "days": "4"})
    assert refused.status_code == 200 and "beyond NACHA&#x27;s limit" in refused.content.decode()
    assert policy_of(biller.pk).retries == 2


def test_staff_see_the_page_but_cannot_save_and_outsiders_get_nothing(acme):
    biller, _ = acme
    client = Client()
    client.force_login(make_staff(biller))
    assert "Only an owner can change" in client.get("/console/acme-supply/settings/retries/").content.decode()
    response = client.post("/console/acme-supply/settings/retries/", {"retries": "2", "timing": "days", "days": "4"})
    assert response.status_code == 403
    assert not RetryPolicy.objects.exists()
    _, other_owner = make_biller("Globex Billing")
    client.force_login(other_owner)
    assert client.get("/console/acme-supply/settings/retries/").status_code == 404
