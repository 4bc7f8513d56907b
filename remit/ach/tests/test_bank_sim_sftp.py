"""`remit bank-sim --sftp PORT`: the simulated bank as a real SFTP server, in its own process — its host
key kept in its folder, keys from its authorized_keys, every delivered file answered by its rules."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import free_port
from remit.ach.bank_sim_sftp import authorize_key, ensure_host_key
from remit.ach.reader import read_file
from remit.bank import sftp
from remit.test import child_env

GOLDEN = Path(__file__).parent / "golden"
BANK_SIM = [sys.executable, "-m", "remit", "bank-sim"]
PASSWORD = ["--password-env", "SIM_PASSWORD"]


@pytest.fixture
def served(tmp_path: Path):
    folder, port = tmp_path / "bank", free_port()
    log = tmp_path / "bank.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*BANK_SIM, "--sftp", str(port), "--dir", str(folder), "--rule", "ending=4321:R01", *PASSWORD],
            env=child_env(SIM_PASSWORD="sim-password-1"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while "Ctrl-C stops it" not in log.read_text() and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    yield folder, port
    process.terminate()
    process.wait(10)


def test_the_simulated_bank_serves_sftp_and_answers_each_file(served) -> None:
    folder, port = served
    host_key = ensure_host_key(folder)  # made by the server on its first start, kept in its folder
    assert sftp.fetch_host_key("127.0.0.1", port, timeout=5).text == host_key
    private, public = sftp.generate_key_pair()
    authorize_key(folder, public)
    by_key = sftp.Endpoint("127.0.0.1", port, "remit", host_key, private_key=private, timeout=5)
    by_password = sftp.Endpoint("127.0.0.1", port, "remit", host_key, password="sim-password-1", timeout=5)
    with sftp.open_session(by_key) as session:
        session.upload("/to-bank/web.ach.part", (GOLDEN / "web.ach").read_bytes())
        session.rename("/to-bank/web.ach.part", "/to-bank/web.ach")
    deadline = time.monotonic() + 20
    with sftp.open_session(by_password) as session:
        while not session.entries("/from-bank") and time.monotonic() < deadline:
            time.sleep(0.2)
        [answer] = session.entries("/from-bank")
        assert answer.name == "web.returns.ach"
        returned = read_file(session.download("/from-bank/web.returns.ach").decode("ascii"))
        assert session.entries("/to-bank") == []  # the bank took the file
    [entry] = [entry for batch in returned.batches for entry in batch.entries]
    assert entry.account_number.strip() == "000987654321" and entry.return_addenda is not None
    assert entry.return_addenda.reason_code == "R01"
    assert (folder / "received" / "web.ach").exists()
