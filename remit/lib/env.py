"""Small helpers that read Remit's configuration from the environment.

Settings are read once, at start-up, from environment variables only. These helpers keep the
parsing rules (booleans, lists, URLs, generated development secrets) in one place so that
``remit/settings.py`` reads as a list of decisions.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigurationError(ImproperlyConfigured, RuntimeError):
    """A setting is missing or malformed; Remit refuses to start. (Django's ImproperlyConfigured, so
    whatever reports Django's configuration errors reports Remit's alike.)"""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r}).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number (got {raw!r}).") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """A rate such as "600/min": a whole number of requests per second, minute, hour or day."""
    raw = env_str(name, default).replace(" ", "")
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ConfigurationError(f"{name} must look like 600/min (per s, min, hour or day; got {raw!r}).")
    return raw


def generated_secret(*, name: str, data_dir: Path, production: bool, make: Callable[[], str]) -> str:
    """Return the secret from the environment, or one generated once into ``data_dir``.

    In production a missing secret is a start-up error: a secret silently generated on one host
    would differ from the next host's and break sessions or, worse, encrypted data.
    """
    value = env_str(name)
    if value:
        return value
    if production:
        raise ConfigurationError(
            f"{name} is not set. With REMIT_ENV=production every secret must come from the "
            "environment; see the README's Configuration section."
        )
    path = data_dir / "secrets" / name.lower()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    # O_EXCL: if two processes start at once, the second reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(64)


def new_encryption_key() -> str:
    return Fernet.generate_key().decode()


def parse_encryption_keys(raw: str) -> list[str]:
    """REMIT_ENCRYPTION_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ConfigurationError("REMIT_ENCRYPTION_KEYS holds no key.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ConfigurationError(
                f"REMIT_ENCRYPTION_KEYS: key {position} is not a valid key "
                "(32 url-safe base64-encoded bytes; generate one with `remit generate_key`)."
            ) from None
    return keys
