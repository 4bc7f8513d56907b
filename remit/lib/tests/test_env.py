import os
import stat

import pytest
from cryptography.fernet import Fernet

from remit.lib.env import (
    ConfigurationError,
    env_bool,
    env_list,
    generated_secret,
    new_secret_key,
    parse_encryption_keys,
)


def test_a_development_secret_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = generated_secret(name="SECRET_KEY", data_dir=tmp_path, production=False, make=new_secret_key)
    second = generated_secret(name="SECRET_KEY", data_dir=tmp_path, production=False, make=new_secret_key)
    assert first == second and len(first) > 50
    path = tmp_path / "secrets" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_missing_secret_stops_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        generated_secret(name="SECRET_KEY", data_dir=tmp_path, production=True, make=new_secret_key)
    assert not (tmp_path / "secrets").exists()


def test_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert generated_secret(name="SECRET_KEY", data_dir=tmp_path, production=True, make=new_secret_key) == "from-env"


def test_encryption_keys_are_validated():
    good = Fernet.generate_key().decode()
    assert parse_encryption_keys(f" {good} , {good}") == [good, good]
    with pytest.raises(ConfigurationError, match="key 2 is not a valid key"):
        parse_encryption_keys(f"{good},nonsense")
    with pytest.raises(ConfigurationError, match="holds no key"):
        parse_encryption_keys(" , ")


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ConfigurationError, match="X_FLAG must be one of"):
        env_bool("X_FLAG")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]
