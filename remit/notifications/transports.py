"""Hand a finished MIME message to the world: an SMTP server, a folder of .eml files, or stdout.

Which one is chosen by ``EMAIL_URL`` (parsed in ``remit.lib.email_url``). Every function here
raises on failure; the outbox records the error and tries again later.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import sys
import tempfile
from email.utils import parseaddr

from remit.lib.email_url import EmailTransport


class DeliveryError(RuntimeError):
    pass


def deliver(transport: EmailTransport, *, from_email: str, recipients: list[str], raw: bytes, name: str) -> None:
    envelope_from = parseaddr(from_email)[1] or from_email
    if transport.scheme == "smtp":
        _deliver_smtp(transport, envelope_from, recipients, raw)
    elif transport.scheme == "file":
        _deliver_file(transport, raw, name)
    else:
        sys.stdout.write(raw.decode("utf-8", "replace").replace("\r\n", "\n") + "\n" + "-" * 79 + "\n")
        sys.stdout.flush()


def _deliver_smtp(transport: EmailTransport, envelope_from: str, recipients: list[str], raw: bytes) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if transport.implicit_tls:
        smtp = smtplib.SMTP_SSL(transport.host, transport.port, timeout=transport.timeout, context=context)
    else:
        smtp = smtplib.SMTP(transport.host, transport.port, timeout=transport.timeout)
    try:
        if transport.starttls:
            smtp.starttls(context=context)
        if transport.username:
            smtp.login(transport.username, transport.password)
        refused = smtp.sendmail(envelope_from, recipients, raw)
        if refused:
            raise DeliveryError(f"The mail server refused some recipients: {sorted(refused)}")
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _deliver_file(transport: EmailTransport, raw: bytes, name: str) -> None:
    assert transport.directory is not None
    transport.directory.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name and rename, so a reader never sees half a message.
    fd, tmp = tempfile.mkstemp(dir=transport.directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, transport.directory / f"{name}.eml")
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
