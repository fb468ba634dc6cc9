"""Benchmark 4 "Scale": ChunkStore insert and search at N rows, tuned defaults against naive settings.

    python -m tests.perf.bench_store_scale --rows 100000
    python -m tests.perf.bench_store_scale --rows 20000 --dims 1024,256 --naive-rows 5000

Rows carry synthetic normalised vectors and real text: ~2,000-character windows (~500 tokens, one chunk) of the
Milvus docs in ../shared/data, cycled. Queries: 8-word phrases from the same docs (BM25) and random unit vectors
(dense); k=20 as the retriever asks. Configurations, all in this process on fresh Milvus Lite folders:

  naive        stock Milvus Lite, never flushed (rows stay in Lite's brute-force memtable); --naive-rows rows
  stock+flush  the store's flush policy, stock Lite BM25 code; same database as `tuned`
  tuned        the store's defaults: flush policy + vectorised Lite BM25 (engine/lite_patch.py)
  raw ...      the tuned database through pymilvus directly: HNSW ef and output fields priced separately

Background compaction and index builds are drained before timing (Lite runs them in this process), so the figures
measure searches, not the maintenance that follows a bulk load. The machine may be shared: read p50 before p95.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.search.fusion import fuse
from engine.store import lite_patch
from engine.store.chunk_store import ChunkStore
from engine.types import Chunk

DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en"
K = 20
WINDOW = 2000
BATCH = 64  # the indexer's order of magnitude: a few files' chunks per write


@dataclass
class Result:
    name: str
    rows: int
    dims: int
    insert_rate: float = 0.0
    cold_s: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: float = 0.0


def load_texts() -> list[str]:
    if not DOCS.is_dir():
        sys.exit(f"missing corpus: {DOCS}")
    texts: list[str] = []
    for path in sorted(DOCS.rglob("*.md")):
        body = path.read_text(encoding="utf-8", errors="replace")
        texts.extend(body[i : i + WINDOW] for i in range(0, len(body), WINDOW) if body[i : i + WINDOW].strip())
    return texts


def make_queries(texts: list[str], n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < n:
        words = [w for w in rng.choice(texts).split() if w.isalpha()]
        if len(words) >= 12:
            start = rng.randrange(len(words) - 8)
            queries.append(" ".join(words[start : start + 8]))
    return queries


def unit(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    v = rng.standard_normal((n, dims), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def lite_collection(store: ChunkStore):
    """The in-process Milvus Lite collection behind `store` (a benchmark may look inside)."""
    from milvus_lite.server_manager import server_manager_instance

    _server, db, _port = server_manager_instance._servers[store.uri]  # noqa: SLF001
    return db.get_collection(store.collection)


def drain(store: ChunkStore) -> None:
    """Wait for Lite's background compaction and index builds (each may queue another), then flush."""
    col = lite_collection(store)
    for _ in range(20):
        col._wait_for_bg()  # noqa: SLF001
        files = sum(len(col._manifest.get_data_files(p)) for p in col._manifest.list_partitions())  # noqa: SLF001
        col._schedule_bg_maintenance()  # noqa: SLF001 - compaction runs after flushes; give it a last chance
        col._wait_for_bg()  # noqa: SLF001
        if files == sum(len(col._manifest.get_data_files(p)) for p in col._manifest.list_partitions()):  # noqa: SLF001
            return


def forget_bm25_indexes(store: ChunkStore) -> None:
    """Drop Lite's cached per-segment BM25 indexes, so the next search builds them with the current code."""
    for seg in lite_collection(store)._segment_cache.values():  # noqa: SLF001
        seg.sparse_indexes.clear()


def fill(store: ChunkStore, texts: list[str], rows: int, dims: int, *, flush: bool) -> float:
    """Insert `rows` rows in indexer-sized batches, calling flush() after each as the indexer does; rows/s."""
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for b in range(0, rows, BATCH):
        n = min(BATCH, rows - b)
        chunks = [
            Chunk(
                id=f"r{b + i}",
                library=f"/lib{(b + i) % 3}",
                path=f"/lib{(b + i) % 3}/doc{(b + i) // 8}.md",
                chunk_no=(b + i) % 8,
                text=texts[(b + i) % len(texts)],
                char_start=0,
                char_end=WINDOW,
                headings=("Milvus", "Docs"),
            )
            for i in range(n)
        ]
        store.insert_chunks(chunks, unit(rng, n, dims))
        if flush:
            store.flush()
    if flush:
        store.flush(force=True)
    return rows / (time.perf_counter() - start)


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def cold_bm25(store: ChunkStore, query: str) -> float:
    t = time.perf_counter()
    store.search_bm25(query, K)
    return time.perf_counter() - t


def measure(store: ChunkStore, queries: list[str], dims: int, n: int, result: Result) -> None:
    qv = unit(np.random.default_rng(1), n, dims)
    result.timings["dense"] = timed(lambda i: store.search_dense(qv[i], K), n)
    result.timings["bm25"] = timed(lambda i: store.search_bm25(queries[i], K), n)
    result.timings["hybrid (dense+bm25+fuse)"] = timed(
        lambda i: fuse(store.search_dense(qv[i], K), store.search_bm25(queries[i], K), limit=K), n
    )


