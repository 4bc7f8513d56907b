"""The biller's bank connection: checked field by field, saved by an owner (or an operator on the
command line), every change recorded in ``BankConnectionChange`` without any secret's value; the
SSH key Remit generates; the bank's host key, pinned once an owner confirmed its fingerprint; and
what happens when the server presents another key (every transfer stops, the owners are emailed).
"""

from __future__ import annotations

import posixpath
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from remit.bank import pgp, sftp
from remit.bank.models import AuthMethod, BankConnection, BankConnectionChange
from remit.billers.models import Biller
from remit.billers.permissions import require_owner
from remit.billers.selectors import owner_emails
from remit.lib import crypto
from remit.lib.errors import ActionError
from remit.notifications.actions import email_send
from remit.users.models import User

OWNERS_ONLY = "Only an owner can change the bank connection."
HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
USERNAME = re.compile(r"^[^\s:@/]{1,100}$")
# What the history shows of each field; secrets only as "set" / "changed".
PLAIN_FIELDS = ("host", "port", "username", "auth", "outbound_dir", "inbound_dir", "enabled")
SECRET_FIELDS = ("password", "ssh_key", "pgp_own_key", "pgp_own_passphrase")


class BankConnectionError(ActionError):
    pass


@dataclass
class ConnectionFields:
    """What an owner sets. Empty secrets keep the saved ones."""

    host: str = ""
    port: int | None = 22
    username: str = ""
    auth: str = AuthMethod.KEY
    password: str = ""
    private_key: str = ""  # an uploaded SSH private key (OpenSSH or PEM); empty: keep (or generate one)
    outbound_dir: str = "/"
    inbound_dir: str = "/"
    pgp_bank_key: str = ""
    pgp_own_key: str = ""
    pgp_own_passphrase: str = ""
    remove_pgp_bank_key: bool = False
    remove_pgp_own_key: bool = False
    enabled: bool = False
    host_key: str = ""  # "TYPE BASE64" to pin (the command line); empty: keep the pinned one

    def __repr__(self) -> str:  # never the secrets, whatever prints it
        return f"ConnectionFields(sftp://{self.username}@{self.host}:{self.port})"


@dataclass
class _Clean:
    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # field → new encrypted value
    errors: dict[str, str] = field(default_factory=dict)


def _folder(errors: dict[str, str], name: str, value: str, label: str) -> str:
    value = value.strip()
    if not value:
        errors[name] = f"Enter the {label} (e.g. /outbound, as the bank says)."
        return value
    if any(ord(c) < 32 for c in value) or ".." in value.split("/"):
        errors[name] = f"The {label} can't contain “..” or control characters."
        return value
    return posixpath.normpath(value)


def check_connection_fields(fields: ConnectionFields, current: BankConnection | None) -> _Clean:
    """Every problem at once, by field; the values cleaned and the new secrets encrypted."""
    clean = _Clean()
    errors = clean.errors
    host = fields.host.strip().lower()
    if not host:
        errors["host"] = "Enter the bank's SFTP server, e.g. sftp.bank.example."
    elif not HOST.match(host):
        errors["host"] = f"“{host[:60]}” is not a host name or an IP address (no sftp:// or path)."
    port = fields.port
    if port is None or not 1 <= port <= 65535:
        errors["port"] = "Enter a port from 1 to 65535 (SFTP's is usually 22)."
    username = fields.username.strip()
    if not USERNAME.match(username):
        errors["username"] = "Enter the user name the bank gave you (no spaces, “:”, “@” or “/”)."
    if fields.auth not in AuthMethod.values:
        errors["auth"] = "Choose an SSH key or a password."
    clean.values.update(
        host=host,
        port=port,
        username=username,
        auth=fields.auth,
        outbound_dir=_folder(errors, "outbound_dir", fields.outbound_dir, "folder for Remit's files"),
        inbound_dir=_folder(errors, "inbound_dir", fields.inbound_dir, "folder of the bank's files"),
        enabled=fields.enabled,
    )
    _check_login(fields, current, clean)
    _check_pgp(fields, current, clean)
    if fields.host_key.strip():
        try:
            key = sftp.parse_host_key(fields.host_key)
        except ValueError as error:
            errors["host_key"] = str(error)
        else:
            clean.values.update(host_key=key.text, host_key_fingerprint=key.fingerprint)
    pinned = clean.values.get("host_key") or (current.host_key if current else "")
    if fields.enabled and not pinned:
        errors["enabled"] = "Confirm the bank's host key (Fetch host key, below) before turning the connection on."
    return clean


