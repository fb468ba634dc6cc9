"""Plain text, logs, source code and config files: decoded text as one section."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.loaders.fileio import read_text
from engine.types import Document, Section


def text_document(text: str, kind: str = "text") -> Document:
    return Document(text=text, sections=(Section(0, len(text)),), kind=kind)


def load_text(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return text_document(decoded.text, "text").with_notes(decoded.notes)


def load_code(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return text_document(decoded.text, "code").with_notes(decoded.notes)
