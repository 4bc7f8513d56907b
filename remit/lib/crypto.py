"""Encryption of bank account numbers at rest (Fernet: AES-128-CBC + HMAC-SHA256) with the keys of
``REMIT_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts (MultiFernet), so keys can be
rotated — put the new key first, then run `remit rotate-keys` to re-encrypt every stored number.

A keyed lookup hash (HMAC-SHA256) lets Remit notice the same account number twice without
decrypting anything; its key is derived from the first encryption key, so `remit rotate-keys`
recomputes the hashes too.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(RuntimeError):
    """No configured key opens this value: REMIT_ENCRYPTION_KEYS lacks the key it was written with."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.REMIT_ENCRYPTION_KEYS)


def encrypt(plain: str) -> str:
    return _fernet(_keys()).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("None of the keys in REMIT_ENCRYPTION_KEYS can decrypt this value.") from None


def reencrypt(token: str) -> str:
    """The same value encrypted with the current first key (for key rotation)."""
    try:
        return _fernet(_keys()).rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("None of the keys in REMIT_ENCRYPTION_KEYS can decrypt this value.") from None


def is_under_first_key(token: str) -> bool:
    """Whether ``token`` is already encrypted with the first key (`remit rotate-keys` skips it)."""
    return is_bytes_under_first_key(token.encode())


def encrypt_bytes(plain: bytes) -> bytes:
    """``plain`` as a Fernet token (bytes) under the first key: for whole files (``remit.files``)."""
    return _fernet(_keys()).encrypt(plain)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(_keys()).decrypt(token)
    except InvalidToken:
        raise DecryptionError("None of the keys in REMIT_ENCRYPTION_KEYS can decrypt this value.") from None


def is_bytes_under_first_key(token: bytes) -> bool:
    try:
        Fernet(_keys()[0].encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def lookup_hash(plain: str, *, purpose: str) -> str:
    """A keyed hash of ``plain`` for equality lookups; different per ``purpose``."""
    key = hashlib.sha256(b"remit-lookup:" + _keys()[0].encode()).digest()
    return hmac.new(key, f"{purpose}:{plain}".encode(), hashlib.sha256).hexdigest()


def mask(last4: str) -> str:
    """How an account number is shown anywhere: ••••3210."""
    return f"••••{last4}"