def _check_login(fields: ConnectionFields, current: BankConnection | None, clean: _Clean) -> None:
    if fields.auth == AuthMethod.PASSWORD:
        if fields.password:
            if len(fields.password) > 200:
                clean.errors["password"] = "The password can be at most 200 characters."
            clean.secrets["password_encrypted"] = crypto.encrypt(fields.password)
        elif not (current and current.password_encrypted):
            clean.errors["password"] = "Enter the password the bank gave you."
    if fields.private_key.strip():
        try:
            public = sftp.public_key_of(fields.private_key.strip())
        except ValueError as error:
            clean.errors["private_key"] = str(error)
        else:
            clean.secrets["ssh_private_key_encrypted"] = crypto.encrypt(fields.private_key.strip() + "\n")
            clean.values["ssh_public_key"] = public
    elif fields.auth == AuthMethod.KEY and not (current and current.ssh_private_key_encrypted):
        clean.errors["private_key"] = "Generate Remit's SSH key (below) or upload your own private key."


def _check_pgp(fields: ConnectionFields, current: BankConnection | None, clean: _Clean) -> None:
    if fields.remove_pgp_bank_key:
        clean.values.update(pgp_bank_key="", pgp_bank_fingerprint="")
    elif fields.pgp_bank_key.strip():
        try:
            info = pgp.inspect_key(fields.pgp_bank_key, secret=False)
        except pgp.PgpError as error:
            clean.errors["pgp_bank_key"] = str(error)
        else:
            clean.values.update(pgp_bank_key=fields.pgp_bank_key.strip() + "\n", pgp_bank_fingerprint=info.fingerprint)
    if fields.remove_pgp_own_key:
        clean.values["pgp_own_fingerprint"] = ""
        clean.secrets.update(pgp_own_key_encrypted="", pgp_own_passphrase_encrypted="")
        return
    key = fields.pgp_own_key.strip()
    passphrase = fields.pgp_own_passphrase
    if not key and passphrase and current and current.pgp_own_key_encrypted:
        key = crypto.decrypt(current.pgp_own_key_encrypted)  # a new passphrase for the saved key
    if not key:
        return
    try:
        info = pgp.check_private_key(key, passphrase)
    except pgp.PgpError as error:
        clean.errors["pgp_own_key" if fields.pgp_own_key.strip() else "pgp_own_passphrase"] = str(error)
        return
    clean.values["pgp_own_fingerprint"] = info.fingerprint
    clean.secrets["pgp_own_key_encrypted"] = crypto.encrypt(key + "\n")
    clean.secrets["pgp_own_passphrase_encrypted"] = crypto.encrypt(passphrase) if passphrase else ""


def snapshot(connection: BankConnection | None) -> dict[str, Any]:
    """What the history compares: plain fields as they are, fingerprints, secrets as "set" or ""."""
    if connection is None:
        return {}
    values: dict[str, Any] = {name: getattr(connection, name) for name in PLAIN_FIELDS}
    values["host_key"] = connection.host_key_fingerprint
    values["pgp_bank_key"] = connection.pgp_bank_fingerprint
    values["pgp_own_key"] = connection.pgp_own_fingerprint
    values["ssh_key"] = (
        sftp.HostKey(*connection.ssh_public_key.split()[:2]).fingerprint if connection.ssh_public_key else ""
    )
    values["password"] = "set" if connection.password_encrypted else ""
    values["pgp_own_passphrase"] = "set" if connection.pgp_own_passphrase_encrypted else ""
    return values


def _record(
    biller: Biller,
    actor: User | None,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    secrets_changed: set[str] = frozenset(),  # type: ignore[assignment]
    what: str = "",
) -> None:
    """One history row naming every field that changed; a secret typed again counts as changed."""
    changed = [
        name for name in after if before.get(name) != after[name] and (name in before or after[name] not in ("", None))
    ]
    changed += [name for name in sorted(secrets_changed) if name not in changed]
    if not changed and not what:
        return
    shown_after = {
        name: ("changed" if name in secrets_changed and after.get(name) else after.get(name)) for name in changed
    }
    BankConnectionChange.objects.create(
        biller=biller,
        actor=actor,
        actor_email=actor.email if actor else "",
        what=what,
        before={name: before[name] for name in changed if name in before},
        after=shown_after,
    )


