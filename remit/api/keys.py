"""API keys as strings (a pure core: no database).

A key reads ``rk_live_AbCd1234_<43 random characters>``. The first 16 characters, the *prefix*,
name the key: they are stored in clear, shown in the console and used to find the key's row.
The whole key is stored only as its SHA-256 digest. The random part carries 256 bits, so a plain
digest (no salt, no slow hash) is enough: nobody can guess a key from its digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

KIND = "rk_live_"
PREFIX_RANDOM = 8
PREFIX_LENGTH = len(KIND) + PREFIX_RANDOM
ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str  # the whole key: shown once, never stored

    @property
    def digest(self) -> str:
        return key_digest(self.secret)


def new_key() -> NewKey:
    prefix = KIND + "".join(secrets.choice(ALPHABET) for _ in range(PREFIX_RANDOM))
    return NewKey(prefix=prefix, secret=f"{prefix}_{secrets.token_urlsafe(32)}")


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str | None:
    """The prefix of something that looks like a key, or None."""
    if not secret.startswith(KIND) or len(secret) <= PREFIX_LENGTH + 1 or secret[PREFIX_LENGTH] != "_":
        return None
    prefix = secret[:PREFIX_LENGTH]
    if not all(char in ALPHABET for char in prefix[len(KIND) :]):
        return None
    return prefix


def digest_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(secret), digest)
