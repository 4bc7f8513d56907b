"""A key is the only way in: missing, unknown, malformed or revoked keys get a 401 problem."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from remit.api.actions import ApiKeyError, api_key_create, api_key_revoke
from remit.api.keys import key_digest
from remit.api.models import ApiKey
from remit.lib.errors import NotPermitted
from remit.test import make_staff

pytestmark = pytest.mark.django_db


def assert_unauthorized(response, detail_part):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["type"] == "about:blank"
    assert detail_part in body["detail"]


def test_a_request_without_a_key_is_refused(acme):
    assert_unauthorized(APIClient().get("/api/v1/customers"), "Authentication credentials were not provided")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rk_live_AAAAAAAA_" + "x" * 43,  # the shape of a key, but no such key
        "Bearer not-a-key",
        "Bearer rk_live_",
        "Bearer",
        "Bearer two words",
    ],
)
def test_an_unknown_or_malformed_key_is_refused(acme, header):
    response = APIClient().get("/api/v1/customers", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_key_with_a_right_prefix_and_a_wrong_secret_is_refused(acme):
    wrong = acme.secret[:-4] + ("AAAA" if not acme.secret.endswith("AAAA") else "BBBB")
    response = APIClient().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert_unauthorized(response, "not valid")


def test_a_revoked_key_is_refused_at_once(acme, api):
    assert api.get("/api/v1/customers").status_code == 200
    api_key_revoke(biller=acme.biller, actor=acme.owner, key_id=ApiKey.objects.get().pk)
    assert_unauthorized(api.get("/api/v1/customers"), "revoked")
    assert_unauthorized(api.post("/api/v1/customers", {"name": "X", "billing_emails": ["x@x.example"]}), "revoked")


def test_the_key_is_stored_only_as_its_digest(acme):
    key = ApiKey.objects.get()
    assert acme.secret.startswith(key.prefix + "_") and key.prefix.startswith("rk_live_") and len(key.prefix) == 16
    assert key.key_sha256 == key_digest(acme.secret)
    assert acme.secret not in str(ApiKey.objects.values().get())


def test_last_used_is_recorded(acme, api):
    assert ApiKey.objects.get().last_used_at is None
    api.get("/api/v1/customers")
    used = ApiKey.objects.get().last_used_at
    assert used is not None and timezone.now() - used < timedelta(seconds=5)


def test_only_owners_create_and_revoke_keys(acme):
    staff = make_staff(acme.biller)
    with pytest.raises(NotPermitted, match="Only an owner can create or revoke API keys"):
        api_key_create(biller=acme.biller, actor=staff, name="Sneaky")
    with pytest.raises(NotPermitted, match="Only an owner can create or revoke API keys"):
        api_key_revoke(biller=acme.biller, actor=staff, key_id=ApiKey.objects.get().pk)
    assert ApiKey.objects.get().revoked_at is None


def test_a_key_needs_a_name(acme):
    with pytest.raises(ApiKeyError) as error:
        api_key_create(biller=acme.biller, actor=acme.owner, name="   ")
    assert error.value.field == "name"
