"""How a chunk is named in the store and what text the embedder sees for it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.types import Chunk

ID_PREFIX = 24  # hex digits of the path's hash that start each of its chunk ids


def chunk_id(path: str, chunk_no: int) -> str:
    """Stable id for (path, chunk number): re-indexing the same content yields the same ids."""
    return f"{file_prefix(path)}-{chunk_no:06d}"


def file_prefix(path: str) -> str:
    """The part every chunk id of one file starts with: rows are told apart by file without reading them."""
    return hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:ID_PREFIX]


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: file name and heading trail give a short chunk its context."""
    label = Path(chunk.path).name
    if chunk.headings:
        label += " — " + " > ".join(chunk.headings)
    return f"{label}\n{chunk.text}"
