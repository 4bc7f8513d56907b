"""Optional two-factor sign-in with an authenticator app (TOTP, RFC 6238), via django-otp.

A person turns it on by scanning a QR code and typing one code back (which proves the app works);
they then get ten one-time backup codes for a lost phone. django-otp refuses a code used twice and
slows down guessing after failures.
"""

from __future__ import annotations

import secrets

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from remit.lib.errors import ActionError
from remit.users.models import User

BACKUP_CODES = 10
DEVICE_NAME = "Authenticator app"


class TwoFactorError(ActionError):
    pass


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_step_needed(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice:
    """The not-yet-confirmed device of a setup in progress (a new secret the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_code_data_uri(device: TOTPDevice, *, issuer: str, account: str) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (allowed by the CSP's img-src)."""
    return segno.make(_with_issuer(device.config_url, issuer=issuer, account=account), error="m").svg_data_uri(scale=5)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _with_issuer(config_url: str, *, issuer: str, account: str) -> str:
    """django-otp's URL names the device; authenticator apps show "issuer: account" instead."""
    query = config_url.split("?", 1)[1]
    params = [p for p in query.split("&") if not p.startswith("issuer=")]
    return f"otpauth://totp/{_quote(issuer)}:{_quote(account)}?{'&'.join(params)}&issuer={_quote(issuer)}"


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    import base64

    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def confirm(user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on if ``code`` is right; return the backup codes (shown once)."""
    device = pending_device(user)
    if not device.verify_token(code.replace(" ", "")):
        raise TwoFactorError(
            "That code is not right. Check the time on your phone and type the newest code.", field="code"
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


def verify(user: User, code: str) -> bool:
    """A code from the app, or one of the backup codes (each works once)."""
    code = code.replace(" ", "").replace("-", "").lower()
    device = confirmed_device(user)
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    backup = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return bool(backup is not None and backup.verify_token(code))


@transaction.atomic
def turn_off(user: User, *, password: str) -> None:
    if not user.check_password(password):
        raise TwoFactorError("Your password is not right.", field="password")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