@transaction.atomic
def bank_connection_save(*, biller: Biller, actor: User | None, fields: ConnectionFields) -> BankConnection:
    """Save the connection. ``actor`` None is an operator on the command line."""
    if actor is not None:
        require_owner(biller, actor, message=OWNERS_ONLY)
    current = BankConnection.objects.select_for_update().filter(biller=biller).first()
    clean = check_connection_fields(fields, current)
    if clean.errors:
        raise BankConnectionError(errors={name: [message] for name, message in clean.errors.items()})
    before = snapshot(current)
    connection = current or BankConnection(biller=biller)
    for name, value in {**clean.values, **clean.secrets}.items():
        setattr(connection, name, value)
    if "host_key" in clean.values:
        connection.host_key_seen = connection.host_key_seen_fingerprint = ""
        connection.host_key_changed_at = None
    if connection.enabled and connection.deliver_from is None:
        connection.deliver_from = timezone.now()
    connection.updated_at = timezone.now()
    connection.save()
    changed = {
        "password" if "password_encrypted" in clean.secrets else "",
        "ssh_key" if "ssh_private_key_encrypted" in clean.secrets else "",
        "pgp_own_key" if "pgp_own_key_encrypted" in clean.secrets else "",
        "pgp_own_passphrase" if fields.pgp_own_passphrase else "",
    } - {""}
    _record(biller, actor, before, snapshot(connection), secrets_changed=changed)
    return connection


@transaction.atomic
def bank_key_generate(*, biller: Biller, actor: User) -> BankConnection:
    """A new Ed25519 key pair for the biller (the public key is what the owner gives the bank). The
    old key stops working at once: the bank must get the new public key."""
    require_owner(biller, actor, message=OWNERS_ONLY)
    current = BankConnection.objects.select_for_update().filter(biller=biller).first()
    before = snapshot(current)
    connection = current or BankConnection(biller=biller, host="", username="")
    private, public = sftp.generate_key_pair()
    connection.ssh_private_key_encrypted = crypto.encrypt(private)
    connection.ssh_public_key = public
    connection.updated_at = timezone.now()
    connection.save()
    _record(biller, actor, before, snapshot(connection), what="generated a new SSH key")
    return connection


@transaction.atomic
def bank_host_key_pin(*, biller: Biller, actor: User | None, host_key: str) -> BankConnection:
    """Trust ``host_key`` (whose fingerprint the owner compared with the bank's); transfers resume."""
    if actor is not None:
        require_owner(biller, actor, message=OWNERS_ONLY)
    try:
        key = sftp.parse_host_key(host_key)
    except ValueError as error:
        raise BankConnectionError(str(error), field="host_key") from None
    connection = BankConnection.objects.select_for_update().filter(biller=biller).first()
    if connection is None:
        raise BankConnectionError("Save the bank's server address first.")
    before = snapshot(connection)
    connection.host_key, connection.host_key_fingerprint = key.text, key.fingerprint
    connection.host_key_seen = connection.host_key_seen_fingerprint = ""
    connection.host_key_changed_at = None
    connection.updated_at = timezone.now()
    connection.save()
    _record(biller, actor, before, snapshot(connection), what="confirmed the bank's host key")
    return connection


def bank_host_key_changed(connection_id: int, seen: sftp.HostKey | None) -> None:
    """The server presented another host key: stop every transfer for this biller, record it, and
    email the owners — once per change (a second worker meeting it again changes nothing)."""
    now = timezone.now()
    with transaction.atomic():
        stopped = BankConnection.objects.filter(pk=connection_id, host_key_changed_at__isnull=True).update(
            host_key_changed_at=now,
            host_key_seen=seen.text if seen else "",
            host_key_seen_fingerprint=seen.fingerprint if seen else "",
            updated_at=now,
        )
        if not stopped:
            return
        connection = BankConnection.objects.select_related("biller").get(pk=connection_id)
        biller = connection.biller
        BankConnectionChange.objects.create(
            biller=biller,
            what="the bank's server presented another host key: transfers stopped",
            before={"host_key": connection.host_key_fingerprint},
            after={"host_key": connection.host_key_seen_fingerprint or "another type of key"},
        )
        tell_owners(
            biller,
            "bank_host_key_changed",
            {
                "connection": connection,
                "pinned": connection.host_key_fingerprint,
                "seen": connection.host_key_seen_fingerprint,
            },
        )


def tell_owners(biller: Biller, template: str, context: dict[str, Any]) -> None:
    """An email to the biller's owners, in the transaction of its cause."""
    owners = owner_emails(biller.pk)
    if owners:
        url = f"{settings.REMIT_BASE_URL}/console/{biller.slug}/ach/bank/"
        email_send(
            to=owners, template=template, biller=biller, context={**context, "biller": biller, "console_url": url}
        )


def endpoint_of(connection: BankConnection, *, timeout: float = sftp.DEFAULT_TIMEOUT) -> sftp.Endpoint:
    """How to reach the bank, secrets decrypted for the moment of the connection."""
    key = password = ""
    if connection.auth == AuthMethod.KEY and connection.ssh_private_key_encrypted:
        key = crypto.decrypt(connection.ssh_private_key_encrypted)
    elif connection.password_encrypted:
        password = crypto.decrypt(connection.password_encrypted)
    return sftp.Endpoint(
        host=connection.host,
        port=connection.port,
        username=connection.username,
        host_key=connection.host_key,
        private_key=key,
        password=password,
        timeout=timeout,
    )


