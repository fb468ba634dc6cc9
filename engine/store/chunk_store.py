"""ChunkStore: chunk rows in Milvus (Lite by default, or a server) with dense and BM25 search."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from engine import patches
from engine.errors import StoreError
from engine.store.filters import SearchFilters, build_filter, file_id_for, is_server_uri, quote
from engine.store.rows import normalised, to_chunk, to_row
from engine.store.schema import (
    LEGACY_SCHEMAS,
    OUTPUT_FIELDS,
    PROP_DIMS,
    PROP_MODEL,
    PROP_SCHEMA,
    SCHEMA_VERSION,
    bm25_search_params,
    build_index_params,
    build_schema,
    collection_name_for,
    dense_search_params,
    dims_of,
    properties_for,
)
from engine.store.segment import segment
from engine.types import Chunk, Hit, Scores, StoredFile

__all__ = ["ChunkStore", "SearchFilters", "file_id_for"]

# Milvus Lite 3.x scores unflushed (memtable) rows by brute force in Python, rebuilding their arrays and BM25 index on
# every search: measured at 6k rows, 63 unflushed rows add ~30 ms to a search, 255 add ~120 ms, 1023 ~300 ms. So Lite
# flushes inside writes once FLUSH_ROWS are pending, and flush() (the indexer calls it after every file) seals once
# MIN_FLUSH_ROWS are pending; smaller segments would only feed compaction (which rewrites and re-indexes them).
DEFAULT_FLUSH_ROWS = 256
MIN_FLUSH_ROWS = 64
WRITE_BATCH = 256  # rows per RPC: bounds message size (256 x 1024-d floats ~ 1 MB) and the server's memory spike
ITER_BATCH = 1000


class ChunkStore:
    """One Milvus collection of chunk rows for one embedding model + dims.

    Rows may arrive without vectors (BM25 finds them at once; dense search skips them until `set_vectors`).
    Use from one thread: the engine thread owns it.
    """

    collection_name_for = staticmethod(collection_name_for)

    def __init__(
        self,
        uri: str,
        *,
        token: str | None = None,
        collection: str | None = None,
        dims: int,
        model_name: str,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
        min_flush_rows: int = MIN_FLUSH_ROWS,
        timeout_s: float = 30.0,
    ) -> None:
        if int(dims) <= 0:
            raise StoreError(f"invalid vector dimension {dims}")
        self.uri = str(uri)
        self.token = token
        self.dims = int(dims)
        self.model_name = model_name
        self.collection = collection or collection_name_for(model_name, self.dims)
        self.flush_rows = flush_rows
        self.min_flush_rows = min_flush_rows
        self.timeout_s = timeout_s
        self._client: Any = None
        self._lite_key: str | None = None
        self._pending = 0
        self.lite_speedups = False  # set by open(): whether Lite's BM25 runs the vectorised code
        self.layout = SCHEMA_VERSION  # set by open(): the collection's row layout (an old index keeps its own)

    # ---- lifecycle -------------------------------------------------------------------------------------------

    @property
    def is_lite(self) -> bool:
        return not is_server_uri(self.uri)

    @property
    def segmented(self) -> bool:
        """Whether BM25 reads word-segmented text (layout 2+): queries must then be segmented the same way."""
        return self.layout not in LEGACY_SCHEMAS

    @property
    def is_open(self) -> bool:
        return self._client is not None

    def open(self, *, create: bool = True) -> None:
        """Connect and create the collection (with its indexes) if absent; check an existing one matches.

        `create=False` opens an existing collection only (StoreError when it is absent): the previous model's index.
        """
        if self._client is not None:
            return
        self._connect()
        try:
            self._ensure_collection(create=create)
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        if self.is_lite:
            self._start_lite()
        else:
            patches.unused(patches.MILVUS_LITE_BM25, "not used: the store is a Milvus server")
        try:
            from pymilvus import MilvusClient

            # Lite runs in this process: a first search after a restart may legitimately take long (index builds).
            timeout = None if self.is_lite else self.timeout_s
            self._client = MilvusClient(uri=self.uri, token=self.token or "", timeout=timeout)
        except Exception as exc:  # pymilvus raises several types for "cannot connect"
            self._release_lite()
            raise StoreError(f"cannot connect to Milvus at {self.uri}: {_reason(exc)}") from exc

    @classmethod
    def existing_indexes(cls, uri: str, *, token: str | None = None) -> list[tuple[str, str, int]]:
        """(collection, model, dims) of every Tansaku collection in this Milvus: what a lost manifest is rebuilt from."""
        probe = cls(uri, token=token, dims=1, model_name="probe")
        probe._connect()
        try:
            client = probe._require()
            found = []
            with _errors("list collections"):
                for name in client.list_collections():
                    if not str(name).startswith("tansaku_"):
                        continue
                    description = client.describe_collection(name)
                    model = (description.get("properties") or {}).get(PROP_MODEL)
                    dims = dims_of(description)
                    if model and dims:
                        found.append((str(name), str(model), int(dims)))
            return sorted(found)
        finally:
            probe.close()

    def close(self) -> None:
        """Disconnect; for Milvus Lite also stop its server when no other store in this process uses the dir."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                if self.is_lite and self._pending:
                    client.flush(self.collection)
            with contextlib.suppress(Exception):
                client.close()
        self._pending = 0
        self._release_lite()

    def __enter__(self) -> ChunkStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_lite(self) -> None:
        from engine.store.lite import acquire_lite
        from engine.store.lite_patch import install

        self.lite_speedups = install()
        self._lite_key = self.uri = acquire_lite(self.uri)

    def _release_lite(self) -> None:
        key, self._lite_key = self._lite_key, None
        if key is not None:
            from engine.store.lite import release_lite

            release_lite(key)

    def _ensure_collection(self, *, create: bool = True) -> None:
        client = self._client
        name = self.collection
        with _errors("open the collection"):
            exists = client.has_collection(name)
        if not exists and not create:
            raise StoreError(f"collection {name} does not exist")
        with _errors("open the collection"):
            if not exists:
                client.create_collection(
                    name,
                    schema=build_schema(self.dims),
                    # Session: this client reads its own writes at once, without Strong's wait on a server.
                    consistency_level="Session",
                    properties=properties_for(self.model_name, self.dims),
                )
                # Lite records the index at once; pymilvus would still poll it with 0.5 s sleeps (sync=True).
                client.create_index(name, build_index_params(client), sync=not self.is_lite)
                client.load_collection(name)
                self.layout = SCHEMA_VERSION
                return
            description = client.describe_collection(name)
        stored_dims = dims_of(description)
        if stored_dims != self.dims:
            raise StoreError(
                f"collection {name} holds {stored_dims}-dimensional vectors, not {self.dims}; "
                "use the collection of this model and dimension (ChunkStore.collection_name_for)"
            )
        props = description.get("properties") or {}
        stored_model = props.get(PROP_MODEL)
        if stored_model is not None and stored_model != self.model_name:
            raise StoreError(f"collection {name} was built with {stored_model}, not {self.model_name}")
        layout = str(props.get(PROP_SCHEMA, SCHEMA_VERSION))
        # An older layout is read (and its rows deleted) as the fallback while its successor fills; never written.
        if layout != SCHEMA_VERSION and (create or layout not in LEGACY_SCHEMAS):
            raise StoreError(
                f"collection {name} has row layout {layout}, this version uses {SCHEMA_VERSION}; "
                "drop it and index again"
            )
        self.layout = layout
        with _errors("load the collection"):
            client.load_collection(name)

    # ---- writes ----------------------------------------------------------------------------------------------

    def insert_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray | None) -> None:
        """Store chunks (replacing rows with the same ids). `vectors` None: BM25-only until `set_vectors`."""
        if not chunks:
            return
        matrix = None if vectors is None else self._as_matrix(vectors, len(chunks))
        segmented = self.segmented
        rows = [
            to_row(chunk, None if matrix is None else matrix[i], self.dims, segmented=segmented)
            for i, chunk in enumerate(chunks)
        ]
        # Replace semantics: re-storing a file after a crash must replace, never duplicate, its chunks.
        self._write(rows, partial=False)

    def set_vectors(self, chunk_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Fill in dense vectors for rows stored without them; dense search sees them from now on."""
        if not chunk_ids:
            return
        matrix = self._as_matrix(vectors, len(chunk_ids))
        rows = [{"id": cid, "dense": matrix[i], "embedded": True} for i, cid in enumerate(chunk_ids)]
        self._write(rows, partial=True)

    def delete_file(self, path: str) -> int:
        """Delete every chunk of one file; returns how many rows went."""
        return self._delete(f"file_id == {quote(file_id_for(path))}")

    def delete_library(self, library: str) -> int:
        return self._delete(f"library == {quote(library)}")

    def flush(self, *, force: bool = False) -> None:
        """Seal pending rows into an indexed segment (Milvus Lite) once enough are pending (or `force`).

        Only speed depends on it: Lite's write-ahead log already keeps every write, and searches see unflushed rows.
        Sealing a handful of rows per file would only feed compaction, so small remainders wait for the next call,
        the automatic flush in writes, or close(). A server seals and indexes segments on its own: a no-op there.
        """
        if not self.is_lite or self._pending == 0 or (self._pending < self.min_flush_rows and not force):
            return
        with _errors("flush"):
            self._require().flush(self.collection)
        self._pending = 0

    def drop_collection(self) -> None:
        """Delete this model's collection (after switching models, once the new one is complete)."""
        with _errors("drop the collection"):
            self._require().drop_collection(self.collection)
        self._pending = 0

    def _write(self, rows: list[dict[str, Any]], *, partial: bool) -> None:
        client = self._require()
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            with _errors("store chunks"):
                if partial:
                    client.upsert(self.collection, batch, partial_update=True)
                elif self.is_lite:
                    # Lite's insert is already last-write-wins per id; its upsert adds a point read per row.
                    client.insert(self.collection, batch)
                else:
                    client.upsert(self.collection, batch)
            self._note_pending(len(batch))

    def _delete(self, expr: str) -> int:
        with _errors("delete chunks"):
            result = self._require().delete(self.collection, filter=expr)
        count = int(result.get("delete_count", 0)) if isinstance(result, dict) else len(result or ())
        self._note_pending(count)
        return count

    def _note_pending(self, n: int) -> None:
        self._pending += n
        if self.is_lite and self.flush_rows > 0 and self._pending >= self.flush_rows:
            self.flush(force=True)

    def _as_matrix(self, vectors: Any, n: int) -> np.ndarray:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape != (n, self.dims):
            raise StoreError(f"expected {n} vectors of {self.dims} dims, got shape {matrix.shape}")
        return normalised(matrix)

    # ---- reads -----------------------------------------------------------------------------------------------

    def count(self, library: str | None = None) -> int:
        expr = "" if library is None else f"library == {quote(library)}"
        with _errors("count chunks"):
            rows = self._require().query(self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def stored_files(self, library: str | None = None) -> dict[str, StoredFile]:
        """Every stored file of a library (or all) with its chunk count, content hash and rows still unembedded."""
        expr = "" if library is None else f"library == {quote(library)}"
        return _stored_files(self._iter_rows(expr, list(_FILE_FIELDS)))

    def files_by_path(self, paths: Sequence[str]) -> dict[str, StoredFile]:
        """stored_files() for just these paths, in one query: the cheap spot check at open."""
        if not paths:
            return {}
        expr = f"file_id in [{', '.join(quote(file_id_for(p)) for p in paths)}]"
        with _errors("read chunks"):
            rows = self._require().query(self.collection, filter=expr, output_fields=list(_FILE_FIELDS))
        return _stored_files(rows)

    def chunk_ids_for_file(self, path: str) -> list[str]:
        rows = self._iter_rows(f"file_id == {quote(file_id_for(path))}", ["id", "chunk_no"])
        return [row["id"] for row in sorted(rows, key=lambda r: (r["chunk_no"], r["id"]))]

    def iter_chunks(self, library: str | None = None) -> Iterator[Chunk]:
        expr = "" if library is None else f"library == {quote(library)}"
        for row in self._iter_rows(expr, list(OUTPUT_FIELDS)):
            yield to_chunk(row)

    def unembedded_ids(self, library: str | None = None) -> list[str]:
        """Ids of rows still waiting for their dense vector (to resume embedding after a restart)."""
        expr = "embedded == false" if library is None else f"(embedded == false) and (library == {quote(library)})"
        return [row["id"] for row in self._iter_rows(expr, ["id"])]

    def chunks_by_ids(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The stored chunks with these ids (any order; missing ids are left out)."""
        out: list[Chunk] = []
        for start in range(0, len(chunk_ids), ITER_BATCH):
            page = chunk_ids[start : start + ITER_BATCH]
            with _errors("read chunks"):
                rows = self._require().query(
                    self.collection, filter=f"id in [{', '.join(map(quote, page))}]", output_fields=list(OUTPUT_FIELDS)
                )
            out.extend(to_chunk(row) for row in rows)
        return out

    def stored_model(self) -> tuple[str | None, int | None]:
        """The model name and dims recorded in the collection's properties."""
        with _errors("describe the collection"):
            description = self._require().describe_collection(self.collection)
        props = description.get("properties") or {}
        dims = props.get(PROP_DIMS)
        return props.get(PROP_MODEL), int(dims) if dims is not None else dims_of(description)

    def search_dense(self, vector: Any, k: int, *, filters: SearchFilters | None = None) -> list[Hit]:
        """Nearest chunks by inner product of normalised vectors (= cosine); rows without vectors are skipped."""
        if k <= 0:
            return []
        query = self._as_matrix(np.asarray(vector, dtype=np.float32).reshape(1, -1), 1)[0]
        with _errors("search"):
            result = self._require().search(
                self.collection,
                data=[query.tolist()],
                anns_field="dense",
                limit=int(k),
                filter=build_filter(filters, embedded_only=True),
                output_fields=list(OUTPUT_FIELDS),
                search_params=dense_search_params(k),
            )
        return [
            Hit(to_chunk(hit["entity"], hit.get("id")), Scores(dense=float(hit["distance"]), dense_rank=rank))
            for rank, hit in enumerate(result[0] if result else (), start=1)
        ]

    def search_bm25(self, text: str, k: int, *, filters: SearchFilters | None = None) -> list[Hit]:
        """Best BM25 matches of the text field; finds rows as soon as they are stored."""
        if k <= 0 or not text.strip():
            return []
        if self.segmented:
            text = segment(text)  # exactly what rows.to_row stored for the documents
            if not text.strip():
                return []  # only particles or punctuation: nothing to look up
        with _errors("search"):
            result = self._require().search(
                self.collection,
                data=[text],
                anns_field="sparse",
                limit=int(k),
                filter=build_filter(filters),
                output_fields=list(OUTPUT_FIELDS),
                search_params=bm25_search_params(),
            )
        # Milvus Lite reports BM25 as a negative distance, a server as a positive score.
        return [
            Hit(to_chunk(hit["entity"], hit.get("id")), Scores(bm25=abs(float(hit["distance"])), bm25_rank=rank))
            for rank, hit in enumerate(result[0] if result else (), start=1)
        ]

    def _iter_rows(self, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """All matching rows, a page at a time."""
        if self.is_lite:
            yield from self._iter_rows_lite(expr, fields)
            return
        with _errors("read chunks"):
            iterator = self._require().query_iterator(
                self.collection, batch_size=ITER_BATCH, filter=expr, output_fields=fields
            )
        try:
            while True:
                with _errors("read chunks"):
                    page = iterator.next()
                if not page:
                    return
                yield from page
        finally:
            with contextlib.suppress(Exception):
                iterator.close()

    def _iter_rows_lite(self, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Lite's query_iterator calls an RPC it lacks; page by primary key instead (ids first, then rows by id)."""
        client = self._require()
        with _errors("read chunks"):
            ids = sorted(row["id"] for row in client.query(self.collection, filter=expr, output_fields=["id"]))
        if fields == ["id"]:
            yield from ({"id": i} for i in ids)
            return
        for start in range(0, len(ids), ITER_BATCH):
            page = ids[start : start + ITER_BATCH]
            with _errors("read chunks"):
                rows = client.query(
                    self.collection, filter=f"id in [{', '.join(map(quote, page))}]", output_fields=fields
                )
            yield from sorted(rows, key=lambda r: r["id"])

    def _require(self) -> Any:
        if self._client is None:
            raise StoreError("the chunk store is not open")
        return self._client


_FILE_FIELDS = ("path", "library", "file_sha256", "embedded")


def _stored_files(rows: Iterable[dict[str, Any]]) -> dict[str, StoredFile]:
    """Rows (path, library, file_sha256, embedded) summed per file; a file with rows of two versions gets no hash."""
    found: dict[str, StoredFile] = {}
    for row in rows:
        path = row["path"]
        old = found.get(path) or StoredFile(path, row["library"], row["file_sha256"], 0, 0)
        sha = old.sha256 if old.sha256 == row["file_sha256"] else ""
        unembedded = old.unembedded + (0 if row["embedded"] else 1)
        found[path] = StoredFile(path, old.library, sha, old.chunks + 1, unembedded)
    return found


# ---- errors --------------------------------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if "No space left" in message:
        return f"the disk is full ({message})"
    return message


@contextlib.contextmanager
def _errors(action: str) -> Iterator[None]:
    """Turn pymilvus / gRPC / OS failures into StoreError with what we were doing."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        from pymilvus.exceptions import MilvusException

        if isinstance(exc, MilvusException | OSError | ConnectionError) or type(exc).__module__.startswith("grpc"):
            raise StoreError(f"Milvus could not {action}: {_reason(exc)}") from exc
        raise
