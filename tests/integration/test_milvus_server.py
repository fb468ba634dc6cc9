"""ChunkStore over the network: a `milvus-lite server` process on 127.0.0.1, reached through an http:// URI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.store.chunk_store import ChunkStore, SearchFilters
from engine.types import Chunk

DIMS = 16
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"milvus-lite server exited early:\n{proc.stdout.read().decode(errors='replace')}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"milvus-lite server did not listen on {port} within {timeout_s:.0f} s")


@pytest.fixture
def server_uri(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    # `python -m milvus_lite.cmdline` is the `milvus-lite` console script without depending on PATH.
    cmd = [
        sys.executable,
        "-m",
        "milvus_lite.cmdline",
        "server",
        "--data-dir",
        str(tmp_path / "server-data"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(proc, port, READY_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_chunk_store_works_against_a_milvus_server(server_uri: str) -> None:
    texts = ["Vector databases index embeddings.", "Bananas are yellow fruit.", "Quokka_42 appears only here."]
    chunks = [
        Chunk(
            id=f"id-{i}",
            library="/lib",
            path=f"/lib/f{i}.{'md' if i else 'pdf'}",
            chunk_no=i,
            text=t,
            char_start=0,
            char_end=len(t),
            page=i + 1,
        )
        for i, t in enumerate(texts)
    ]
    vectors = np.random.default_rng(3).normal(size=(3, DIMS)).astype(np.float32)
    store = ChunkStore(server_uri, dims=DIMS, model_name="test/model")
    assert not store.is_lite
    with store:
        store.insert_chunks(chunks, vectors)
        store.flush()  # a no-op for servers, which seal segments themselves
        dense = store.search_dense(vectors[1], 2)
        assert dense[0].chunk == chunks[1] and dense[0].scores.dense == pytest.approx(1.0, abs=1e-4)
        bm25 = store.search_bm25("quokka_42", 3)
        assert [h.chunk.id for h in bm25] == ["id-2"] and bm25[0].scores.bm25 > 0
        md_only = store.search_dense(vectors[0], 3, filters=SearchFilters(file_types=("md",)))
        assert {h.chunk.id for h in md_only} == {"id-1", "id-2"}
        assert store.count("/lib") == 3
        assert store.delete_file("/lib/f2.md") == 1
        assert store.search_bm25("quokka_42", 3) == []
        assert sorted(c.id for c in store.iter_chunks()) == ["id-0", "id-1"]
    with ChunkStore(server_uri, dims=DIMS, model_name="test/model") as again:
        assert again.stored_model() == ("test/model", DIMS)
        assert again.count() == 2


@pytest.mark.slow
def test_cli_indexes_and_searches_through_store_uri(server_uri: str, tmp_path: Path, tiny_models) -> None:
    """`tansaku index/search --store http://…`: the code path a Milvus cluster or Zilliz Cloud uses."""
    import json

    from tests.integration.helpers import write_library
    from tests.integration.test_cli import run_cli

    lib = write_library(tmp_path / "lib", n_files=3)
    data = tmp_path / "data"
    run_cli(["index", str(lib), "--store", server_uri], data, tiny_models)
    out = run_cli(
        ["search", "ZX2Q3", "--json", "--mode", "bm25", "--no-rerank", "--store", server_uri], data, tiny_models
    )
    assert "ZX2Q3" in json.loads(out.stdout)["hits"][0]["text"]
    hybrid = json.loads(run_cli(["search", "ZX2Q3", "--json", "--store", server_uri], data, tiny_models).stdout)
    assert hybrid["hits"] and all(h["scores"]["rerank"] is not None for h in hybrid["hits"])
    assert not (data / "milvus.db").exists()  # nothing went to Milvus Lite
