"""Secrets: the answer endpoint's API key and the Milvus server token.

Each comes from an environment variable or the OS keyring, never from or to a plain file. Every keyring call in the
app goes through this module (so the backend checks below always apply), and RedactingFilter keeps known secrets and
key-shaped strings out of every log line and logged traceback.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import TYPE_CHECKING

from engine.errors import EngineError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

ENV_VAR = "OPENAI_API_KEY"
STORE_TOKEN_ENV_VAR = "TANSAKU_STORE_TOKEN"
SERVICE = "Tansaku"
USERNAME = "openai_api_key"
STORE_TOKEN_USER_PREFIX = "milvus_token:"  # one keyring entry per Milvus server URI
REDACTED = "[redacted]"
# Printed (one line, stderr) when a token comes as --token, by the CLI and by the window alike.
TOKEN_ARGV_WARNING = (
    f"tansaku: warning: --token is visible to other users in the process list; set {STORE_TOKEN_ENV_VAR} instead "
    "(or keep the token in the OS keyring through the app's Settings)."
)

# Key-shaped tokens are masked even when we were not told the exact secret: OpenAI sk-…, bearer values,
# token=/api_key=/password= pairs, and the password in a user:password@host URI.
_SK_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
_PREFIXED_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=+/]{6,}"),
    re.compile(r"(?i)(\b(?:api[_-]?key|token|password|passwd|secret)\s*[=:]\s*[\"']?)[^\s\"',;&]{4,}"),
    re.compile(r"(://[^/\s:@]+:)[^@\s/]+(?=@)"),
)
_MIN_SECRET_LEN = 4

# Secrets this process has read or been given (the keyring's key, a --token): redacted from logs without asking the
# keyring again, which may block. Rebound, never mutated, so that readers need no lock.
_known_lock = threading.Lock()
_known: frozenset[str] = frozenset()


class KeyringUnavailableError(EngineError):
    """No usable OS keyring backend: the key cannot be stored (we never fall back to a file)."""


class SecretStoreError(EngineError):
    """The OS keyring is present but refused to store or delete the key."""


def _backend_problem(backend: object) -> str | None:
    """Why a keyring backend cannot hold secrets safely, or None when it can."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return "no recommended backend"
    if isinstance(backend, null.Keyring):
        return "keyring disabled (null backend)"
    if isinstance(backend, chainer.ChainerBackend):
        usable = [b for b in backend.backends if _backend_problem(b) is None]
        return None if usable else "no backends to chain"
    cls = type(backend)
    if cls.__module__.startswith("keyrings.alt.file") and cls.__name__ == "PlaintextKeyring":
        return "the configured backend stores secrets in a plain file"
    return None


def _backend() -> KeyringBackend | None:
    """The active keyring backend, or None if keyring cannot even initialise."""
    try:
        import keyring

        return keyring.get_keyring()
    except Exception as exc:  # a broken D-Bus, a bad keyringrc: treat as no keyring
        log.debug("keyring backend failed to initialise: %s", type(exc).__name__)
        return None


def _backend_name(backend: object) -> str:
    name = getattr(backend, "name", None)
    return str(name) if name else type(backend).__name__


def keyring_status() -> tuple[bool, str]:
    """(usable?, a sentence for Settings) about the OS keyring."""
    backend = _backend()
    problem = "keyring failed to start" if backend is None else _backend_problem(backend)
    if problem is None:
        return True, f"API key is stored in the OS keyring ({_backend_name(backend)})."
    where = " (headless Linux)" if sys.platform.startswith("linux") else ""
    return False, f"No OS keyring available{where}: {problem}. Set {ENV_VAR} instead."


def keyring_usable() -> bool:
    return keyring_status()[0]


def remember_secret(*values: str | None) -> None:
    """Redact these values from every later log line (a token given on the command line, a key just read)."""
    global _known
    fresh = {v.strip() for v in values if v and len(v.strip()) >= _MIN_SECRET_LEN}
    if not fresh - _known:
        return
    with _known_lock:
        _known = _known | fresh


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_key() -> str | None:
    return _env(ENV_VAR)


def _read(username: str, what: str) -> str | None:
    """A secret from a usable keyring backend; None when there is none, nothing stored, or the keyring fails."""
    backend = _backend()
    if backend is None or _backend_problem(backend) is not None:
        return None
    try:
        value = backend.get_password(SERVICE, username)
    except Exception as exc:  # locked keyring, D-Bus timeout...: no secret rather than a crash
        log.warning("Could not read the %s from the OS keyring (%s)", what, type(exc).__name__)
        return None
    if not isinstance(value, str):
        return None
    value = value.strip()
    remember_secret(value)
    return value or None


