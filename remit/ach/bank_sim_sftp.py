"""The simulated bank as a real SFTP server (asyncssh), for the demo and the tests: Remit delivers its
NACHA files into ``/to-bank`` and picks the bank's answers up from ``/from-bank``, exactly as it
does with a real bank.

Its folder holds everything it needs, so it keeps its identity across restarts::

    <folder>/host_key          its Ed25519 host key, generated on first start (0600)
    <folder>/authorized_keys   the SSH public keys that may log in (OpenSSH format, one a line)
    <folder>/sftp/             what clients see as "/" (a virtual chroot)
    <folder>/sftp/to-bank/     where the originator delivers files
    <folder>/sftp/from-bank/   the bank's return / notification-of-change files
    <folder>/received/         delivered files the bank has taken (and answered)

The bank takes each finished file from ``/to-bank`` (never a ``.part`` or hidden file: those are
still being written), answers it with ``bank_sim.returns_for`` and its ``rule`` — a return file
only when some entry is returned — and moves it to ``received/``, as a bank takes files away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncssh

from remit.ach.bank_sim import returns_for
from remit.ach.nacha import NachaError
from remit.ach.reader import ParsedEntry, read_file

log = logging.getLogger(__name__)

TO_BANK = "to-bank"
FROM_BANK = "from-bank"
Rule = Callable[[ParsedEntry], str | None]


def ensure_host_key(folder: Path) -> str:
    """The bank's public host key (``TYPE BASE64``), generating the key pair on first use."""
    path = folder / "host_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key.export_private_key("openssh"))
    key = asyncssh.read_private_key(path)
    return " ".join(key.export_public_key("openssh").decode().split()[:2])


def authorize_key(folder: Path, public_key: str) -> None:
    """Let the holder of this SSH public key log in (what a bank does with the key a customer sends)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "authorized_keys"
    lines = path.read_text().splitlines() if path.exists() else []
    key = " ".join(public_key.split()[:2])
    if key not in {" ".join(line.split()[:2]) for line in lines}:
        path.write_text("\n".join([*lines, public_key.strip()]) + "\n")


class SimulatedBank:
    """The bank: who may log in, and what it answers. ``unwrap`` / ``wrap`` turn what arrives into
    NACHA text and the answer into what is sent (PGP, in the tests that need it); by default files
    travel as plain ASCII."""

    def __init__(
        self,
        folder: Path,
        *,
        username: str = "remit",
        password: str = "",
        rule: Rule | None = None,
        unwrap: Callable[[bytes], str] | None = None,
        wrap: Callable[[str], bytes] | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.folder, self.username, self.password = folder, username, password
        self.rule, self.today = rule, today
        self.unwrap = unwrap or (lambda data: data.decode("ascii"))
        self.wrap = wrap or (lambda text: text.encode("ascii"))
        self.root = folder / "sftp"
        self.uploads: list[str] = []  # every path a client opened for writing, in order
        self.connections: set[asyncssh.SSHServerConnection] = set()
        for path in (self.root / TO_BANK, self.root / FROM_BANK, folder / "received"):
            path.mkdir(parents=True, exist_ok=True)
        ensure_host_key(folder)

    async def serve(self, host: str, port: int) -> asyncssh.SSHAcceptor:
        bank = self

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                self.conn = conn
                bank.connections.add(conn)

            def connection_lost(self, exc: Exception | None) -> None:
                bank.connections.discard(self.conn)

            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return bool(bank.password)

            def validate_password(self, username: str, password: str) -> bool:
                return username == bank.username and bool(bank.password) and password == bank.password

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return username == bank.username and bank._authorized(key)

        class Files(asyncssh.SFTPServer):
            def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
                super().__init__(chan, chroot=bytes(bank.root))

            def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> Any:
                if pflags & asyncssh.FXF_WRITE:
                    bank.uploads.append(path.decode())
                return super().open(path, pflags, attrs)

        return await asyncssh.create_server(
            Server,
            host,
            port,
            server_host_keys=[str(self.folder / "host_key")],
            sftp_factory=Files,
            allow_scp=False,
            process_factory=None,
        )

    def _authorized(self, key: asyncssh.SSHKey) -> bool:
        path = self.folder / "authorized_keys"  # read at each login: a key added later works at once
        if not path.exists():
            return False
        offered = key.export_public_key("openssh").split()[:2]
        return any(line.encode().split()[:2] == offered for line in path.read_text().splitlines())

    def answer_delivered(self) -> list[str]:
        """Take every finished file from ``/to-bank``, answer it, move it to ``received/``; the names taken."""
        taken = []
        for path in sorted((self.root / TO_BANK).iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(".part"):
                continue
            taken.append(path.name)
            try:
                self._answer(path)
            except (NachaError, UnicodeDecodeError, ValueError) as error:
                log.warning("The bank could not read %s: %s", path.name, error)
            path.replace(self.folder / "received" / path.name)
        return taken

    def _answer(self, path: Path) -> None:
        text = self.unwrap(path.read_bytes())
        answer = returns_for(text, returns={}, rule=self.rule, today=self.today())
        if not read_file(answer).batches:
            log.info("The bank took %s: nothing to return.", path.name)
            return
        stem = path.name.split(".")[0]
        final = self.root / FROM_BANK / f"{stem}.returns.ach"
        temp = final.with_name("." + final.name)
        temp.write_bytes(self.wrap(answer))
        temp.replace(final)  # whole or not at all, as a real bank publishes
        log.info("The bank took %s and answered with %s.", path.name, final.name)


async def run_forever(bank: SimulatedBank, host: str, port: int, *, every: float = 1.0) -> None:
    """Serve, and answer what arrives every ``every`` seconds, until cancelled."""
    server = await bank.serve(host, port)
    try:
        while True:
            await asyncio.to_thread(bank.answer_delivered)
            await asyncio.sleep(every)
    finally:
        server.close()
        await server.wait_closed()


class BankThread:
    """The bank's server on its own event loop in a thread (for tests): ``start``, ``stop`` — e.g. to
    cut the network in the middle of a transfer — and ``start`` again on the same port."""

    def __init__(self, bank: SimulatedBank, port: int, host: str = "127.0.0.1") -> None:
        self.bank, self.port, self.host = bank, port, host
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncssh.SSHAcceptor | None = None

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(self.bank.serve(self.host, self.port))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="simulated-bank", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The simulated bank did not start.")

    def stop(self) -> None:
        """Stop listening and cut every open connection."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            server.close()
            for conn in list(self.bank.connections):
                conn.abort()
            await asyncio.sleep(0.05)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        loop.close()
        self._loop = self._server = None
