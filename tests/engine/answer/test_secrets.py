"""API key storage: environment first, OS keyring second, never a file; failures are quiet and key-free."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError

from engine.answer import secrets
from engine.errors import EngineError

KEY = "sk-test-SECRET-abcdef0123456789"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend (keyring's own base class) that keeps secrets in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


class LockedKeyring(MemoryKeyring):
    """A backend that is present but refuses every operation (a locked login keyring, a D-Bus timeout)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked(f"locked while reading {KEY}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"locked while writing {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No real key from the environment, a private HOME, and the process keyring restored afterwards."""
    monkeypatch.delenv(secrets.ENV_VAR, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(home))
    monkeypatch.chdir(tmp_path)
    previous = keyring.get_keyring()
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def test_round_trip_through_the_keyring(memory: MemoryKeyring) -> None:
    assert secrets.get_api_key() is None
    secrets.set_api_key(f"  {KEY}\n")
    assert memory.store == {(secrets.SERVICE, secrets.USERNAME): KEY}
    assert secrets.get_api_key() == KEY
    assert secrets.api_key_source() == "keyring"
    assert secrets.delete_api_key() is True
    assert secrets.get_api_key() is None
    assert secrets.delete_api_key() is False


def test_environment_wins_over_keyring(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.set_api_key("sk-from-keyring-000000")
    monkeypatch.setenv(secrets.ENV_VAR, KEY)
    assert secrets.get_api_key() == KEY
    assert secrets.api_key_source() == "env"
    monkeypatch.setenv(secrets.ENV_VAR, "   ")  # blank means unset
    assert secrets.get_api_key() == "sk-from-keyring-000000"


def test_empty_key_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError):
        secrets.set_api_key("  ")
    assert memory.store == {}


def test_status_of_a_usable_keyring(memory: MemoryKeyring) -> None:
    usable, words = secrets.keyring_status()
    assert usable
    assert "OS keyring" in words


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_backend_means_env_only_and_no_file(backend: object, isolated: Path, tmp_path: Path) -> None:
    keyring.set_keyring(backend)  # type: ignore[arg-type]
    usable, words = secrets.keyring_status()
    assert not usable
    assert "No OS keyring available" in words and "OPENAI_API_KEY" in words
    assert secrets.get_api_key() is None
    with pytest.raises(secrets.KeyringUnavailableError) as info:
        secrets.set_api_key(KEY)
    assert isinstance(info.value, EngineError)
    assert "OPENAI_API_KEY" in str(info.value) and KEY not in str(info.value)
    assert secrets.delete_api_key() is False
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []  # never a plain-file fallback
    assert not any(KEY in p.read_text(errors="ignore") for p in written)


def test_chainer_without_usable_backends_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [fail.Keyring()])
    keyring.set_keyring(chainer.ChainerBackend())
    assert secrets.keyring_status()[0] is False
    with pytest.raises(secrets.KeyringUnavailableError):
        secrets.set_api_key(KEY)


def test_chainer_with_a_real_backend_is_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    inner = MemoryKeyring()
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [inner])
    keyring.set_keyring(chainer.ChainerBackend())
    assert secrets.keyring_status()[0] is True
    secrets.set_api_key(KEY)
    assert secrets.get_api_key() == KEY


def test_plaintext_file_backend_is_refused() -> None:
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    keyring.set_keyring(plaintext())
    usable, words = secrets.keyring_status()
    assert not usable and "plain file" in words
    with pytest.raises(secrets.KeyringUnavailableError):
        secrets.set_api_key(KEY)


def test_backend_errors_never_raise_from_get_and_never_log_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keyring.set_keyring(LockedKeyring())
    assert secrets.get_api_key() is None
    with pytest.raises(secrets.SecretStoreError) as info:
        secrets.set_api_key(KEY)
    assert KEY not in str(info.value)
    with pytest.raises(secrets.SecretStoreError):
        secrets.delete_api_key()
    assert caplog.records  # the failed read was logged...
    assert all(KEY not in r.getMessage() for r in caplog.records)  # ...without the key


def test_keyring_that_cannot_start_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("D-Bus is not running")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    assert secrets.get_api_key() is None
    assert secrets.keyring_status()[0] is False
    with pytest.raises(secrets.KeyringUnavailableError):
        secrets.set_api_key(KEY)


def test_redact_masks_given_env_and_key_shaped_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert secrets.redact(f"bad key {KEY}!", KEY) == "bad key [redacted]!"
    monkeypatch.setenv(secrets.ENV_VAR, "custom-key-without-prefix")
    assert "custom-key-without-prefix" not in secrets.redact("key=custom-key-without-prefix")
    assert secrets.redact("Authorization: Bearer abc.def-123456") == "Authorization: Bearer [redacted]"
    assert secrets.redact("sk-proj-AbCdEf123456 rest") == "[redacted] rest"
    assert secrets.redact("nothing secret here") == "nothing secret here"
