"""Vectorised BM25 internals for in-process Milvus Lite 3.x: the same scores as its pure-Python code, far faster.

Milvus Lite 3.x keeps BM25 in Python: per-segment inverted indexes of (doc, tf) tuples built lazily on the first
search after every start and every compaction (~17 s at 100k chunks), scored term by term in interpreted loops
(0.3-0.6 s per query at 100k), and a pure-Python hash per token on insert. `install()` swaps four leaf functions for
numpy equivalents with identical inputs and outputs. It only affects Milvus Lite running inside this process; a
Milvus server is untouched. Set TANSAKU_LITE_SPEEDUPS=0 to disable it.

It fails soft, so a Lite upgrade degrades to the stock (slow, correct) code: `install()` checks the version and every
private name the patch uses (REQUIRED) and leaves Lite untouched when anything differs; and if a replacement raises
at call time, that call runs Lite's own function and the patch turns itself off for the rest of the process. Either
way one warning is logged and engine.patches records why ("milvus_lite_bm25", shown by `tansaku status --json`).

It also fixes one thing Lite itself lists as a TODO: each segment scored BM25 with its own statistics (document count,
average length, document frequencies), so a chunk's score depended on which segment it happened to be flushed into,
and the same library indexed twice ranked differently (measured: BM25 nDCG@10 0.79 vs 0.83 on the Milvus docs). A
wrapper around `Collection._search_sparse` sums the statistics over every segment and the memtable first and the
vectorised scorer uses those, as Elasticsearch's DFS_QUERY_THEN_FETCH does. Like Lucene, rows deleted or superseded
but not yet compacted away still count: that keeps the sums cheap, and a duplicate shifts N and df together.
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import threading
from typing import Any

import numpy as np

from engine import patches

SUPPORTED_MAJOR = "3."
_PAIR = np.dtype([("i", "<u4"), ("v", "<f4")])


class CorpusStats:
    """BM25 statistics summed over a collection's indexes (segments + memtable), for one search call."""

    def __init__(self, indexes: list[Any]) -> None:
        self._indexes = indexes
        self.doc_count = sum(int(index.doc_count) for index in indexes)
        total = sum(float(index._doc_lengths.sum()) for index in indexes)
        self.avgdl = total / self.doc_count if self.doc_count > 0 else 0.0
        self._df: dict[int, int] = {}

    def df(self, term: int) -> int:
        value = self._df.get(term)
        if value is None:
            value = self._df[term] = sum(_term_df(index, term) for index in self._indexes)
        return value


_corpus_stats: contextvars.ContextVar[CorpusStats | None] = contextvars.ContextVar("tansaku_bm25_stats", default=None)


class _RawSparse(dict[int, float]):
    """A decoded sparse row that remembers its packed bytes, so index builds can skip the dict."""

    __slots__ = ("raw",)
    raw: bytes


def fast_bytes_to_sparse(b: bytes) -> dict[int, float]:
    """`milvus_lite.analyzer.sparse.bytes_to_sparse` via one numpy view instead of a struct call per pair."""
    if not b:
        return {}
    if len(b) % 8 != 0:
        raise ValueError(f"sparse vector bytes length {len(b)} is not a multiple of 8")
    pairs = np.frombuffer(b, dtype=_PAIR)
    out = _RawSparse(zip(pairs["i"].tolist(), pairs["v"].tolist(), strict=True))
    out.raw = bytes(b)
    return out


def fast_sparse_to_bytes(sv: dict[int, float]) -> bytes:
    """`sparse_to_bytes`: pairs sorted by index, packed little-endian (uint32, float32)."""
    if not sv:
        return b""
    keys = np.fromiter(sv.keys(), dtype=np.int64, count=len(sv))
    values = np.fromiter(sv.values(), dtype=np.float64, count=len(sv))
    order = np.argsort(keys, kind="stable")
    pairs = np.empty(len(sv), dtype=_PAIR)
    pairs["i"] = keys[order]
    pairs["v"] = values[order]
    return pairs.tobytes()


