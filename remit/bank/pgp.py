"""PGP for bank files, with GnuPG (Debian's ``/usr/bin/gpg``) through python-gnupg.

Every use runs in a temporary GnuPG home of its own, made for that one call and removed after it
(its agent stopped): keys live in Remit's database — the biller's private key and passphrase
encrypted like account numbers — and are imported for the moment they are needed, so no keyring
outlives a call and two billers' keys never meet. Errors say what is wrong with the key or the
data in words; they never contain a key or a passphrase.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import gnupg

GPG_BINARY = "/usr/bin/gpg"


class PgpError(Exception):
    """``str(error)`` is the message shown to the owner."""


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    user_ids: tuple[str, ...]
    secret: bool

    @property
    def label(self) -> str:
        name = self.user_ids[0] if self.user_ids else "no user ID"
        return f"{name} ({self.short})"

    @property
    def short(self) -> str:
        """The fingerprint in groups of four, as GnuPG prints it."""
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, len(self.fingerprint), 4))


@contextlib.contextmanager
def _gpg() -> Iterator[gnupg.GPG]:
    with tempfile.TemporaryDirectory(prefix="remit-gpg-") as home:
        gpg = gnupg.GPG(gpgbinary=GPG_BINARY, gnupghome=home)
        gpg.encoding = "utf-8"
        try:
            yield gpg
        finally:
            # The agent started for a secret key would otherwise outlive its home for a while.
            subprocess.run(
                ["/usr/bin/gpgconf", "--homedir", home, "--kill", "gpg-agent"],
                capture_output=True,
                check=False,
                timeout=10,
            )


def _import(gpg: gnupg.GPG, armored: str, *, passphrase: str | None = None) -> list[str]:
    if "-----BEGIN PGP" not in armored:
        raise PgpError(
            "This is not a PGP key: an ASCII-armored key starts with “-----BEGIN PGP PUBLIC KEY BLOCK-----”."
        )
    result = gpg.import_keys(armored, passphrase=passphrase)
    if not result.fingerprints:
        raise PgpError("GnuPG found no key it can use in this text (a damaged or unsupported PGP key?).")
    return list(dict.fromkeys(result.fingerprints))


def inspect_key(armored: str, *, secret: bool) -> KeyInfo:
    """The one key in ``armored``: a public key (``secret=False``) or a private one. PgpError otherwise."""
    with _gpg() as gpg:
        fingerprints = _import(gpg, armored)
        if len(fingerprints) != 1:
            raise PgpError(f"This holds {len(fingerprints)} keys; give one key only.")
        keys = gpg.list_keys(secret=secret)
        if not keys:
            if secret:
                raise PgpError("This is a public key; Remit needs your private key to read the bank's files.")
            raise PgpError("GnuPG found no public key in this text.")
        key = keys[0]
        if not secret and "-----BEGIN PGP PRIVATE KEY" in armored:
            raise PgpError("This is a private key: give the bank's public key here (never a private one).")
        if not secret and "e" not in key.get("cap", "").lower():
            raise PgpError("The bank's key can't be used to encrypt (it has no encryption subkey).")
        return KeyInfo(key["fingerprint"], tuple(key.get("uids", ())), secret)


def encrypt(data: bytes, *, public_key: str) -> bytes:
    """``data`` encrypted to ``public_key`` (binary OpenPGP, as banks take ``.pgp`` files)."""
    with _gpg() as gpg:
        fingerprint = _import(gpg, public_key)[0]
        result = gpg.encrypt(data, [fingerprint], always_trust=True, armor=False)
        if not result.ok:
            raise PgpError(f"GnuPG could not encrypt to the bank's key: {result.status or 'unknown error'}.")
        return bytes(result.data)


def looks_encrypted(data: bytes) -> bool:
    """An ASCII-armored PGP message, or a binary OpenPGP packet (first byte with its high bit set)."""
    return data.lstrip()[:27] == b"-----BEGIN PGP MESSAGE-----" or (bool(data) and data[0] & 0x80 != 0)


def decrypt(data: bytes, *, private_key: str, passphrase: str) -> bytes:
    """``data`` decrypted with the biller's private key. PgpError says why not: not PGP, encrypted to
    another key, or the passphrase doesn't open the key."""
    if not looks_encrypted(data):
        raise PgpError("The file is not PGP-encrypted.")
    with _gpg() as gpg:
        _import(gpg, private_key, passphrase=passphrase or None)
        result = gpg.decrypt(data, passphrase=passphrase or None, always_trust=True)
        if result.ok:
            return bytes(result.data)
        said = result.stderr or ""
        if "Bad passphrase" in said or "BAD_PASSPHRASE" in said:
            raise PgpError("The passphrase of your PGP key is wrong.")
        if "NO_SECKEY" in said:
            raise PgpError("The file is encrypted to another key than your PGP key: ask the bank which key it uses.")
        if "NODATA" in said or "no valid OpenPGP data" in said:
            raise PgpError("The file is not a PGP message GnuPG can read.")
        raise PgpError(f"GnuPG could not decrypt the file: {result.status or 'unknown error'}.")


def check_private_key(private_key: str, passphrase: str) -> KeyInfo:
    """The key's details, once a test message encrypted to it decrypts with ``passphrase``."""
    info = inspect_key(private_key, secret=True)
    with _gpg() as gpg:
        _import(gpg, private_key, passphrase=passphrase or None)
        probe = gpg.encrypt(b"remit", [info.fingerprint], always_trust=True, armor=False)
        if not probe.ok:
            raise PgpError("Your PGP key can't receive encrypted files (it has no encryption subkey).")
    try:
        decrypt(bytes(probe.data), private_key=private_key, passphrase=passphrase)
    except PgpError as error:
        raise PgpError(f"{error} Nothing was saved.") from None
    return info