def measure_raw(store: ChunkStore, queries: list[str], dims: int, n: int, result: Result, *, ef: int, fields):
    """The same searches straight through pymilvus, to price search params and output fields."""
    client, name = store._require(), store.collection  # noqa: SLF001
    qv = unit(np.random.default_rng(1), n, dims)
    tag = f"raw ef={ef} fields={'id' if fields == ['id'] else 'all'}"

    def dense(i: int) -> object:
        return client.search(
            name,
            [qv[i].tolist()],
            anns_field="dense",
            limit=K,
            filter="embedded == true",
            output_fields=fields,
            search_params={"metric_type": "IP", "params": {"ef": ef}},
        )

    result.timings[f"{tag} dense"] = timed(dense, n)
    if ef == 64:
        result.timings[f"{tag} bm25"] = timed(
            lambda i: client.search(name, [queries[i]], anns_field="sparse", limit=K, output_fields=fields), n
        )


def run_naive(texts: list[str], queries: list[str], rows: int, dims: int, n: int, root: Path) -> Result:
    result = Result("naive: stock, no flush", rows, dims)
    with ChunkStore(str(root / "naive" / "milvus.db"), dims=dims, model_name="bench", flush_rows=0) as store:
        result.insert_rate = fill(store, texts, rows, dims, flush=False)
        drain(store)
        result.cold_s = cold_bm25(store, queries[-1])
        measure(store, queries, dims, n, result)
        result.rss_mb = rss_mb()
    return result


def run_tuned(texts: list[str], queries: list[str], rows: int, dims: int, args: argparse.Namespace, root: Path):
    """Insert once with the store's defaults, then search with the vectorised and (optionally) the stock BM25."""
    tuned = Result("tuned: store defaults", rows, dims)
    lite_patch.install()
    with ChunkStore(str(root / f"tuned{dims}" / "milvus.db"), dims=dims, model_name="bench") as store:
        tuned.insert_rate = fill(store, texts, rows, dims, flush=True)
        drain(store)
        tuned.cold_s = cold_bm25(store, queries[-1])
        measure(store, queries, dims, args.queries, tuned)
        if not args.no_raw:
            measure_raw(store, queries, dims, args.queries, tuned, ef=64, fields=["id"])
            measure_raw(store, queries, dims, args.queries, tuned, ef=256, fields=["id"])
        tuned.rss_mb = rss_mb()
        results = [tuned]
        if args.stock_queries:
            stock = Result("stock+flush: stock BM25", rows, dims, insert_rate=float("nan"))
            lite_patch.uninstall()
            forget_bm25_indexes(store)
            gc.collect()
            stock.cold_s = cold_bm25(store, queries[-1])
            measure(store, queries, dims, args.stock_queries, stock)
            stock.rss_mb = rss_mb()
            lite_patch.install()
            results.append(stock)
    return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(results: list[Result]) -> None:
    print()
    print(
        f"{'configuration':24} {'rows':>7} {'dims':>5} {'ins rows/s':>10} {'cold bm25 s':>11} {'RSS MB':>7}  "
        f"{'search':30} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for r in results:
        for i, (name, values) in enumerate(r.timings.items()):
            head = (
                f"{r.name:24} {r.rows:>7} {r.dims:>5} {r.insert_rate:>10.0f} {r.cold_s:>11.2f} {r.rss_mb:>7.0f}"
                if i == 0
                else " " * 69
            )
            p50, p95, top = pct(values, 0.5) * 1e3, pct(values, 0.95) * 1e3, max(values) * 1e3
            print(f"{head}  {name:30} {p50:>7.0f} {p95:>7.0f} {top:>7.0f}")
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--dims", default="1024", help="comma-separated dims for the tuned runs, e.g. 1024,256")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--stock-queries", type=int, default=20, help="queries with stock BM25 code (0: skip)")
    parser.add_argument("--naive-rows", type=int, default=10000, help="rows for the naive baseline (0: skip)")
    parser.add_argument("--naive-queries", type=int, default=5)
    parser.add_argument("--no-raw", action="store_true", help="skip the raw pymilvus ef/output-field variants")
    parser.add_argument("--dir", default=None, help="where to put the databases (default: a temp dir)")
    args = parser.parse_args(argv)

    texts = load_texts()
    queries = make_queries(texts, max(args.queries, args.naive_queries, args.stock_queries) + 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"corpus: {len(texts)} windows of {WINDOW} chars; k={K}; load average {load:.1f}", flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        dims_list = [int(d) for d in args.dims.split(",")]
        if args.naive_rows:
            lite_patch.uninstall()
            os.environ["TANSAKU_LITE_SPEEDUPS"] = "0"  # ChunkStore.open() installs them otherwise
            rows = min(args.naive_rows, args.rows)
            results.append(run_naive(texts, queries, rows, dims_list[0], args.naive_queries, root))
            os.environ.pop("TANSAKU_LITE_SPEEDUPS")
            report(results[-1:])
            gc.collect()
        for dims in dims_list:
            results.extend(run_tuned(texts, queries, args.rows, dims, args, root))
            report(results[-2:] if args.stock_queries else results[-1:])
            gc.collect()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"summary ({time.perf_counter() - started:.0f} s; load average now {load:.1f})")
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
