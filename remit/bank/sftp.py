"""A small, synchronous SFTP client for the bank's server, over asyncssh (each session runs on an
event loop of its own in a thread of its own, ``lib/aio.LoopThread``, so it works even where the
calling thread runs a loop already; nothing here speaks the protocol by hand).

The server's host key is pinned: a session trusts exactly the key the owner confirmed, and a server
that presents another one raises ``HostKeyChanged`` (with the key it presented, when it presented
one), which stops every transfer for that biller. Every other failure is a ``SftpError`` whose
message says what failed in words an owner can act on — never a password, a key or a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import posixpath
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

from remit.lib.aio import LoopThread

T = TypeVar("T")
DEFAULT_TIMEOUT = 20.0  # seconds for the connection and for each operation
CHUNK = 64 * 1024


class SftpError(Exception):
    """A transfer failed; ``str(error)`` is the message shown to the owner."""


class Unreachable(SftpError):
    """The server could not be reached, or the connection was cut or timed out."""


class LoginRefused(SftpError):
    pass


class FolderProblem(SftpError):
    """A remote folder is missing, not a folder, not readable or not writable, or full."""


@dataclass(frozen=True)
class HostKey:
    """A server's public host key: its type (``ssh-ed25519``), its base64 body and its SHA-256 fingerprint."""

    key_type: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.key_type} {self.body}"

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.body)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class HostKeyChanged(SftpError):
    """The server presented another host key than the pinned one (``seen`` when it presented one)."""

    def __init__(self, message: str, seen: HostKey | None) -> None:
        super().__init__(message)
        self.seen = seen


def parse_host_key(text: str) -> HostKey:
    """``TYPE BASE64`` (a known_hosts line's key part; a trailing comment is ignored). ValueError if not."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("A host key is its type and its base64 text, e.g. “ssh-ed25519 AAAAC3Nz…”.")
    try:
        key = asyncssh.import_public_key(f"{parts[0]} {parts[1]}")
    except (asyncssh.KeyImportError, ValueError):
        raise ValueError(f"“{parts[0]} {parts[1][:12]}…” is not an SSH public host key.") from None
    return _host_key(key)


def _host_key(key: asyncssh.SSHKey) -> HostKey:
    key_type, body = key.export_public_key("openssh").decode().split()[:2]
    return HostKey(key_type, body)


@dataclass(frozen=True)
class Endpoint:
    """What it takes to open a session: where, who, how, and the pinned host key."""

    host: str
    port: int
    username: str
    host_key: str  # "TYPE BASE64", pinned
    private_key: str = ""  # OpenSSH private key text, or
    password: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:  # never the secrets, whatever prints it
        return f"Endpoint({self.username}@{self.where})"


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    mtime: int
    is_file: bool


class _Client(asyncssh.SSHClient):
    """Remembers the host key a server presented when it was not the pinned one."""

    def __init__(self) -> None:
        self.seen: asyncssh.SSHKey | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.seen = key
        return False


def generate_key_pair() -> tuple[str, str]:
    """A new Ed25519 key pair: (private key in OpenSSH format, public key line ``ssh-ed25519 … remit``)."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment="remit")
    return key.export_private_key("openssh").decode(), key.export_public_key("openssh").decode().strip()


def public_key_of(private_key: str) -> str:
    """The OpenSSH public key line of an OpenSSH/PEM private key. ValueError if it isn't one (or is
    protected by a passphrase: Remit needs to use it unattended)."""
    try:
        key = asyncssh.import_private_key(private_key)
    except asyncssh.KeyEncryptionError:
        raise ValueError(
            "This private key is protected by a passphrase; upload one without (Remit uses it unattended)."
        ) from None
    except (asyncssh.KeyImportError, ValueError):
        raise ValueError("This is not an SSH private key (OpenSSH or PEM format).") from None
    return str(key.export_public_key("openssh").decode().split("\n")[0])


def fetch_host_key(host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT) -> HostKey:
    """The host key the server presents now (for the owner to compare with what the bank says)."""

    async def fetch() -> asyncssh.SSHKey | None:
        return await asyncssh.get_server_host_key(host, port, config=None)

    with LoopThread("remit-sftp") as runner:
        key = _run(runner, fetch(), where=f"{host}:{port}", timeout=timeout)
    if key is None:
        raise SftpError(f"The server at {host}:{port} presented no host key.")
    return _host_key(key)


