"""How a stored file is sealed at rest: NACHA files hold customers' full account numbers, so the
bytes in the database store or the S3 bucket are never the plaintext. A sealed file is

    b"REMIT-SEALED-1\\n" + a Fernet token of the whole plaintext

(``lib.crypto``: AES-128-CBC + HMAC-SHA256 with the keys of REMIT_ENCRYPTION_KEYS, the first key
seals, every key opens), so a database dump, a bucket leak or a backup archive shows no account
number, and bytes altered or sealed with a key no longer configured are refused rather than read as
garbage. The header makes the format unambiguous: bytes without it are a file stored before sealing
existed (read as they are; `remit rotate_keys` seals them).

A file is sealed and opened whole, in memory. Measured on a 10 MiB file (NACHA files are a few MB at
most): about 0.1 s either way, a peak of about 60 MiB beyond the file itself (the padded plaintext,
the ciphertext, its base64, the copies), and the sealed bytes are 1.33 times the plaintext. That is
acceptable for Remit's files; a store of much larger files would want sealing in segments.
"""

from __future__ import annotations

from remit.lib import crypto

HEADER = b"REMIT-SEALED-1\n"


class SealedFileUnreadable(crypto.DecryptionError):
    """No configured key opens the stored file (or its sealed bytes were altered)."""


def is_sealed(raw: bytes) -> bool:
    return raw.startswith(HEADER)


def seal(plain: bytes) -> bytes:
    return HEADER + crypto.encrypt_bytes(plain)


def unseal(raw: bytes, *, name: str) -> bytes:
    """The plaintext of ``raw``: opened with the configured keys, or as it is when it was stored
    before sealing (no header)."""
    if not is_sealed(raw):
        return raw
    try:
        return crypto.decrypt_bytes(raw[len(HEADER) :])
    except crypto.DecryptionError:
        raise SealedFileUnreadable(
            f"No key in REMIT_ENCRYPTION_KEYS opens the stored file {name}: it was sealed with a key that is no "
            "longer configured (put that key back, after the first), or its sealed bytes were altered."
        ) from None


def under_first_key(raw: bytes) -> bool:
    """Whether ``raw`` is sealed with the first key already (`remit rotate_keys` leaves it alone)."""
    return is_sealed(raw) and crypto.is_bytes_under_first_key(raw[len(HEADER) :])
