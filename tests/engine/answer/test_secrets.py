"""API key storage: environment first, OS keyring second, never a file; failures are quiet and key-free."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from engine.answer import secrets
from engine.errors import EngineError
from tests.support.keyrings import MemoryKeyring

KEY = "sk-test-SECRET-abcdef0123456789"


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
    # Secrets remembered by earlier tests (for redaction) do not leak into this one.
    monkeypatch.setattr(secrets, "_known", frozenset(), raising=False)
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


# -- the Milvus server token: environment or keyring, through the same backend checks ----------------------------
URI = "http://milvus.example:19530"
TOKEN = "root:Milvus-token-4f2a9c"


@pytest.fixture
def no_store_token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(secrets.STORE_TOKEN_ENV_VAR, raising=False)


def test_store_token_round_trip_through_the_keyring(memory: MemoryKeyring, no_store_token_env: None) -> None:
    assert secrets.get_store_token(URI) is None and secrets.store_token_source(URI) is None
    secrets.set_store_token(URI, f" {TOKEN} ")
    assert memory.store == {(secrets.SERVICE, "milvus_token:" + URI): TOKEN}  # where the app always kept it
    assert secrets.get_store_token(URI) == TOKEN and secrets.store_token_source(URI) == "keyring"
    assert secrets.get_store_token("http://other:19530") is None  # one entry per server
    assert secrets.resolve_store_token(URI, None) == TOKEN
    assert secrets.resolve_store_token(URI, "session-token") == "session-token"  # an explicit token wins
    assert secrets.resolve_store_token(None, None) is None  # Milvus Lite: no token, no keyring call
    assert secrets.delete_store_token(URI) is True and secrets.get_store_token(URI) is None
    assert secrets.delete_store_token(URI) is False


def test_store_token_environment_wins(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.set_store_token(URI, TOKEN)
    monkeypatch.setenv(secrets.STORE_TOKEN_ENV_VAR, "env-token-123")
    assert secrets.get_store_token(URI) == "env-token-123" and secrets.store_token_source(URI) == "env"


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), LockedKeyring()], ids=["fail", "null", "locked"])
def test_store_token_without_a_usable_keyring(backend: object, no_store_token_env: None, tmp_path: Path) -> None:
    keyring.set_keyring(backend)  # type: ignore[arg-type]
    assert secrets.get_store_token(URI) is None  # never raises
    with pytest.raises((secrets.KeyringUnavailableError, secrets.SecretStoreError)) as info:
        secrets.set_store_token(URI, TOKEN)
    assert TOKEN not in str(info.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # never a plain-file fallback


def test_plaintext_backend_cannot_hold_the_store_token(no_store_token_env: None) -> None:
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    backend = plaintext()
    backend.store[(secrets.SERVICE, "milvus_token:" + URI)] = TOKEN  # even one written there earlier is not read
    keyring.set_keyring(backend)
    assert secrets.get_store_token(URI) is None
    with pytest.raises(secrets.KeyringUnavailableError):
        secrets.set_store_token(URI, TOKEN)


def test_engine_connects_with_the_keyring_token(
    memory: MemoryKeyring, no_store_token_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No token in the config (nothing on argv): the engine reads it from the keyring when it opens the store."""
    import engine.store.chunk_store as chunk_store
    from engine import Engine, EngineConfig

    secrets.set_store_token(URI, TOKEN)
    seen: list[str | None] = []

    class FakeStore(chunk_store.ChunkStore):
        def __init__(self, uri: str, *, token: str | None = None, **kwargs: object) -> None:
            seen.append(token)
            self.collection = str(kwargs["collection"])

        def open(self, create: bool = True) -> None: ...

        def close(self) -> None: ...

    monkeypatch.setattr(chunk_store, "ChunkStore", FakeStore)
    config = EngineConfig(data_dir=tmp_path / "data", store_uri=URI)
    assert config.store_token is None
    with Engine(config) as engine:
        engine.manifest.set_meta(f"dims:{config.embed_model}:None", "16")
        engine.store()
    assert seen == [TOKEN]