class Session:
    """An open SFTP session (see ``open_session``). Paths are the server's, e.g. ``/outbound/x.ach``."""

    def __init__(self, runner: LoopThread, endpoint: Endpoint, sftp: asyncssh.SFTPClient) -> None:
        self._runner, self._endpoint, self._sftp = runner, endpoint, sftp

    def _do(self, coro: Awaitable[T], *, folder: str = "", path: str = "") -> T:
        try:
            return _run(self._runner, coro, where=self._endpoint.where, timeout=self._endpoint.timeout)
        except asyncssh.SFTPError as error:
            raise _sftp_problem(error, folder=folder, path=path) from None

    @property
    def supports_posix_rename(self) -> bool:
        return bool(getattr(self._sftp._handler, "_supports_posix_rename", False))

    def entries(self, folder: str) -> list[RemoteFile]:
        """The folder's entries (not ``.`` and ``..``), by name."""
        names = self._do(self._sftp.readdir(folder), folder=folder)
        found = []
        for entry in names:
            name = entry.filename if isinstance(entry.filename, str) else entry.filename.decode()
            if name in {".", ".."}:
                continue
            attrs = entry.attrs
            is_file = attrs.type == asyncssh.FILEXFER_TYPE_REGULAR or (
                attrs.type == asyncssh.FILEXFER_TYPE_UNKNOWN
                and attrs.permissions is not None
                and (attrs.permissions & 0o170000) == 0o100000
            )
            found.append(RemoteFile(name, attrs.size or 0, int(attrs.mtime or 0), is_file))
        return sorted(found, key=lambda item: item.name)

    def check_folder(self, folder: str) -> list[RemoteFile]:
        """List a folder, with a clear message when it is missing or is a file."""
        try:
            is_dir = self._do(self._sftp.isdir(folder), folder=folder)
        except FolderProblem:
            raise
        if not is_dir:
            exists = self._do(self._sftp.exists(folder), folder=folder)
            what = "is a file, not a folder" if exists else "does not exist"
            raise FolderProblem(f"The folder {folder} {what} on the bank's server.")
        return self.entries(folder)

    def upload(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` (replacing what is there), then check the size the server reports."""

        async def put() -> int:
            async with self._sftp.open(path, "wb") as handle:
                for start in range(0, len(data), CHUNK):
                    await handle.write(data[start : start + CHUNK])
            return int((await self._sftp.stat(path)).size or 0)

        written = self._do(put(), folder=posixpath.dirname(path), path=path)
        if written != len(data):
            raise FolderProblem(
                f"The bank's server kept {written} of the {len(data)} bytes of {posixpath.basename(path)} "
                "(is its disk full?)."
            )

    def download(self, path: str) -> bytes:
        async def get() -> bytes:
            async with self._sftp.open(path, "rb") as handle:
                data = await handle.read()
                return data if isinstance(data, bytes) else data.encode()

        return self._do(get(), folder=posixpath.dirname(path), path=path)

    def rename(self, old: str, new: str) -> None:
        """Rename ``old`` to ``new``: atomically with the OpenSSH POSIX rename when the server has it,
        else with SFTP's plain rename (which refuses to replace an existing file)."""
        move = self._sftp.posix_rename(old, new) if self.supports_posix_rename else self._sftp.rename(old, new)
        self._do(move, folder=posixpath.dirname(new), path=old)

    def remove(self, path: str) -> None:
        self._do(self._sftp.remove(path), folder=posixpath.dirname(path), path=path)


def _host_key_algs(pinned: asyncssh.SSHKey) -> list[str]:
    first = [alg.decode() for alg in pinned.sig_algorithms]
    return first + [alg.decode() for alg in get_default_public_key_algs() if alg.decode() not in first]


@contextmanager
def open_session(endpoint: Endpoint) -> Iterator[Session]:
    """Connect (host key pinned), log in, start SFTP; the session closes when the block ends."""
    pinned = asyncssh.import_public_key(endpoint.host_key)
    client = _Client()
    options: dict[str, Any] = {
        "port": endpoint.port,
        "username": endpoint.username,
        "known_hosts": ([pinned], [], []),
        # The pinned key's algorithms first, then every other: a server with a key of the pinned type
        # uses it; one without presents another key, refused as a changed host key *with that key*
        # (offering the pinned type only made the server hang up, seen as a cut connection or as a
        # failed key exchange, whichever the timing gave).
        "server_host_key_algs": _host_key_algs(pinned),
        "config": None,
        "agent_path": None,
        "connect_timeout": endpoint.timeout,
        "login_timeout": endpoint.timeout,
        "keepalive_interval": 15,
    }
    if endpoint.private_key:
        options.update(client_keys=[asyncssh.import_private_key(endpoint.private_key)], password=None)
        options["preferred_auth"] = "publickey"
    else:
        options.update(client_keys=None, password=endpoint.password)
        options["preferred_auth"] = "password,keyboard-interactive"

    async def connect() -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
        connection = await asyncssh.connect(endpoint.host, client_factory=lambda: client, **options)
        try:
            return connection, await connection.start_sftp_client()
        except BaseException:
            connection.close()
            raise

    with LoopThread("remit-sftp") as runner:
        try:
            connection, sftp = _run(runner, connect(), where=endpoint.where, timeout=endpoint.timeout * 2)
        except asyncssh.HostKeyNotVerifiable:
            seen = _host_key(client.seen) if client.seen is not None else None
            said = f"presented the host key {seen.fingerprint}" if seen else "did not present the pinned host key"
            raise HostKeyChanged(
                f"The bank's server at {endpoint.where} {said}, not the pinned "
                f"{HostKey(*endpoint.host_key.split()[:2]).fingerprint}. Transfers are stopped until an owner "
                "confirms the new key with the bank.",
                seen,
            ) from None
        except asyncssh.KeyExchangeFailed as error:
            if "host key" in str(error).lower():
                raise HostKeyChanged(
                    f"The bank's server at {endpoint.where} no longer offers a host key of the pinned type. "
                    "Transfers are stopped until an owner confirms the new key with the bank.",
                    None,
                ) from None
            raise Unreachable(f"Could not agree on encryption with {endpoint.where}: {error.reason}") from None
        except asyncssh.PermissionDenied:
            how = "SSH key" if endpoint.private_key else "password"
            raise LoginRefused(
                f"The bank's server at {endpoint.where} refused the login of “{endpoint.username}” with Remit's "
                f"{how}. Check the user name and that the bank has the {how} you configured."
            ) from None
        except asyncssh.ChannelOpenError as error:
            raise SftpError(f"The bank's server at {endpoint.where} offers no SFTP: {error.reason}") from None
        try:
            yield Session(runner, endpoint, sftp)
        finally:

            async def close() -> None:
                # On the session's loop, as every other step: the connection is not the calling thread's.
                sftp.exit()
                connection.close()
                await asyncio.wait_for(connection.wait_closed(), 5)

            with contextlib.suppress(Exception, asyncio.CancelledError):  # closing a connection that is gone
                runner.run(close())


def _run(runner: LoopThread, coro: Awaitable[T], *, where: str, timeout: float) -> T:
    """Run one step, turning network failures into ``Unreachable`` with a message that says which."""

    async def step() -> T:
        return await asyncio.wait_for(coro, timeout)

    try:
        return runner.run(step())
    except TimeoutError:
        raise Unreachable(f"The bank's server at {where} did not answer within {timeout:g} seconds.") from None
    except ConnectionRefusedError:
        raise Unreachable(
            f"The bank's server at {where} refused the connection (nothing listens on that port?)."
        ) from None
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise Unreachable(f"Could not reach the bank's server at {where}: {reason}.") from None
    except asyncssh.ConnectionLost:
        raise Unreachable(f"The connection to the bank's server at {where} was cut.") from None
    except asyncssh.HostKeyNotVerifiable:
        raise
    except asyncssh.PermissionDenied:
        raise
    except asyncssh.DisconnectError as error:
        if isinstance(error, asyncssh.KeyExchangeFailed):
            raise
        raise Unreachable(f"The bank's server at {where} closed the connection: {error.reason}") from None


def _sftp_problem(error: asyncssh.SFTPError, *, folder: str, path: str) -> SftpError:
    name = path or folder
    if isinstance(error, asyncssh.SFTPNoSuchFile | asyncssh.SFTPNoSuchPath):
        if path and folder:
            return FolderProblem(f"{path} or its folder {folder} does not exist on the bank's server.")
        return FolderProblem(f"The folder {folder} does not exist on the bank's server.")
    if isinstance(error, asyncssh.SFTPPermissionDenied):
        return FolderProblem(
            f"The bank's server does not allow Remit to do this in {folder or name}: permission denied."
        )
    if isinstance(error, asyncssh.SFTPNoSpaceOnFilesystem | asyncssh.SFTPQuotaExceeded):
        return FolderProblem(f"The bank's server is full: no room for {name}.")
    if isinstance(error, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection):
        return Unreachable("The connection to the bank's server was cut.")
    if isinstance(error, asyncssh.SFTPFileAlreadyExists):
        return FolderProblem(f"{name} already exists on the bank's server.")
    return SftpError(f"The bank's server refused an operation on {name}: {error.reason}")