@dataclass
class ProbeReport:
    ok: bool
    lines: list[str]
    host_key_changed: sftp.HostKeyChanged | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def probe_endpoint(endpoint: sftp.Endpoint, *, outbound_dir: str, inbound_dir: str) -> ProbeReport:
    """Connect, list both folders, and check Remit may write in the outbound one (a hidden
    ``.remit-test-…`` file, removed at once). Stops at the first step that fails and says which."""
    lines: list[str] = []
    try:
        with sftp.open_session(endpoint) as session:
            lines.append(f"Connected to {endpoint.where} as {endpoint.username}; the host key matches.")
            listed = session.check_folder(outbound_dir)
            lines.append(f"Listed the folder for Remit's files, {outbound_dir}: {len(listed)} item(s).")
            probe = posixpath.join(outbound_dir, f".remit-test-{secrets.token_hex(4)}")
            session.upload(probe, b"remit connection test\n")
            session.remove(probe)
            lines.append(f"Remit may write in {outbound_dir}.")
            listed = session.check_folder(inbound_dir)
            lines.append(f"Listed the folder of the bank's files, {inbound_dir}: {len(listed)} item(s).")
    except sftp.SftpError as error:
        lines.append(f"Failed: {error}")
        changed = error if isinstance(error, sftp.HostKeyChanged) else None
        return ProbeReport(ok=False, lines=lines, host_key_changed=changed)
    return ProbeReport(ok=True, lines=lines)


def bank_connection_test(*, biller: Biller) -> ProbeReport:
    """The console's Test connection: the report is kept on the connection and shown on its page."""
    connection = BankConnection.objects.filter(biller=biller).first()
    if connection is None or not connection.host:
        return ProbeReport(ok=False, lines=["Save the bank's server address first."])
    if not connection.host_key:
        return ProbeReport(ok=False, lines=["Fetch and confirm the bank's host key first."])
    try:
        endpoint = endpoint_of(connection)
    except crypto.DecryptionError as error:
        return ProbeReport(ok=False, lines=[f"Failed: Remit can't read the saved secret ({error})."])
    report = probe_endpoint(endpoint, outbound_dir=connection.outbound_dir, inbound_dir=connection.inbound_dir)
    if report.host_key_changed is not None:  # stops the transfers, as anywhere else
        bank_host_key_changed(connection.pk, report.host_key_changed.seen)
    BankConnection.objects.filter(pk=connection.pk).update(
        last_test_at=timezone.now(), last_test_ok=report.ok, last_test_report=report.text
    )
    return report


SECRET_COLUMNS = (
    "ssh_private_key_encrypted",
    "password_encrypted",
    "pgp_own_key_encrypted",
    "pgp_own_passphrase_encrypted",
)


@transaction.atomic
def bank_secrets_reencrypt() -> int:
    """`remit rotate-keys`: the connections' secrets and the archived bank files re-encrypted with the
    first key of REMIT_ENCRYPTION_KEYS (all or nothing), so the old key can be dropped. Returns how many
    rows changed; a second run changes nothing."""
    from remit.bank.models import PickedUpFile

    rotated = 0
    for connection in BankConnection.objects.select_for_update().order_by("pk"):
        fields = {
            name: _reencrypt(getattr(connection, name), f"bank connection of biller {connection.biller_id}")
            for name in SECRET_COLUMNS
        }
        changed = {name: token for name, token in fields.items() if token is not None}
        if changed:
            BankConnection.objects.filter(pk=connection.pk).update(**changed)
            rotated += 1
    files = PickedUpFile.objects.select_for_update().order_by("pk").only("pk", "content_encrypted")
    for picked in files.iterator(chunk_size=200):
        token = _reencrypt(picked.content_encrypted, f"bank file {picked.pk}")
        if token is not None:
            PickedUpFile.objects.filter(pk=picked.pk).update(content_encrypted=token)
            rotated += 1
    return rotated


def _reencrypt(token: str, what: str) -> str | None:
    """The token under the first key, or None when it is empty or already there."""
    if not token or crypto.is_under_first_key(token):
        return None
    try:
        return crypto.reencrypt(token)
    except crypto.DecryptionError:
        raise crypto.DecryptionError(
            f"No key in REMIT_ENCRYPTION_KEYS can decrypt a secret of the {what}; nothing of the bank's was changed."
        ) from None
