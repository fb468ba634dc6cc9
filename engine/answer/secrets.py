"""The answer endpoint's API key: from OPENAI_API_KEY or the OS keyring, never from or to a plain file."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TYPE_CHECKING

from engine.errors import EngineError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

ENV_VAR = "OPENAI_API_KEY"
SERVICE = "Tansaku"
USERNAME = "openai_api_key"
REDACTED = "[redacted]"

# Key-shaped tokens (OpenAI sk-…, bearer values) are masked even when we were not told the exact key.
_KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]{6,}"),
)


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


def _env_key() -> str | None:
    value = os.environ.get(ENV_VAR, "").strip()
    return value or None


def _keyring_key() -> str | None:
    backend = _backend()
    if backend is None or _backend_problem(backend) is not None:
        return None
    try:
        value = backend.get_password(SERVICE, USERNAME)
    except Exception as exc:  # locked keyring, D-Bus timeout...: no key rather than a crash
        log.warning("Could not read the API key from the OS keyring (%s)", type(exc).__name__)
        return None
    if not isinstance(value, str):
        return None
    return value.strip() or None


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


def set_api_key(key: str) -> None:
    """Store the key in the OS keyring; raise KeyringUnavailableError if there is none (no file fallback)."""
    key = key.strip()
    if not key:
        raise ValueError("empty API key")
    backend = _usable_backend_or_raise()
    try:
        backend.set_password(SERVICE, USERNAME, key)
    except Exception as exc:
        raise SecretStoreError(f"The OS keyring refused to store the API key ({type(exc).__name__}).") from None


def delete_api_key() -> bool:
    """Remove the stored key; False if there was none (or no keyring to hold one)."""
    backend = _backend()
    if backend is None or _backend_problem(backend) is not None:
        return False
    from keyring.errors import PasswordDeleteError

    try:
        backend.delete_password(SERVICE, USERNAME)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise SecretStoreError(f"The OS keyring refused to delete the API key ({type(exc).__name__}).") from None
    return True


def redact(text: str, *secrets: str | None) -> str:
    """Mask the given secrets, the current key and key-shaped tokens in text meant for logs or the UI."""
    known = [s for s in (*secrets, _env_key()) if s and len(s) >= 4]
    for secret in sorted(set(known), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _KEY_PATTERNS[0].sub(REDACTED, text)
    return _KEY_PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, text)
