"""Watched folders: creates, edits, renames and deletes of files and folders reach the index within 10 s."""

from __future__ import annotations

import queue
import shutil
import time
from pathlib import Path

import pytest

from engine.ingest.watcher import ChangeBatch, FolderWatcher
from tests.integration.helpers import open_engine, snapshot, tiny_config, write_library


def _paths(engine) -> set[str]:
    return {Path(p).name for p, _t in snapshot(engine).values()}


def _follow(engine, batches: queue.Queue, until, timeout: float = 10.0) -> float:
    """Apply batches as the app's engine thread would, until the condition holds; returns seconds taken."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            engine.index_changes(batches.get(timeout=0.2))
        except queue.Empty:
            pass
        if until():
            return time.monotonic() - start
    raise AssertionError("the index did not follow the folder within 10 s")


@pytest.mark.slow
def test_index_follows_folder_changes(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=2)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    batches: queue.Queue[ChangeBatch] = queue.Queue()
    watcher = FolderWatcher(batches.put, debounce_s=0.3)
    try:
        engine.index_library(lib)
        watcher.watch(str(lib.resolve()))
        watcher.start()

        (lib / "new.md").write_text("# New\n\nA new note about quokkas.\n", encoding="utf-8")
        _follow(engine, batches, lambda: "new.md" in _paths(engine))

        (lib / "new.md").write_text("# New\n\nNow about wombats instead.\n", encoding="utf-8")
        _follow(engine, batches, lambda: any("wombats" in t for _p, t in snapshot(engine).values()))

        (lib / "new.md").rename(lib / "renamed.md")
        _follow(engine, batches, lambda: "renamed.md" in _paths(engine) and "new.md" not in _paths(engine))

        (lib / "doc_00.md").unlink()
        _follow(engine, batches, lambda: "doc_00.md" not in _paths(engine))

        sub = lib / "sub"
        sub.mkdir()
        (sub / "inner.md").write_text("# Inner\n\nNested folder text.\n", encoding="utf-8")
        _follow(engine, batches, lambda: "inner.md" in _paths(engine))

        sub.rename(lib / "moved")
        _follow(engine, batches, lambda: any(p.endswith("moved/inner.md") for p, _t in snapshot(engine).values()))

        shutil.rmtree(lib / "moved")
        _follow(engine, batches, lambda: "inner.md" not in _paths(engine))

        (lib / ".hidden.md").write_text("ignored", encoding="utf-8")
        time.sleep(1.0)
        assert batches.empty(), "changes to excluded files must not trigger indexing"
    finally:
        watcher.stop()
        engine.close()


def test_burst_becomes_one_rescan(tmp_path: Path) -> None:
    got: queue.Queue[ChangeBatch] = queue.Queue()
    watcher = FolderWatcher(got.put, debounce_s=0.5, max_paths=50)
    watcher.watch(str(tmp_path))
    watcher.start()
    try:
        for i in range(200):
            (tmp_path / f"f{i}.txt").write_text("x", encoding="utf-8")
        batch = got.get(timeout=10)
        assert batch.rescan and batch.library == str(tmp_path)
        time.sleep(1.0)
        assert got.qsize() <= 1
    finally:
        watcher.stop()