def test_engine_config_repr_hides_the_store_token() -> None:
    from engine import EngineConfig

    config = EngineConfig(store_uri=URI, store_token=TOKEN)
    assert TOKEN not in repr(config) and TOKEN not in str(config)
    assert URI in repr(config)
    assert config != config.with_changes(store_token="another")  # still compared: a new token reconnects


# -- redaction in every log line and logged traceback --------------------------------------------------------------
def _logger_to(stream: object, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.handlers = [logging.StreamHandler(stream)]  # type: ignore[arg-type]
    logger.handlers[0].setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.setLevel(logging.DEBUG)
    return logger


def test_log_filter_redacts_messages_and_tracebacks(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, no_store_token_env: None
) -> None:
    import io

    plain_key = "custom-keyring-key-without-prefix-77"  # not key-shaped: only known because it was read
    memory.set_password(secrets.SERVICE, secrets.USERNAME, plain_key)
    secrets.set_store_token(URI, TOKEN)
    assert secrets.get_api_key() == plain_key and secrets.get_store_token(URI) == TOKEN
    stream = io.StringIO()
    logger = _logger_to(stream, "tansaku.test.redaction")
    secrets.install_log_redaction(logger)
    secrets.install_log_redaction(logger)  # idempotent
    assert len(logger.handlers[0].filters) == 1

    def connect(token: str) -> None:
        raise ConnectionError(f"401 for {token} with Authorization: Bearer {KEY} (key {plain_key})")

    try:
        connect(TOKEN)
    except ConnectionError:
        logger.exception("Engine job failed using %s and %s", plain_key, TOKEN)
        logger.warning("Answer request failed: %s", KEY, exc_info=True)
    logger.error("url http://root:hunter2pass@milvus:19530 api_key=abcdef123456", stack_info=True)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text and "ConnectionError: 401 for [redacted]" in text
    assert "Bearer [redacted]" in text and "root:[redacted]@milvus" in text and "api_key=[redacted]" in text
    for secret in (KEY, plain_key, TOKEN, "hunter2pass", "abcdef123456"):
        assert secret not in text


def test_log_filter_redacts_for_every_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first handler's filter leaves a record no later handler can format into the raw traceback."""
    import io

    monkeypatch.setenv(secrets.ENV_VAR, "env-key-without-prefix-5150")
    first, second = io.StringIO(), io.StringIO()
    logger = _logger_to(first, "tansaku.test.redaction.two")
    logger.addHandler(logging.StreamHandler(second))
    logger.handlers[0].addFilter(secrets.RedactingFilter())
    try:
        raise RuntimeError("env-key-without-prefix-5150")
    except RuntimeError:
        logger.exception("failed")
    assert "RuntimeError: [redacted]" in first.getvalue() and "RuntimeError: [redacted]" in second.getvalue()
    assert "env-key-without-prefix-5150" not in first.getvalue() + second.getvalue()


def test_cli_redacts_its_log_and_warns_about_token_on_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import commands

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []  # as in a fresh `tansaku` process
    try:
        commands.configure_logging()
        try:
            raise ValueError(f"bad {KEY}")
        except ValueError:
            logging.getLogger("engine.test").exception("Job failed with %s", KEY)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = saved
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: bad [redacted]" in err and KEY not in err


def test_cli_token_on_argv_warns_and_env_var_does_not(tmp_path: Path) -> None:
    import os
    import subprocess

    base = [sys.executable, "-m", "engine.cli", "status", "--json", "--data-dir", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items() if k != secrets.STORE_TOKEN_ENV_VAR}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    root = Path(__file__).resolve().parents[3]
    argv = subprocess.run([*base, "--token", TOKEN], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert argv.returncode == 0, argv.stderr
    warnings = [line for line in argv.stderr.splitlines() if "--token" in line]
    assert len(warnings) == 1 and "process list" in warnings[0] and secrets.STORE_TOKEN_ENV_VAR in warnings[0]
    assert TOKEN not in argv.stderr + argv.stdout
    env[secrets.STORE_TOKEN_ENV_VAR] = TOKEN
    quiet = subprocess.run(base, capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert quiet.returncode == 0 and "--token" not in quiet.stderr
