"""Settings: QSettings <-> EngineConfig, plus window state; secrets (API key, Milvus token) never go to QSettings.

They live in the OS keyring, reached only through engine.secrets and never on the GUI thread (desktop/keyring_calls).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from engine import APP_NAME, EngineConfig

log = logging.getLogger(__name__)

ENGINE_GROUP = "engine"
SECRET_FIELDS = frozenset({"store_token"})  # never written to QSettings
LANGUAGE_KEY = "ui/language"
LANGUAGE_CHOICES = ("system", "en", "ja")


def _field_defaults() -> dict[str, Any]:
    default = EngineConfig()
    return {f.name: getattr(default, f.name) for f in dataclasses.fields(EngineConfig)}


def _encode(value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value)


def _decode(name: str, raw: Any, default: Any) -> Any:
    """The stored value with the type the field wants; raises ValueError on a value of the wrong shape."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    if name == "data_dir":
        return Path(str(value)).expanduser()
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ValueError("expected a list")
        return tuple(str(v) for v in value)
    if value is None or default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError("expected true/false")
        return value
    if isinstance(default, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return type(default)(value)
    if isinstance(default, str) and isinstance(value, str):
        return value
    raise ValueError(f"unexpected {type(value).__name__}")


class Settings:
    """The app's persistent preferences. Pass one explicitly; tests use an INI file in a temp dir."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings if qsettings is not None else QSettings(APP_NAME, APP_NAME)

    @classmethod
    def from_file(cls, path: Path) -> Settings:
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def qsettings(self) -> QSettings:
        return self._q

    # -- engine config -----------------------------------------------------------------------------
    def engine_config(self, **overrides: Any) -> EngineConfig:
        """EngineConfig from stored values over the defaults; overrides (command line) win and are not stored."""
        values: dict[str, Any] = {}
        for name, default in _field_defaults().items():
            key = f"{ENGINE_GROUP}/{name}"
            if name in SECRET_FIELDS or not self._q.contains(key):
                continue
            try:
                values[name] = _decode(name, self._q.value(key), default)
            except (ValueError, TypeError) as exc:
                log.warning("Ignoring the stored setting %s (%s)", key, exc)
        values.update({k: v for k, v in overrides.items() if v is not None})
        # No keyring read here (this runs on the GUI thread): without a session token the engine reads the Milvus
        # token from TANSAKU_STORE_TOKEN or the OS keyring on its own thread when it connects.
        return EngineConfig(**values)

    def save_engine_config(self, config: EngineConfig) -> None:
        """Store the fields that differ from the defaults (so new defaults reach people who never changed them)."""
        for name, default in _field_defaults().items():
            if name in SECRET_FIELDS:
                continue
            key = f"{ENGINE_GROUP}/{name}"
            value = getattr(config, name)
            if value == default:
                self._q.remove(key)
            else:
                self._q.setValue(key, _encode(value))
        self._q.sync()

    # -- window and UI state -----------------------------------------------------------------------
    def bytes_value(self, key: str) -> QByteArray | None:
        value = self._q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_bytes_value(self, key: str, value: QByteArray) -> None:
        self._q.setValue(key, value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._q.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def set_flag(self, key: str, value: bool) -> None:
        self._q.setValue(key, bool(value))

    # -- language --------------------------------------------------------------------------------------
    def language(self) -> str:
        """The window's language choice: "system" (the default), "en" or "ja"; applied at the next start."""
        value = str(self._q.value(LANGUAGE_KEY, "system") or "system")
        return value if value in LANGUAGE_CHOICES else "system"

    def set_language(self, choice: str) -> None:
        if choice not in LANGUAGE_CHOICES:
            raise ValueError(f"unknown language choice {choice!r}")
        self._q.setValue(LANGUAGE_KEY, choice)
        self._q.sync()

    def sync(self) -> None:
        self._q.sync()
