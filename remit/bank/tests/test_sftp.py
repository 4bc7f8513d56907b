"""The SFTP client against a real server: the pinned host key, and a clear message for every failure."""

from __future__ import annotations

import asyncssh
import pytest

from conftest import free_port
from remit.ach.bank_sim_sftp import authorize_key
from remit.bank import sftp
from remit.bank.tests.conftest import BANK_PASSWORD, Bank

OTHER_KEY = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()


def endpoint(bank: Bank, **changes: object) -> sftp.Endpoint:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": bank.port,
        "username": "remit",
        "host_key": bank.host_key,
        "password": BANK_PASSWORD,
        "timeout": 5.0,
        **changes,
    }
    return sftp.Endpoint(**values)  # type: ignore[arg-type]


def test_fetch_host_key_is_the_servers_and_its_fingerprint_is_openssh_style(bank: Bank) -> None:
    key = sftp.fetch_host_key("127.0.0.1", bank.port, timeout=5)
    assert key.text == bank.host_key
    expected = asyncssh.import_public_key(bank.host_key).get_fingerprint("sha256")
    assert key.fingerprint == expected


def test_upload_rename_list_download_remove(bank: Bank) -> None:
    with sftp.open_session(endpoint(bank)) as session:
        assert session.supports_posix_rename
        session.upload("/to-bank/a.ach.part", b"x" * 200_000)
        session.rename("/to-bank/a.ach.part", "/to-bank/a.ach")
        assert [(f.name, f.size, f.is_file) for f in session.entries("/to-bank")] == [("a.ach", 200_000, True)]
        assert session.download("/to-bank/a.ach") == b"x" * 200_000
        session.remove("/to-bank/a.ach")
        assert session.entries("/to-bank") == []


def test_an_ssh_key_remit_generated_logs_in_once_the_bank_has_it(bank: Bank) -> None:
    private, public = sftp.generate_key_pair()
    assert public.startswith("ssh-ed25519 ") and public.endswith(" remit")
    assert sftp.public_key_of(private).split()[:2] == public.split()[:2]
    with (
        pytest.raises(sftp.LoginRefused, match="refused the login of “remit” with Remit's SSH key"),
        sftp.open_session(endpoint(bank, password="", private_key=private)),
    ):
        pass
    authorize_key(bank.folder, public)
    with sftp.open_session(endpoint(bank, password="", private_key=private)) as session:
        assert [f.name for f in session.entries("/")] == ["from-bank", "to-bank"]


def test_a_changed_host_key_is_refused_with_the_key_it_presented(bank: Bank) -> None:
    pinned_elsewhere = endpoint(bank, host_key=" ".join(OTHER_KEY.split()[:2]))
    with pytest.raises(sftp.HostKeyChanged) as raised, sftp.open_session(pinned_elsewhere):
        pass
    assert raised.value.seen is not None and raised.value.seen.text == bank.host_key
    assert "presented the host key SHA256:" in str(raised.value)
    assert "Transfers are stopped" in str(raised.value)


def test_a_host_key_of_another_type_is_a_changed_host_key_too(bank: Bank) -> None:
    rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048).export_public_key("openssh").decode()
    for _ in range(5):  # it was once a race between the server's hang-up and its refusal
        with (
            pytest.raises(sftp.HostKeyChanged, match="presented the host key SHA256:") as raised,
            sftp.open_session(endpoint(bank, host_key=" ".join(rsa.split()[:2]))),
        ):
            pass
        assert raised.value.seen is not None and raised.value.seen.text == bank.host_key


def test_a_wrong_password_is_a_refused_login_without_the_password(bank: Bank) -> None:
    with pytest.raises(sftp.LoginRefused) as raised, sftp.open_session(endpoint(bank, password="wrong-password-42")):
        pass
    assert "refused the login of “remit” with Remit's password" in str(raised.value)
    assert "wrong-password-42" not in str(raised.value) and "wrong-password-42" not in repr(endpoint(bank))


def test_nothing_listening_is_unreachable() -> None:
    dead = sftp.Endpoint("127.0.0.1", free_port(), "remit", OTHER_KEY, password="x", timeout=3)
    with pytest.raises(sftp.Unreachable, match="refused the connection"), sftp.open_session(dead):
        pass


def test_a_missing_folder_and_a_file_that_is_no_folder_are_named(bank: Bank) -> None:
    (bank.folder / "sftp" / "notes.txt").write_text("hello")
    with sftp.open_session(endpoint(bank)) as session:
        with pytest.raises(sftp.FolderProblem, match="The folder /outbound does not exist"):
            session.check_folder("/outbound")
        with pytest.raises(sftp.FolderProblem, match=r"The folder /notes\.txt is a file, not a folder"):
            session.check_folder("/notes.txt")
        with pytest.raises(sftp.FolderProblem, match=r"/outbound/a\.part or its folder /outbound does not exist"):
            session.upload("/outbound/a.part", b"x")


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (asyncssh.SFTPPermissionDenied("denied"), "does not allow Remit to do this in /in: permission denied"),
        (asyncssh.SFTPNoSpaceOnFilesystem("full"), "The bank's server is full: no room for /in/a.part"),
        (asyncssh.SFTPQuotaExceeded("quota"), "The bank's server is full: no room for /in/a.part"),
        (asyncssh.SFTPFailure("odd"), "refused an operation on /in/a.part: odd"),
    ],
)
def test_what_the_server_refuses_is_said_in_words(error: asyncssh.SFTPError, said: str) -> None:
    # (The tests run as root, who may write anywhere: a read-only folder can't be made for real.)
    assert said in str(sftp._sftp_problem(error, folder="/in", path="/in/a.part"))


def test_a_connection_cut_in_the_middle_is_unreachable_and_the_server_coming_back_works(bank: Bank) -> None:
    with pytest.raises(sftp.Unreachable), sftp.open_session(endpoint(bank)) as session:
        bank.thread.stop()
        session.entries("/to-bank")
    bank.thread.start()
    with sftp.open_session(endpoint(bank)) as session:
        assert session.entries("/to-bank") == []


def test_parse_host_key_refuses_what_is_not_one() -> None:
    with pytest.raises(ValueError, match="type and its base64"):
        sftp.parse_host_key("AAAA")
    with pytest.raises(ValueError, match="is not an SSH public host key"):
        sftp.parse_host_key("ssh-ed25519 bm90IGEga2V5")
    assert sftp.parse_host_key(OTHER_KEY).text == " ".join(OTHER_KEY.split()[:2])
