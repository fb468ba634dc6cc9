"""Which index answers questions: the last complete one keeps answering while a new embedding model fills its own.

The one home of the model-switch logic: the records in the manifest and the open fallback index.

Every embedding model (and dimension) has its own collection. Switching models used to leave search on a half-filled
collection until re-embedding finished; now the manifest records the index that last covered every library, and the
Engine searches it (with its own model for the query) until the new collection covers every library too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from engine.answer.secrets import resolve_store_token
from engine.config import EngineConfig
from engine.errors import StoreError
from engine.ingest.reconcile import reconcile

if TYPE_CHECKING:
    from engine.ingest.manifest import Manifest

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


def mark_complete(manifest: Manifest, collection: str, library: str) -> None:
    """A full, uncancelled indexing run of `library` into `collection` has finished."""
    manifest.set_meta(_complete_key(collection, library), str(time.time()))


def is_complete(manifest: Manifest, collection: str) -> bool:
    """Whether `collection` covers every library (at least one)."""
    libraries = manifest.library_paths()
    return bool(libraries) and all(manifest.get_meta(_complete_key(collection, lib)) for lib in libraries)


def forget_library(manifest: Manifest, library: str) -> None:
    """Drop the completion marks of a removed library, in every collection."""
    manifest.delete_meta_where(lambda key: key.startswith(_COMPLETE_PREFIX) and key.endswith(f":{library}"))


def recorded(manifest: Manifest) -> IndexIdentity | None:
    return IndexIdentity.from_json(manifest.get_meta(SERVING_KEY))


def record(manifest: Manifest, identity: IndexIdentity) -> None:
    manifest.set_meta(SERVING_KEY, identity.to_json())


def is_outdated(identity: IndexIdentity) -> bool:
    """Whether the index's collection has an older row layout (e.g. BM25 over unsegmented text, before schema 2)."""
    from engine.store.schema import LEGACY_SCHEMAS, SCHEMA_VERSION, collection_name_for

    return any(
        identity.collection == collection_name_for(identity.embed_model, identity.dims, schema)
        for schema in LEGACY_SCHEMAS
        if schema != SCHEMA_VERSION
    )


class Fallback:
    """The previous index and its embedding model (loaded on the first query that needs it)."""

    def __init__(self, identity: IndexIdentity, store: Any, embedder: Any) -> None:
        self.identity = identity
        self.store = store
        self._embedder = embedder

    def loaded_embedder(self) -> Any:
        if not self._embedder.loaded:
            self._embedder.load()
        return self._embedder


class ServingIndex:
    """Decides which index answers, and keeps the previous one open while it is the one that does."""

    def __init__(self, config: EngineConfig, make_embedder: Callable[[str, int | None], Any]) -> None:
        self._config = config
        self._make_embedder = make_embedder
        self._fallback: Fallback | None = None
        self._missing: IndexIdentity | None = None  # a recorded index found gone; not tried again on every search

    def identity_for(self, dims: int | None) -> IndexIdentity | None:
        """The configured index, once its dimension is known."""
        if dims is None:
            return None
        from engine.store.chunk_store import ChunkStore

        collection = ChunkStore.collection_name_for(self._config.embed_model, dims)
        return IndexIdentity(self._config.embed_model, self._config.dims, dims, collection)

    def fallback(self, manifest: Manifest, current: IndexIdentity | None) -> Fallback | None:
        """The previous complete index while `current` does not cover every library yet, else None.

        Promotes `current` (records it as the one that answers) as soon as it is complete.
        """
        if current is not None and is_complete(manifest, current.collection):
            previous = recorded(manifest)
            self.drop()
            if previous != current:
                record(manifest, current)
                if previous is not None and is_outdated(previous):
                    self._retire(manifest, previous)
            return None
        previous = recorded(manifest)
        if current is None and previous is not None and self._is_configured(previous):
            return None  # the configured model was never loaded here; it is the recorded one, so nothing to fall to
        if previous is None or previous == current or previous == self._missing:
            self.drop()
            return None
        if self._fallback is not None and self._fallback.identity == previous:
            return self._fallback
        self.drop()
        self._fallback = self._open(manifest, previous)
        if self._fallback is None:
            self._missing = previous
        return self._fallback

    def drop(self) -> None:
        fallback, self._fallback = self._fallback, None
        if fallback is not None:
            fallback.store.close()

    def _retire(self, manifest: Manifest, identity: IndexIdentity) -> None:
        """Drop an index of an outdated row layout once its successor answers: nothing can ever search it again.

        (An index of another model is kept: switching back to that model reuses it.) Best effort: a failure only
        leaves the old collection on disk.
        """
        store = self._store_for(identity)
        try:
            store.open(create=False)
            store.drop_collection()
        except StoreError:
            return
        finally:
            store.close()
        manifest.forget_collection(identity.collection)
        manifest.delete_meta_where(lambda key: key.startswith(_complete_key(identity.collection, "")))

    def _store_for(self, identity: IndexIdentity) -> Any:
        from engine.store.chunk_store import ChunkStore

        return ChunkStore(
            self._config.milvus_uri,
            token=resolve_store_token(self._config.store_uri, self._config.store_token),
            collection=identity.collection,
            dims=identity.dims,
            model_name=identity.embed_model,
        )

    def _is_configured(self, identity: IndexIdentity) -> bool:
        return identity.embed_model == self._config.embed_model and identity.dims_setting == self._config.dims

    def _open(self, manifest: Manifest, previous: IndexIdentity) -> Fallback | None:
        store = self._store_for(previous)
        try:
            store.open(create=False)
            reconcile(manifest, store, previous.collection)  # it answers: it must agree with the manifest too
        except StoreError:
            store.close()
            return None  # the previous index is gone (dropped, or another store): answer from the new one
        return Fallback(previous, store, self._make_embedder(previous.embed_model, previous.dims_setting))
