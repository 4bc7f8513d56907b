"""Parse ``EMAIL_URL`` into a description of how Remit delivers email.

Supported forms:

- ``smtp://user:password@host:587?tls=1`` — SMTP, upgraded with STARTTLS when ``tls=1``;
- ``smtps://user:password@host:465`` (or ``smtp://…?ssl=1``) — SMTP over implicit TLS;
- ``file:///absolute/dir`` or ``file:relative/dir`` — every message written as an ``.eml`` file;
- ``console:`` — every message printed to standard output.

The ``timeout`` query parameter (seconds, default 20) bounds every SMTP operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT = 20.0


class EmailUrlError(ValueError):
    pass


@dataclass(frozen=True)
class EmailTransport:
    scheme: str  # "smtp", "file" or "console"
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    directory: Path | None = None
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        """A safe, password-free description for logs and the health page."""
        if self.scheme == "smtp":
            security = "implicit TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "plain"
            return f"SMTP {self.host}:{self.port} ({security})"
        if self.scheme == "file":
            return f".eml files in {self.directory}"
        return "console"


def _flag(query: dict[str, list[str]], name: str) -> bool:
    value = (query.get(name) or ["0"])[-1].lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise EmailUrlError(f"EMAIL_URL: {name}= must be 1 or 0 (got {value!r}).")


def parse_email_url(url: str, *, base_dir: Path) -> EmailTransport:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    try:
        timeout = float((query.get("timeout") or [str(DEFAULT_TIMEOUT)])[-1])
    except ValueError:
        raise EmailUrlError("EMAIL_URL: timeout= must be a number of seconds.") from None
    if scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise EmailUrlError("EMAIL_URL: an SMTP address needs a host, e.g. smtp://mail.example.com:587?tls=1.")
        implicit_tls = scheme == "smtps" or _flag(query, "ssl")
        starttls = _flag(query, "tls")
        if implicit_tls and starttls:
            raise EmailUrlError("EMAIL_URL: choose either tls=1 (STARTTLS) or ssl=1 (implicit TLS), not both.")
        try:
            port = parts.port or (465 if implicit_tls else 25)
        except ValueError:
            raise EmailUrlError("EMAIL_URL: the port is not a number.") from None
        return EmailTransport(
            scheme="smtp",
            host=parts.hostname,
            port=port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=starttls,
            implicit_tls=implicit_tls,
            timeout=timeout,
        )
    if scheme == "file":
        raw_path = unquote(parts.netloc + parts.path)
        if not raw_path:
            raise EmailUrlError("EMAIL_URL: a file address needs a directory, e.g. file:///var/lib/remit/mail.")
        directory = Path(raw_path)
        return EmailTransport(scheme="file", directory=directory if directory.is_absolute() else base_dir / directory)
    if scheme == "console":
        return EmailTransport(scheme="console")
    raise EmailUrlError(f"EMAIL_URL: unsupported scheme {scheme!r}; use smtp, smtps, file or console.")
