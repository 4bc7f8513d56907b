"""Passwords are stored with Argon2id at OWASP's minimum, and hashes made before (Django's heavier
Argon2 defaults, PBKDF2) are rewritten with it when their owner signs in to the console or a portal."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, make_password

from remit import settings as remit_settings
from remit.test import PASSWORD, make_biller, make_customer, make_portal_user
from remit.users.models import User

pytestmark = pytest.mark.django_db
NEW_PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


class _OldArgon2(Argon2PasswordHasher):
    # Other parameters than today's (smaller than Django's 100 MiB default, to keep the test fast).
    memory_cost = 8192
    parallelism = 2


class _OldPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000  # the hash carries its own count; few, to keep the test fast


OLD_HASHES = {"argon2_other_parameters": _OldArgon2(), "pbkdf2_sha256": _OldPBKDF2()}


@pytest.fixture
def real_hashers(settings):
    # The suite's autouse fixture swaps in MD5; these tests are about the real list.
    settings.PASSWORD_HASHERS = remit_settings.PASSWORD_HASHERS


def give_old_hash(user: User, kind: str) -> None:
    user.password = make_password(PASSWORD, hasher=OLD_HASHES[kind])
    user.save(update_fields=["password"])
    assert not user.password.startswith(NEW_PREFIX)


def test_new_passwords_are_argon2id_at_owasp_minimum(real_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith(NEW_PREFIX)  # 19 MiB, 2 passes, 1 lane


@pytest.mark.parametrize("kind", sorted(OLD_HASHES))
def test_an_old_hash_is_rewritten_when_signing_in_to_the_console(client, real_hashers, kind):
    biller, owner = make_biller(owner_email="alex@example.com")
    give_old_hash(owner, kind)
    response = client.post("/console/signin/", {"email": "alex@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/console/"
    owner.refresh_from_db()
    assert owner.password.startswith(NEW_PREFIX) and owner.check_password(PASSWORD)
    assert client.get(f"/console/{biller.slug}/").status_code == 200  # still signed in after the rewrite


@pytest.mark.parametrize("kind", sorted(OLD_HASHES))
def test_an_old_hash_is_rewritten_when_signing_in_to_a_portal(client, real_hashers, kind):
    biller, _ = make_biller("Acme Supply Co.")
    user = make_portal_user(make_customer(biller, "Initech", email="pat@initech.example"))
    give_old_hash(user, kind)
    response = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/acme-supply/"
    user.refresh_from_db()
    assert user.password.startswith(NEW_PREFIX) and user.check_password(PASSWORD)
    assert client.get("/acme-supply/").status_code == 200


def test_a_wrong_password_leaves_an_old_hash_alone(client, real_hashers):
    _, owner = make_biller(owner_email="alex@example.com")
    give_old_hash(owner, "pbkdf2_sha256")
    before = owner.password
    client.post("/console/signin/", {"email": "alex@example.com", "password": "not the password"})
    owner.refresh_from_db()
    assert owner.password == before
