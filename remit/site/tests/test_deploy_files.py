"""The files in deploy/ stay true to the code: the systemd units start real `remit` commands with
options those commands take, the example environment file lists exactly the variables Remit reads,
and the Caddyfile asks the URLs Remit answers."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import reverse

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = {"remit-web.service": "web", "remit-worker.service": "worker", "remit-beat.service": "beat"}
ENV_EXAMPLE = DEPLOY / "remit.env.example"
REMIT = "/opt/remit/.venv/bin/remit"

# Variables Remit reads that have no place in a production environment file, and why.
NOT_FOR_PRODUCTION = {
    "REMIT_DEBUG": "debug pages show code and data (remit.W013 says to remove it)",
    "REMIT_TASKS_EAGER": "runs tasks inside requests, for tests (remit.W015)",
    "REMIT_BANK_SIM_PORT": "the demo's simulated bank",
    "REMIT_ACH_CRASH_AT": "a fault injected by the crash tests",
    "REMIT_BANK_CRASH_AT": "a fault injected by the crash tests",
    "LOADTEST_HOSTS": "`make loadtest`'s scenario, set by the run for its locust process",
    "LOADTEST_LOGINS": "`make loadtest`'s scenario, set by the run for its locust process",
    "LOADTEST_SAMPLES": "`make loadtest`'s scenario, set by the run for its locust process",
}
READS = re.compile(
    r"""(?:env_(?:str|int|bool|list|rate)\(|generated_secret\(name=|os\.environ\.get\()\s*"([A-Z][A-Z0-9_]+)\""""
)


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


def env_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """A systemd EnvironmentFile's variables (quotes removed), and the names only shown commented out
    (``#NAME=default``)."""
    values, commented = {}, set()
    for line in path.read_text().splitlines():
        if match := re.match(r"^#([A-Z][A-Z0-9_]+)=", line):
            commented.add(match[1])
        elif line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value[1:-1] if value[:1] == value[-1:] == '"' and len(value) > 1 else value
    return values, commented


def variables_remit_reads() -> set[str]:
    found: set[str] = set()
    for path in (Path(settings.BASE_DIR) / "remit").rglob("*.py"):
        if "tests" not in path.parts and path.name != "test.py":
            found |= set(READS.findall(path.read_text()))
    return found


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_each_unit_runs_a_real_remit_command_with_options_it_takes(name, command):
    service = unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == [REMIT, command]
    assert get_commands()[command] == "remit.site"
    load_command_class("remit.site", command).create_parser("remit", command).parse_args(argv[2:])
    assert service["EnvironmentFile"] == "/etc/remit/remit.env"
    assert (service["User"], service["Group"]) == ("remit", "remit")
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    values, _ = env_file(ENV_EXAMPLE)
    assert service["ReadWritePaths"] == values["REMIT_DATA_DIR"]  # the one place Remit writes


def test_the_web_unit_waits_for_gunicorn_and_reloads_it_gracefully():
    service = unit("remit-web.service")["Service"]
    assert service["Type"] == "notify"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    # A graceful stop gets REMIT_WEB_TIMEOUT (30 s) before systemd kills.
    assert int(service["TimeoutStopSec"]) > 30


def test_systemd_finds_nothing_wrong_with_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    remit = Path(settings.BASE_DIR) / ".venv" / "bin" / "remit"
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text().replace(REMIT, str(remit))
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_example_environment_lists_exactly_the_variables_remit_reads():
    values, commented = env_file(ENV_EXAMPLE)
    listed = set(values) | commented
    read = variables_remit_reads()
    assert {"SECRET_KEY", "DATABASE_URL", "REMIT_WEB_BIND"} <= read  # the scan finds them
    unknown = sorted(listed - read)
    assert not unknown, f"deploy/remit.env.example lists variables Remit doesn't read: {unknown}"
    missing = sorted(read - listed - set(NOT_FOR_PRODUCTION))
    assert not missing, f"Remit reads variables deploy/remit.env.example doesn't list (add them): {missing}"
    assert not set(NOT_FOR_PRODUCTION) & listed
    assert values["REMIT_ENV"] == "production" and values["REMIT_LOG_FORMAT"] == "json"


def test_the_caddyfile_asks_and_checks_the_urls_remit_answers():
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    values, _ = env_file(ENV_EXAMPLE)
    assert f"ask http://{{$REMIT_ASK:{values['REMIT_WEB_BIND']}}}{reverse('tls-allowed')}" in caddyfile
    assert f"health_uri {reverse('healthz-live')}" in caddyfile
    assert f"reverse_proxy {{$REMIT_UPSTREAMS:{values['REMIT_WEB_BIND']}}}" in caddyfile
    drop_in = (DEPLOY / "systemd" / "caddy-remit.conf").read_text()
    config = "\n".join(line for line in caddyfile.splitlines() if not line.lstrip().startswith("#"))
    for name in re.findall(r"\{\$([A-Z_]+)[:}]", config):
        assert name.startswith("CADDY_") or f"{name}=" in drop_in, name  # the ports are for tests


def test_caddy_reads_the_caddyfile(tmp_path):
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("This test needs Debian's caddy: run 'make test' (scripts/ensure-caddy installs it).")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ACME_EMAIL": "ops@remit.test", "REMIT_HOST": "remit.test"}
    result = subprocess.run(
        [caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "not formatted" not in result.stderr  # `caddy fmt` has nothing to change
    assert '"on_demand":true' in result.stdout.replace(" ", "")


def test_the_shell_reads_the_example_as_systemd_does():
    # deploy/remit (the operators' `remit`) sources the file with sh; systemd reads it as EnvironmentFile.
    script = f'set -a; . "{ENV_EXAMPLE}"; set +a; env -0'
    result = subprocess.run(["/bin/sh", "-c", script], env={}, capture_output=True, text=True, timeout=30, check=True)
    from_shell = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    values, _ = env_file(ENV_EXAMPLE)
    assert {name: from_shell.get(name) for name in values} == values


def test_the_operators_remit_runs_as_the_units_do():
    wrapper = (DEPLOY / "remit").read_text()
    service = unit("remit-web.service")["Service"]
    assert f"runuser -u {service['User']} --" in wrapper
    assert f". {service['EnvironmentFile']};" in wrapper
    assert f"cd {service['WorkingDirectory']};" in wrapper and f"exec {REMIT} " in wrapper
