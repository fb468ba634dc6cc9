"""The engine's error hierarchy; desktop/ and the CLI turn these into words."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(EngineError):
    """A setting is invalid or contradicts the existing index."""


class LoaderError(EngineError):
    """A file could not be turned into text; the message is the per-file reason."""


class SkipFile(LoaderError):
    """A file is deliberately not indexed (binary, too large, empty); the message says why."""


class ModelLoadError(EngineError):
    """A model is missing, cannot be downloaded, or failed to load."""


class StoreError(EngineError):
    """The vector store could not be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process already holds this data directory."""


class LLMError(EngineError):
    """The answering endpoint failed; `kind` names the failure for the UI."""

    def __init__(self, message: str, kind: str = "error", status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class Cancelled(EngineError):
    """The job was cancelled through its CancelToken."""
