"""Settings come from the environment only; production refuses to start without its secrets.
Each case starts a fresh `remit` process, as an operator would."""

import os
import stat
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from remit.lib.env import new_secret_key
from remit.site.tests.test_deploy_files import ENV_EXAMPLE, env_file


def remit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The suite's own configuration stays out (on CI's second pass: its PostgreSQL and Redis).
    ours = ("REMIT_", "SECRET_KEY", "EMAIL_URL", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return subprocess.run(
        [sys.executable, "-m", "remit", *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def production_env(tmp_path) -> dict[str, str]:
    """deploy/remit.env.example filled in as its comments ask: a correct production configuration."""
    values, _ = env_file(ENV_EXAMPLE)
    assert values["SECRET_KEY"] == values["REMIT_ENCRYPTION_KEYS"] == values["REMIT_METRICS_TOKEN"] == ""
    return {
        **values,
        "REMIT_DATA_DIR": str(tmp_path),
        "SECRET_KEY": new_secret_key(),
        "REMIT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "REMIT_METRICS_TOKEN": "a-long-random-token-for-prometheus",
        "REMIT_BASE_URL": "https://pay.remit.example",
        "REMIT_FROM_EMAIL": "Remit <billing@remit.example>",
        "DATABASE_URL": "postgres://remit:secret@db.remit.example:5432/remit",
        "EMAIL_URL": "smtp://mailer:secret@mail.remit.example:587?tls=1",
        "REMIT_WEBHOOK_ALLOW": "10.0.5.0/24, accounting.internal",
    }


def test_a_correct_production_configuration_passes_every_deployment_check(tmp_path):
    env = production_env(tmp_path)
    assert remit("collectstatic", "--no-input", "-v", "0", env=env).returncode == 0
    result = remit("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_examples_placeholders_left_in_are_named(tmp_path):
    values, _ = env_file(ENV_EXAMPLE)
    env = {
        **production_env(tmp_path),
        "DATABASE_URL": values["DATABASE_URL"],
        "REMIT_BASE_URL": values["REMIT_BASE_URL"],
    }
    result = remit("check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr
    assert "(remit.W016) DATABASE_URL still holds deploy/remit.env.example's placeholder" in result.stderr
    assert "(remit.W016) REMIT_BASE_URL still holds" in result.stderr
    assert result.stderr.count("remit.W0") == 2 + 1  # and W014: no collectstatic here


def test_each_deployment_warning_names_the_variable_to_set_and_why(tmp_path):
    env = {
        **production_env(tmp_path),
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "REMIT_WEBHOOK_ALLOW": "10.0.0.0/8, 169.254.0.0/16, 10.0.5.20",
        "REMIT_TRUST_X_FORWARDED_FOR": "false",
        "REMIT_SSL_REDIRECT": "false",
        "REMIT_HSTS_SECONDS": "0",
        "REMIT_DEBUG": "true",
        "REMIT_TASKS_EAGER": "true",
    }
    for name in ("ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "REMIT_METRICS_TOKEN"):
        del env[name]
    result = remit("check", "--deploy", env=env)
    assert result.returncode == 0  # warnings, not errors: `--fail-level WARNING` makes them fail
    said: dict[str, list[str]] = {}
    for line in result.stderr.splitlines():
        if line.startswith("?: (remit.W"):
            check_id, message = line[4:].split(") ", 1)
            said.setdefault(check_id, []).append(message)
    expected = {
        "remit.W002": "DATABASE_URL is not set",
        "remit.W003": "REDIS_URL is not set",
        "remit.W004": "EMAIL_URL sends no email",
        "remit.W006": "REMIT_METRICS_TOKEN is not set",
        "remit.W007": "REMIT_WEBHOOK_ALLOW opens",
        "remit.W008": "ALLOWED_HOSTS names no address the proxy reaches",
        "remit.W010": "REMIT_TRUST_X_FORWARDED_FOR is off behind a proxy",
        "remit.W011": "REMIT_SSL_REDIRECT is off",
        "remit.W012": "REMIT_HSTS_SECONDS is 0",
        "remit.W013": "REMIT_DEBUG is on",
        "remit.W014": "The static files are not collected",
        "remit.W015": "REMIT_TASKS_EAGER is on",
    }
    assert sorted(said) == sorted(expected), result.stderr
    for check_id, start in expected.items():
        assert said[check_id][0].startswith(start), (check_id, said[check_id])
    assert [m.split(":")[0] for m in said["remit.W007"]] == [
        "REMIT_WEBHOOK_ALLOW opens 10.0.0.0/8",
        "REMIT_WEBHOOK_ALLOW opens 169.254.0.0/16",
    ]
    assert result.stderr.count("HINT: ") == len(said["remit.W007"]) + len(expected) - 1
    assert "security.W" not in result.stderr  # Django's own say the same in its settings' names: silenced


@pytest.mark.parametrize("missing", ["SECRET_KEY", "REMIT_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_a_secret(tmp_path, missing):
    env = production_env(tmp_path)
    del env[missing]
    result = remit("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secrets").exists()


def test_production_needs_an_https_base_url(tmp_path):
    result = remit("check", env={**production_env(tmp_path), "REMIT_BASE_URL": "http://pay.remit.example"})
    assert result.returncode != 0 and "must start with https://" in result.stderr


def test_development_generates_its_secrets_once_with_mode_0600(tmp_path):
    env = {"REMIT_DATA_DIR": str(tmp_path)}
    assert remit("check", env=env).returncode == 0
    secrets = sorted((tmp_path / "secrets").iterdir())
    assert [p.name for p in secrets] == ["remit_encryption_keys", "secret_key"]
    contents = [p.read_text() for p in secrets]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secrets)
    assert remit("check", env=env).returncode == 0
    assert [p.read_text() for p in secrets] == contents


def test_a_bad_email_url_is_a_clear_start_up_error(tmp_path):
    result = remit("check", env={"REMIT_DATA_DIR": str(tmp_path), "EMAIL_URL": "smtp://h?tls=1&ssl=1"})
    assert result.returncode != 0 and "choose either tls=1" in result.stderr


def test_a_bad_webhook_allowlist_entry_stops_start_up_and_is_named(tmp_path):
    env = {**production_env(tmp_path), "REMIT_WEBHOOK_ALLOW": "10.0.5.0/24, accounting.internal, 10.0.6.1/24"}
    result = remit("check", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "REMIT_WEBHOOK_ALLOW: '10.0.6.1/24' is not allowed: it has host bits set; did you mean 10.0.6.0/24?" in (
        result.stderr
    )
    env["REMIT_WEBHOOK_ALLOW"] = "10.0.5.0/24, accounting.internal, *.corp.example, fd12:3456::/48"
    assert remit("check", env=env).returncode == 0


def test_the_defaults_need_no_server():
    assert settings.DATABASES["default"]["ENGINE"] in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
    if not os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if not os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL.startswith("sqla+sqlite:///")


def test_passwords_are_hashed_with_argon2_outside_tests():
    # The autouse fixture swaps in a fast hasher for tests; the settings module itself says Argon2.
    from remit import settings as module

    assert module.PASSWORD_HASHERS[0] == "remit.users.hashers.Argon2idPasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in module.PASSWORD_HASHERS[1:]  # older hashes
