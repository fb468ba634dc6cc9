"""CSV/TSV: each row as 'column: value' pairs so a chunk keeps its meaning without the header row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from engine.ingest.loaders.fileio import read_text
from engine.ingest.loaders.text import text_document
from engine.types import Document

_DELIMITERS = ",;\t|"


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _rendered_rows(rows: Iterator[list[str]]) -> Iterator[str]:
    header: list[str] = []
    for first in rows:
        header = [" ".join(cell.split()) for cell in first]
        if any(header):
            break
    if not any(header):
        return
    yield " | ".join(h for h in header if h)
    for row in rows:
        pairs = []
        for i, value in enumerate(row):
            value = " ".join(value.split())
            if not value:
                continue
            name = header[i] if i < len(header) and header[i] else ""
            pairs.append(f"{name}: {value}" if name else value)
        if pairs:
            yield " | ".join(pairs)


def table_document(text: str, suffix: str, max_chars: int) -> Document:
    """Rendered rows; the raw text when the rows cannot be parsed or rendering would exceed `max_chars`."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, suffix))
    lines: list[str] = []
    size = 0
    try:
        for line in _rendered_rows(rows):
            size += len(line) + 1
            if size > max_chars:
                return text_document(text, "csv")
            lines.append(line)
    except csv.Error:
        return text_document(text, "csv")
    return text_document("\n".join(lines), "csv")


def load(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return table_document(decoded.text, path.suffix.lower(), max_bytes).with_notes(decoded.notes)
