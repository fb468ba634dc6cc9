"""Chunk <-> Milvus row conversion: field limits, placeholder vectors, normalisation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.store.filters import file_id_for, suffix_of
from engine.store.schema import BM25_FIELD, MAX_HEADINGS, MAX_TEXT
from engine.store.segment import segment
from engine.types import Chunk


def to_row(chunk: Chunk, vector: np.ndarray | None, dims: int, *, segmented: bool = True) -> dict[str, Any]:
    """A row; without a vector the dense field holds zeros and `embedded` is False.

    `segmented`: the collection's BM25 reads the segmented copy of the text (schema 2+); an older layout has no field.

    Zeros, not a nullable vector: Milvus Lite 3.2 rejects a write batch whose vectors are all null, and servers before
    2.6 have no nullable vectors. Dense search filters on `embedded`, so the zeros are never returned.
    """
    if vector is None:
        vector = np.zeros(dims, dtype=np.float32)
        embedded = False
    else:
        embedded = True
    row = {
        "id": chunk.id,
        "file_id": file_id_for(chunk.path),
        "library": chunk.library,
        "path": chunk.path,
        "suffix": suffix_of(chunk.path),
        "chunk_no": int(chunk.chunk_no),
        "headings": headings_json(chunk.headings),
        "page": -1 if chunk.page is None else int(chunk.page),
        "char_start": int(chunk.char_start),
        "char_end": int(chunk.char_end),
        "text": truncate_utf8(chunk.text, MAX_TEXT),
        "file_sha256": chunk.file_sha256,
        "embedded": embedded,
        "dense": vector,
    }
    if segmented:
        row[BM25_FIELD] = truncate_utf8(segment(chunk.text), MAX_TEXT)
    return row


def to_chunk(entity: dict[str, Any], pk: Any = None) -> Chunk:
    page = entity.get("page")
    return Chunk(
        id=str(entity.get("id", pk)),
        library=entity.get("library", ""),
        path=entity.get("path", ""),
        chunk_no=int(entity.get("chunk_no", 0)),
        text=entity.get("text", ""),
        char_start=int(entity.get("char_start", 0)),
        char_end=int(entity.get("char_end", 0)),
        page=None if page is None or int(page) < 0 else int(page),
        headings=tuple(json.loads(entity.get("headings") or "[]")),
        file_sha256=entity.get("file_sha256", ""),
    )


def headings_json(headings: Sequence[str]) -> str:
    """JSON list within the field limit: long headings are clipped, then the outermost ones dropped."""
    trail = [h[:300] for h in headings]
    while True:
        text = json.dumps(trail, ensure_ascii=False)
        if len(text.encode("utf-8")) <= MAX_HEADINGS or not trail:
            return text
        trail.pop(0)


def truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.where(norms > 0, matrix / np.where(norms > 0, norms, 1.0), matrix).astype(np.float32, copy=False)
