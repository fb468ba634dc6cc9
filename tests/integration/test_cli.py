"""The CLI contract: index / status --json / report --json / search --json (stdin batch) / remove, and crash repair."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.helpers import cli_index_command, open_engine, snapshot, tiny_config, write_library

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], data_dir: Path, tiny, stdin: str | None = None, check: bool = True):
    cmd = [sys.executable, "-m", "engine.cli", *args, "--data-dir", str(data_dir)]
    if args[0] in ("index", "search", "ask"):
        cmd += ["--embed-model", str(tiny.embed_dir), "--device", "cpu"]
    if args[0] in ("search", "ask"):
        cmd += ["--rerank-model", str(tiny.rerank_dir)]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_cli_contract(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=4)
    (lib / "blob.txt").write_bytes(bytes(range(256)) * 40)
    data = tmp_path / "data"
    out = run_cli(["index", str(lib)], data, tiny_models)
    assert "4 indexed" in out.stdout and "1 skipped" in out.stdout

    status = json.loads(run_cli(["status", "--json"], data, tiny_models).stdout)
    assert status["files"] == 5 and isinstance(status["chunks"], int) and status["chunks"] > 0
    assert status["libraries"][0]["path"] == str(lib.resolve())
    assert status["model"] == str(tiny_models.embed_dir)  # recorded: status needs no --embed-model
    assert status["patches"]["milvus_lite_bm25"]["active"] is True  # tried by status itself
    assert set(status["patches"]) == {"milvus_lite_bm25", "cpu_bf16_detection", "cpu_int8", "cpu_attention"}
    assert all(set(p) == {"active", "why"} and p["why"] for p in status["patches"].values())
    assert "Patches off" not in run_cli(["status"], data, tiny_models).stdout

    report = json.loads(run_cli(["report", "--json"], data, tiny_models).stdout)
    assert {r["status"] for r in report} == {"indexed", "skipped"}
    assert all(Path(r["path"]).is_absolute() and {"reason", "chunks"} <= r.keys() for r in report)
    skipped = json.loads(run_cli(["report", "--json", "--skipped"], data, tiny_models).stdout)
    assert [Path(r["path"]).name for r in skipped] == ["blob.txt"] and "binary" in skipped[0]["reason"]

    questions = "ZX1Q2\nobject storage\nZX3Q0\n"
    lines = run_cli(["search", "-", "--json", "-k", "3"], data, tiny_models, stdin=questions).stdout.splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["question"] for r in results] == ["ZX1Q2", "object storage", "ZX3Q0"]
    for r in results:
        assert r["reranked"] is True  # the tiny reranker is given
        assert r["hits"] and {"path", "page", "heading", "text", "scores"} <= r["hits"][0].keys()
        assert Path(r["hits"][0]["path"]).is_absolute()
    bm25 = json.loads(run_cli(["search", "ZX1Q2", "--json", "--mode", "bm25", "--no-rerank"], data, tiny_models).stdout)
    assert "ZX1Q2" in bm25["hits"][0]["text"]

    run_cli(["remove", str(lib)], data, tiny_models)
    status = json.loads(run_cli(["status", "--json"], data, tiny_models).stdout)
    assert status["files"] == 0 and status["libraries"] == []


@pytest.mark.slow
def test_search_and_ask_without_the_reranker_rank_by_fusion_with_one_note(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=3)
    data = tmp_path / "data"
    run_cli(["index", str(lib)], data, tiny_models)
    # The default reranker (a Hugging Face id) is not in this fresh data folder's model cache, and the hub is offline.
    base = [sys.executable, "-m", "engine.cli"]
    models = ["--data-dir", str(data), "--embed-model", str(tiny_models.embed_dir), "--device", "cpu"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*base, *args, *models], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        return proc

    out = cli("search", "-", "--json", "-k", "3", stdin="ZX1Q2\nobject storage\n")
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["reranked"] for r in results] == [False, False]
    assert "ZX1Q2" in results[0]["hits"][0]["text"] and all(r["hits"] for r in results)
    assert all(h["scores"]["rerank"] is None and h["scores"]["fused"] is not None for r in results for h in r["hits"])
    # Only the note's line: transformers' "Loading weights" bars on stderr are issue 14's other item.
    note = [line for line in out.stderr.splitlines() if "rerank" in line]
    assert len(note) == 1, out.stderr
    assert "reranker not available" in note[0] and "ranked by keyword + meaning" in note[0]
    assert "Qwen/Qwen3-Reranker-0.6B" in note[0] and "--no-rerank" in note[0]

    text = cli("search", "ZX2Q1", "--mode", "bm25")
    assert "ZX2Q1" in text.stdout and text.stderr.count("ranked by keyword;") == 1
    assert "rerank" not in cli("search", "ZX2Q1", "--no-rerank").stderr
    dry = cli("ask", "Where is ZX0Q3?", "--dry-run", "--json")
    assert "ZX0Q3" in json.dumps(json.loads(dry.stdout)["messages"])
    assert dry.stderr.count("reranker not available") == 1


def test_status_names_patches_that_are_off(tmp_path: Path, tiny_models, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANSAKU_LITE_SPEEDUPS", "0")
    data = tmp_path / "data"
    status = json.loads(run_cli(["status", "--json"], data, tiny_models).stdout)
    off = {"active": False, "why": "disabled by TANSAKU_LITE_SPEEDUPS=0"}
    assert status["patches"]["milvus_lite_bm25"] == off
    assert status["files"] == 0 and status["libraries"] == []  # the other keys are as they were
    text = run_cli(["status"], data, tiny_models).stdout
    assert "Patches off: milvus_lite_bm25 (disabled by TANSAKU_LITE_SPEEDUPS=0)" in text.splitlines()


def _indexed_rows(data_dir: Path) -> int:
    path = data_dir / "manifest.sqlite"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM files WHERE status = 'indexed'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_mid_index_then_rerun_equals_clean_index(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=40, paragraphs=10)
    data = tmp_path / "data"
    cmd = cli_index_command(lib, data, tiny_models)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _indexed_rows(data) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "indexing finished before it could be killed; make the library bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _indexed_rows(data) < 40

    run_cli(["index", str(lib)], data, tiny_models)
    resumed = open_engine(tiny_config(data, tiny_models))
    cli_defaults = dict(chunk_tokens=512, chunk_overlap_tokens=76, embed_batch_size=16)
    clean = open_engine(tiny_config(tmp_path / "clean", tiny_models, **cli_defaults))
    try:
        clean.index_library(lib)
        assert snapshot(resumed) == snapshot(clean)
    finally:
        resumed.close()
        clean.close()