def _keyring_key() -> str | None:
    return _read(USERNAME, "API key")


def get_api_key() -> str | None:
    """The key from OPENAI_API_KEY, else from the OS keyring; None if neither has one. Never raises."""
    return _env_key() or _keyring_key()


def api_key_source() -> str | None:
    """Where get_api_key() finds the key: "env", "keyring" or None (for Settings to show)."""
    if _env_key():
        return "env"
    return "keyring" if _keyring_key() else None


def _usable_backend_or_raise() -> KeyringBackend:
    backend = _backend()
    problem = "keyring failed to start" if backend is None else _backend_problem(backend)
    if problem is not None or backend is None:
        raise KeyringUnavailableError(keyring_status()[1])
    return backend


def _write(username: str, value: str, what: str) -> None:
    backend = _usable_backend_or_raise()
    remember_secret(value)
    try:
        backend.set_password(SERVICE, username, value)
    except Exception as exc:
        raise SecretStoreError(f"The OS keyring refused to store the {what} ({type(exc).__name__}).") from None


def _delete(username: str, what: str) -> bool:
    backend = _backend()
    if backend is None or _backend_problem(backend) is not None:
        return False
    from keyring.errors import PasswordDeleteError

    try:
        backend.delete_password(SERVICE, username)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise SecretStoreError(f"The OS keyring refused to delete the {what} ({type(exc).__name__}).") from None
    return True


def set_api_key(key: str) -> None:
    """Store the key in the OS keyring; raise KeyringUnavailableError if there is none (no file fallback)."""
    key = key.strip()
    if not key:
        raise ValueError("empty API key")
    _write(USERNAME, key, "API key")


def delete_api_key() -> bool:
    """Remove the stored key; False if there was none (or no keyring to hold one)."""
    return _delete(USERNAME, "API key")


# -- the Milvus server token -----------------------------------------------------------------------------------
def _token_user(uri: str) -> str:
    return STORE_TOKEN_USER_PREFIX + uri


def get_store_token(uri: str) -> str | None:
    """The token for this Milvus server: TANSAKU_STORE_TOKEN, else the OS keyring; None if neither. Never raises."""
    env = _env(STORE_TOKEN_ENV_VAR)
    if env:
        remember_secret(env)
        return env
    return _read(_token_user(uri), "Milvus token")


def store_token_source(uri: str) -> str | None:
    """Where get_store_token() finds the token: "env", "keyring" or None (for Settings to show)."""
    if _env(STORE_TOKEN_ENV_VAR):
        return "env"
    return "keyring" if _read(_token_user(uri), "Milvus token") else None


def set_store_token(uri: str, token: str) -> None:
    """Store the server's token in the OS keyring; KeyringUnavailableError if there is none (no file fallback)."""
    token = token.strip()
    if not token:
        raise ValueError("empty Milvus token")
    _write(_token_user(uri), token, "Milvus token")


def delete_store_token(uri: str) -> bool:
    """Remove the server's stored token; False if there was none (or no keyring to hold one)."""
    return _delete(_token_user(uri), "Milvus token")


def resolve_store_token(uri: str | None, explicit: str | None) -> str | None:
    """The token to connect with: the one in the config (a session's), else get_store_token(uri).

    Reads the keyring, so call it where blocking is fine (the engine thread, the CLI), never on a GUI thread.
    """
    if explicit:
        remember_secret(explicit)
        return explicit
    return get_store_token(uri) if uri else None


# -- redaction -------------------------------------------------------------------------------------------------
def redact(text: str, *secrets: str | None) -> str:
    """Mask the given secrets, the current key and token, and key-shaped strings in text meant for logs or the UI.

    Never touches the keyring: the secrets it knows are the ones this process has already read or been given.
    """
    candidates = (*secrets, _env_key(), _env(STORE_TOKEN_ENV_VAR), *_known)
    known = {s for s in candidates if s and len(s) >= _MIN_SECRET_LEN}
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _SK_PATTERN.sub(REDACTED, text)
    for pattern in _PREFIXED_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, its traceback and its stack before any handler formats it.

    The traceback is formatted here, redacted into `exc_text`, and `exc_info` is cleared: logging's Formatter appends
    `exc_text` as it is, so no handler (or a later filter) can format the raw exception again.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for the handler to report, but redact what we can
            record.msg = redact(str(record.msg))
            record.args = None
            message = None
        if message is not None:
            record.msg = redact(message)
            record.args = None
        if record.exc_info:
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put a RedactingFilter on every handler of `logger` (the root logger by default); calling again is harmless.

    Front ends call this right after configuring logging. Handler filters (unlike logger filters) also see records
    that propagate up from the engine's and desktop's own loggers.
    """
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