def _flatten(sparse_vectors: list[dict[int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(doc ids, term ids, tfs) of every (doc, term) pair, docs in order."""
    n = len(sparse_vectors)
    lengths = np.fromiter((len(sv) if sv else 0 for sv in sparse_vectors), dtype=np.int64, count=n)
    total = int(lengths.sum())
    packed = [getattr(sv, "raw", None) for sv in sparse_vectors if sv]
    if all(raw is not None for raw in packed):
        pairs = np.frombuffer(b"".join(raw for raw in packed if raw is not None), dtype=_PAIR)
        terms, tfs = pairs["i"].astype(np.int64), pairs["v"].copy()
    else:
        terms = np.fromiter((t for sv in sparse_vectors if sv for t in sv), dtype=np.int64, count=total)
        tfs = np.fromiter((v for sv in sparse_vectors if sv for v in sv.values()), dtype=np.float32, count=total)
    # int32 docs + float32 tfs: 8 bytes a posting (Lite's (doc, tf) tuples take ~100), ~150 MB at 100k chunks.
    docs = np.repeat(np.arange(n, dtype=np.int32), lengths)
    return docs, terms, tfs


def make_fast_index_class(base: type) -> type:
    """A subclass of Lite's SparseInvertedIndex with array postings (CSR by term) and vectorised scoring."""

    class FastSparseInvertedIndex(base):
        def build(self, sparse_vectors: list[dict[int, float]], valid_mask: np.ndarray | None = None) -> None:
            from milvus_lite.index.sparse_common import validate_mask

            n = len(sparse_vectors)
            valid_mask = validate_mask(valid_mask, n)
            docs, terms, tfs = _flatten(sparse_vectors)
            valid = np.ones(n, dtype=bool) if valid_mask is None else np.asarray(valid_mask, dtype=bool)
            keep = valid[docs]
            docs, terms, tfs = docs[keep], terms[keep], tfs[keep]
            doc_lengths = np.bincount(docs, weights=tfs.astype(np.float64), minlength=n)
            order = np.argsort(terms, kind="stable")  # stable: postings stay in doc order, as Lite builds them
            self._terms, starts, counts = np.unique(terms[order], return_index=True, return_counts=True)
            self._starts = starts.astype(np.int64)
            self._ends = self._starts + counts
            self._post_docs = docs[order]
            self._post_tfs = tfs[order]
            self._slot = {int(t): i for i, t in enumerate(self._terms.tolist())}
            self.doc_count = int(valid.sum())
            total = float(doc_lengths.sum())
            self.avgdl = total / self.doc_count if self.doc_count > 0 else 0.0
            self._doc_lengths = doc_lengths.astype(np.float32)
            self._df = _LazyDf(self)
            self._posting_lists = _LazyPostings(self)

        def search(
            self, query_sparse_vectors: list[dict[int, float]], top_k: int, valid_mask: np.ndarray | None = None
        ) -> tuple[np.ndarray, np.ndarray]:
            from milvus_lite.index.sparse_common import empty_results, validate_mask

            valid_mask = validate_mask(valid_mask, len(self._doc_lengths))
            nq = len(query_sparse_vectors)
            all_ids, all_dists = empty_results(nq, top_k)
            if self.doc_count == 0 or not hasattr(self, "_slot"):
                return all_ids, all_dists
            for qi, query in enumerate(query_sparse_vectors):
                ids, scores = self._score(query, valid_mask, top_k)
                all_ids[qi, : len(ids)] = ids
                all_dists[qi, : len(ids)] = -scores
            return all_ids, all_dists

        def _score(self, query: dict[int, float], valid_mask: np.ndarray | None, top_k: int):
            n = len(self._doc_lengths)
            scores = np.zeros(n, dtype=np.float64)
            touched = np.zeros(n, dtype=bool)
            k1, b = self.k1, self.b
            big_n, avgdl, df_of = _statistics(self)
            for term, weight in (query or {}).items():
                slot = self._slot.get(term)
                if slot is None:
                    continue
                start, end = int(self._starts[slot]), int(self._ends[slot])
                df = df_of(term)
                idf = math.log((big_n - df + 0.5) / (df + 0.5) + 1.0)
                docs = self._post_docs[start:end]
                tf = self._post_tfs[start:end].astype(np.float64)
                dl = self._doc_lengths[docs].astype(np.float64)
                if valid_mask is not None:
                    ok = valid_mask[docs]
                    docs, tf, dl = docs[ok], tf[ok], dl[ok]
                tf_norm = (tf * (k1 + 1.0)) / (tf + k1 * (1.0 - b + b * dl / avgdl))
                scores[docs] += idf * tf_norm * weight  # docs are unique within one term's postings
                touched[docs] = True
            hit = np.flatnonzero(touched)
            if len(hit) == 0:
                return hit, scores[hit]
            if len(hit) > top_k:
                part = np.argpartition(-scores[hit], top_k - 1)[:top_k]
                hit = hit[part]
            order = np.lexsort((hit, -scores[hit]))  # best score first, ties by doc order
            hit = hit[order]
            return hit, scores[hit]

        def save(self, path: str) -> None:
            raise NotImplementedError("FastSparseInvertedIndex is an in-memory cache; Lite never persists it")

    return FastSparseInvertedIndex


def _term_df(index: Any, term: int) -> int:
    slot = index._slot.get(term) if hasattr(index, "_slot") else None
    return 0 if slot is None else int(index._ends[slot] - index._starts[slot])


def _statistics(index: Any) -> tuple[int, float, Any]:
    """(N, avgdl, df function) for scoring: the collection's during a wrapped search, else the index's own."""
    stats = _corpus_stats.get()
    if stats is not None and stats.doc_count > 0:
        return stats.doc_count, (stats.avgdl if stats.avgdl > 0 else 1.0), stats.df
    return index.doc_count, (index.avgdl if index.avgdl > 0 else 1.0), functools.partial(_term_df, index)


def collection_bm25_stats(collection: Any, vector_field: str, fast_index: type) -> CorpusStats | None:
    """Statistics over every row of `collection` (segments and memtable), or None where Lite's layout is unexpected.

    Builds (and caches on the segment, exactly as `_search_sparse` would) any segment index not built yet.
    """
    from milvus_lite.analyzer import sparse
    from milvus_lite.index.sparse_factory import create_sparse_index, sparse_index_matches

    spec = collection._index_specs.get(vector_field)
    params = spec.build_params if spec else {}
    segments, deletes = collection._read_snapshot()
    indexes = []
    for seg in segments:
        table = seg.table
        if table is None or len(table) == 0:
            continue
        index = seg.sparse_indexes.get(vector_field)
        if not sparse_index_matches(index, "BM25", params):
            rows = table.column(vector_field).to_pylist()
            index = create_sparse_index("BM25", params)
            index.build([sparse.bytes_to_sparse(r) if isinstance(r, bytes) else (r or {}) for r in rows])
            seg.sparse_indexes[vector_field] = index
        if not isinstance(index, fast_index):
            return None
        indexes.append(index)
    live = [
        record.get(vector_field)
        for pk, seq, record in collection._memtable.active_record_snapshots()
        if not deletes.is_deleted(pk, seq)
    ]
    if live:
        memtable_index = fast_index(k1=1.5, b=0.75)  # k1/b do not enter the statistics
        memtable_index.build([sparse.bytes_to_sparse(r) if isinstance(r, bytes) else (r or {}) for r in live])
        indexes.append(memtable_index)
    return CorpusStats(indexes)


class _LazyDf:
    """`_df` view (term -> document frequency) for code that inspects the stock index's dict."""

    def __init__(self, index: Any) -> None:
        self._index = index

    def get(self, term: int, default: Any = None) -> Any:
        slot = self._index._slot.get(term)
        return default if slot is None else int(self._index._ends[slot] - self._index._starts[slot])

    def __getitem__(self, term: int) -> int:
        value = self.get(term)
        if value is None:
            raise KeyError(term)
        return value

    def __contains__(self, term: object) -> bool:
        return term in self._index._slot

    def __len__(self) -> int:
        return len(self._index._slot)


class _LazyPostings(_LazyDf):
    """`_posting_lists` view: term -> [(doc, tf), ...], built on demand."""

    def get(self, term: int, default: Any = None) -> Any:
        slot = self._index._slot.get(term)
        if slot is None:
            return default
        s, e = int(self._index._starts[slot]), int(self._index._ends[slot])
        return list(zip(self._index._post_docs[s:e].tolist(), self._index._post_tfs[s:e].tolist(), strict=True))


# ---- installing, and failing soft -----------------------------------------------------------------------------------

# Every private name of Lite that the patch reads, calls or replaces: (module, attribute path). An instance attribute
# (set in __init__) counts as present when some method of the class uses the name (see _has).
REQUIRED: tuple[tuple[str, str], ...] = (
    ("milvus_lite.analyzer.sparse", "bytes_to_sparse"),
    ("milvus_lite.analyzer.sparse", "sparse_to_bytes"),
    ("milvus_lite.analyzer.protocol", "term_to_id"),
    ("milvus_lite.index.sparse_common", "validate_mask"),
    ("milvus_lite.index.sparse_common", "empty_results"),
    ("milvus_lite.index.sparse_factory", "create_sparse_index"),
    ("milvus_lite.index.sparse_factory", "sparse_index_matches"),
    ("milvus_lite.index.sparse_inverted", "SparseInvertedIndex.k1"),
    ("milvus_lite.index.sparse_inverted", "SparseInvertedIndex.b"),
    ("milvus_lite.index.sparse_inverted", "SparseInvertedIndex.build"),
    ("milvus_lite.index.sparse_inverted", "SparseInvertedIndex.search"),
    ("milvus_lite.index.spec", "IndexSpec.build_params"),
    ("milvus_lite.engine.collection", "Collection._search_sparse"),
    ("milvus_lite.engine.collection", "Collection._read_snapshot"),
    ("milvus_lite.engine.collection", "Collection._index_specs"),
    ("milvus_lite.engine.collection", "Collection._memtable"),
    ("milvus_lite.storage.memtable", "MemTable.active_record_snapshots"),
    ("milvus_lite.storage.segment", "Segment.table"),
    ("milvus_lite.storage.segment", "Segment.sparse_indexes"),
    ("milvus_lite.storage.delta_index", "DeltaIndex.is_deleted"),
    ("milvus_lite.exceptions", "MilvusLiteError"),
)
# The wrapper reads these arguments of Collection._search_sparse by name (Lite passes them as keywords).
SEARCH_ARGUMENTS = ("vector_field", "metric_type")

_install_lock = threading.Lock()
_originals: list[tuple[Any, str, Any]] = []  # (owner, name, Lite's original) for everything install() replaced
_fast = False  # whether the replacements run the vectorised code; False once a call failed (they pass through)
_lite_errors: tuple[type[BaseException], ...] = ()  # Lite's own errors (bad filter, no collection): not ours


def _code_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _has(owner: Any, name: str) -> bool:
    """A module/class attribute, a dataclass field, or an instance attribute that some method of the class uses."""
    if hasattr(owner, name) or name in getattr(owner, "__dataclass_fields__", {}):
        return True
    if not isinstance(owner, type):
        return False
    for cls in owner.__mro__[:-1]:
        for value in vars(cls).values():
            code = getattr(value, "__code__", None)
            if code is not None and name in _code_names(code):
                return True
    return False


def incompatibility() -> str | None:
    """Why this process's Milvus Lite cannot take the patch (version, or a missing name), or None when it can."""
    import importlib
    import inspect

    try:
        import milvus_lite
    except ImportError as exc:
        return f"milvus_lite does not import: {exc}"
    version = str(getattr(milvus_lite, "__version__", "") or "")
    if not version.startswith(SUPPORTED_MAJOR):
        return f"milvus-lite {version or '(no version)'} not supported"
    for module_name, path in REQUIRED:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            return f"missing {module_name}"
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if not _has(owner, part):
                return f"missing {module_name}.{'.'.join(parts[: depth + 1])}"
            owner = getattr(owner, part, None)
    from milvus_lite.engine.collection import Collection

    parameters = inspect.signature(Collection._search_sparse).parameters
    for argument in SEARCH_ARGUMENTS:
        if argument not in parameters:
            return f"milvus_lite.engine.collection.Collection._search_sparse has no argument {argument!r}"
    return None


def _deactivate(why: str) -> None:
    """A replacement raised: put Lite's own functions back and stay on them for the rest of the process.

    The `_search_sparse` wrapper stays in place as a shim that drops the vectorised indexes cached on a collection's
    segments (Lite's own search would reuse them: they subclass its index), then runs Lite's method.
    """
    global _fast
    with _install_lock:
        if not _fast:
            return
        _fast = False
        kept = []
        for owner, name, original in reversed(_originals):
            if name == "_search_sparse":
                kept.append((owner, name, original))
            else:
                setattr(owner, name, original)
        _originals[:] = kept
    patches.fail(patches.MILVUS_LITE_BM25, why)


def _failure(what: str, exc: BaseException) -> str:
    return f"failed at call ({what}): {type(exc).__name__}: {exc}"


def guarded(what: str, fast: Any, original: Any) -> Any:
    """`fast` while the patch is on; if it raises, deactivate the patch and run `original` for this call."""

    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _fast:
            try:
                return fast(*args, **kwargs)
            except Exception as exc:
                _deactivate(_failure(what, exc))
        return original(*args, **kwargs)

    return call


def _drop_fast_indexes(collection: Any, fast_index: type) -> None:
    """Forget the vectorised indexes cached on `collection`'s segments, so Lite's own search builds its own."""
    try:
        segments, _deletes = collection._read_snapshot()
        for seg in segments:
            cached = seg.sparse_indexes
            for field, index in list(cached.items()):
                if isinstance(index, fast_index):
                    cached.pop(field, None)
    except Exception:  # Lite's own search reads the same names and reports whatever is wrong
        pass


def make_search_sparse(original: Any, fast_index: type) -> Any:
    """Wrap `Collection._search_sparse` so BM25 scores every segment with the collection-wide statistics.

    If anything here or in the vectorised index raises, this call runs Lite's own method (without the vectorised
    indexes) and the patch turns itself off. Lite's own errors (a bad filter, say) pass through unchanged.
    """
    import inspect

    signature = inspect.signature(original)

    @functools.wraps(original)
    def _search_sparse(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _fast:
            try:
                arguments = signature.bind(self, *args, **kwargs).arguments
                bm25 = arguments["metric_type"] == "BM25"
                stats = collection_bm25_stats(self, arguments["vector_field"], fast_index) if bm25 else None
            except Exception as exc:
                _deactivate(_failure("BM25 statistics", exc))
            else:
                if not bm25:
                    return original(self, *args, **kwargs)
                token = _corpus_stats.set(stats)
                try:
                    return original(self, *args, **kwargs)
                except _lite_errors:
                    raise
                except Exception as exc:
                    _deactivate(_failure("BM25 search", exc))
                finally:
                    _corpus_stats.reset(token)
        _drop_fast_indexes(self, fast_index)
        return original(self, *args, **kwargs)

    return _search_sparse


def _apply() -> str:
    """Replace Lite's functions (recording each original first); returns Lite's version."""
    global _lite_errors
    import milvus_lite
    from milvus_lite import exceptions
    from milvus_lite.analyzer import protocol, sparse
    from milvus_lite.engine import collection
    from milvus_lite.index import sparse_factory, sparse_inverted

    fast_index = make_fast_index_class(sparse_inverted.SparseInvertedIndex)
    stock_create = sparse_factory.create_sparse_index

    def create_sparse_index(metric_type: str, params: dict) -> Any:
        index = stock_create(metric_type, params)
        if type(index) is sparse_inverted.SparseInvertedIndex:
            return fast_index(k1=index.k1, b=index.b)
        return index

    replacements = (
        (sparse, "bytes_to_sparse", guarded("bytes_to_sparse", fast_bytes_to_sparse, sparse.bytes_to_sparse)),
        (sparse, "sparse_to_bytes", guarded("sparse_to_bytes", fast_sparse_to_bytes, sparse.sparse_to_bytes)),
        # Token -> term id is a pure function over a small vocabulary: memoise the per-byte Python FNV loop. Not
        # guarded: whatever it raises, Lite's own function raised (and a guard per token would cost half the gain).
        (protocol, "term_to_id", functools.lru_cache(maxsize=1 << 18)(protocol.term_to_id)),
        (
            sparse_factory,
            "create_sparse_index",
            guarded("create_sparse_index", create_sparse_index, sparse_factory.create_sparse_index),
        ),
        (
            collection.Collection,
            "_search_sparse",
            make_search_sparse(collection.Collection._search_sparse, fast_index),
        ),
    )
    _lite_errors = (exceptions.MilvusLiteError,)
    for owner, name, replacement in replacements:
        _originals.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)
    return str(milvus_lite.__version__)


def _restore() -> None:
    while _originals:
        owner, name, original = _originals.pop()
        setattr(owner, name, original)


def install() -> bool:
    """Patch this process's Milvus Lite (once); returns whether the speedups are active.

    Declines, and records why in engine.patches (a warning unless it was switched off on purpose), when disabled by
    TANSAKU_LITE_SPEEDUPS=0, when Lite's version or any name the patch uses differs, or when the patch failed earlier
    in this process.
    """
    global _fast
    name = patches.MILVUS_LITE_BM25
    with _install_lock:
        if _originals:
            return _fast
        if patches.failed(name):
            return False
        if os.environ.get("TANSAKU_LITE_SPEEDUPS", "1") == "0":
            patches.unused(name, "disabled by TANSAKU_LITE_SPEEDUPS=0")
            return False
        try:
            problem = incompatibility()
            version = "" if problem else _apply()
        except Exception as exc:
            _restore()
            problem = f"failed at install: {type(exc).__name__}: {exc}"
        if problem is None:
            _fast = True
            patches.activate(name, f"milvus-lite {version}: vectorised BM25 with collection-wide statistics")
            return True
    patches.fail(name, problem)
    return False


def uninstall() -> None:
    """Restore the stock functions and forget any failure (benchmarks compare both in one process; tests).

    Built indexes stay as they are.
    """
    global _fast
    with _install_lock:
        _restore()
        _fast = False
    patches.forget(patches.MILVUS_LITE_BM25)
