"""Which index answers questions: the last complete one keeps answering while a new embedding model fills its own.

Every embedding model (and dimension) has its own collection. Switching models used to leave search on a half-filled
collection until re-embedding finished; now the manifest records the index that last covered every library, and the
Engine searches it (with its own model for the query) until the new collection covers every library too.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

SERVING_KEY = "serving_index"
_COMPLETE_PREFIX = "complete:"


@dataclass(frozen=True)
class IndexIdentity:
    """An index: the embedding model, the dims setting it was built with, and its collection."""

    embed_model: str
    dims_setting: int | None  # EngineConfig.dims: None means the model's full dimension
    dims: int  # the stored vectors' dimension
    collection: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> IndexIdentity | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                embed_model=str(data["embed_model"]),
                dims_setting=None if data.get("dims_setting") is None else int(data["dims_setting"]),
                dims=int(data["dims"]),
                collection=str(data["collection"]),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a damaged record only costs the fallback, never the current index


def _complete_key(collection: str, library: str) -> str:
    return f"{_COMPLETE_PREFIX}{collection}:{library}"


def mark_complete(manifest, collection: str, library: str) -> None:
    """A full, uncancelled indexing run of `library` into `collection` has finished."""
    manifest.set_meta(_complete_key(collection, library), str(time.time()))


def is_complete(manifest, collection: str) -> bool:
    """Whether `collection` covers every library (at least one)."""
    libraries = manifest.library_paths()
    return bool(libraries) and all(manifest.get_meta(_complete_key(collection, lib)) for lib in libraries)


def forget_library(manifest, library: str) -> None:
    """Drop the completion marks of a removed library, in every collection."""
    manifest.delete_meta_where(lambda key: key.startswith(_COMPLETE_PREFIX) and key.endswith(f":{library}"))


def recorded(manifest) -> IndexIdentity | None:
    return IndexIdentity.from_json(manifest.get_meta(SERVING_KEY))


def record(manifest, identity: IndexIdentity) -> None:
    manifest.set_meta(SERVING_KEY, identity.to_json())
