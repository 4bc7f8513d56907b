"""Settings → API keys: an owner creates a key and sees it once; staff look but can't change."""

import pytest

from remit.api.actions import api_key_create
from remit.api.keys import key_digest
from remit.api.models import ApiKey
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.")


def test_the_owner_creates_a_key_and_sees_it_once(client, acme):
    biller, owner = acme
    client.force_login(owner)
    url = f"/console/{biller.slug}/settings/api-keys/"
    response = client.post(url, {"name": "Accounting sync"})
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    key = ApiKey.objects.get()
    html = page.content.decode()
    secret = html.split('id="new-key" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(key.prefix + "_") and key_digest(secret) == key.key_sha256
    assert page["Cache-Control"] == "no-store"
    assert (key.name, key.created_by) == ("Accounting sync", owner)
    again = client.get(url).content.decode()
    assert secret not in again and key.prefix in again and "Never" in again


def test_a_key_needs_a_name(client, acme):
    biller, owner = acme
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/settings/api-keys/", {"name": "   "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_owner_revokes_a_key(client, acme):
    biller, owner = acme
    key = api_key_create(biller=biller, actor=owner, name="Old sync").api_key
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/settings/api-keys/{key.pk}/revoke", follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == owner
    assert "is revoked. It no longer works." in response.content.decode()
    assert "Revoked " in response.content.decode() and f"api-keys/{key.pk}/revoke" not in response.content.decode()


def test_staff_see_the_keys_but_cannot_create_or_revoke(client, acme):
    biller, owner = acme
    key = api_key_create(biller=biller, actor=owner, name="Accounting sync").api_key
    client.force_login(make_staff(biller))
    page = client.get(f"/console/{biller.slug}/settings/api-keys/").content.decode()
    assert "Accounting sync" in page and "Only an owner can create or revoke API keys." in page
    assert "Create key" not in page
    assert client.post(f"/console/{biller.slug}/settings/api-keys/", {"name": "Mine"}).status_code == 403
    assert client.post(f"/console/{biller.slug}/settings/api-keys/{key.pk}/revoke").status_code == 403
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1


def test_another_billers_key_cannot_be_revoked_from_here(client, acme):
    biller, owner = acme
    other, other_owner = make_biller("Globex Corporation")
    key = api_key_create(biller=other, actor=other_owner, name="Globex sync").api_key
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/settings/api-keys/{key.pk}/revoke", follow=True)
    assert "This key does not exist." in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
