"""How passwords are stored: Argon2id at OWASP's minimum (Password Storage Cheat Sheet: 19 MiB of
memory, 2 passes, 1 lane).

Django's own Argon2 defaults (100 MiB, 8 lanes) cost about 200 ms of CPU on each sign-in; with a
few dozen people signing in at once on a small server that was seconds per request, and every other
page waited behind it. These parameters cost about 20 ms and still meet the recommendation.

The algorithm name stays ``argon2``, so hashes written with other parameters (and PBKDF2 hashes,
kept after this hasher in ``PASSWORD_HASHERS``) still verify, and Django rewrites them with these
parameters at the next successful sign-in (``must_update``, via ``User.check_password``)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
