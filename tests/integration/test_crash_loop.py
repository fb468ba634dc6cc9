"""Crash loop: kill -9 an indexing process at random points 20 times; a final run equals a clean index."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.helpers import cli_index_command, open_engine, snapshot, tiny_config, write_library
from tests.support.corpus import write_corpus

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


def _state(data: Path) -> tuple[int, int]:
    """(indexed, pending) rows in the manifest; (-1, -1) while it cannot be read."""
    try:
        db = sqlite3.connect(f"file:{data / 'manifest.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            rows = dict(db.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())
        finally:
            db.close()
    except sqlite3.Error:
        return -1, -1
    return rows.get("indexed", 0), rows.get("pending", 0)


def _kill_at_random_point(cmd: list[str], data: Path, rng: random.Random) -> bool:
    """Start indexing, wait until it is working, kill it after a random delay; False if it finished first."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start_state = _state(data)
    deadline = time.monotonic() + 120
    while proc.poll() is None and _state(data) == start_state and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.4))
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_twenty_kills_then_clean(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=400, paragraphs=6)
    write_corpus(lib / "formats")
    data = tmp_path / "data"
    cmd = cli_index_command(lib, data, tiny_models)
    rng = random.Random(20)
    killed = 0
    for _ in range(KILLS):
        if not _kill_at_random_point(cmd, data, rng):
            break
        killed += 1
    assert killed >= 10, f"only {killed} kills landed mid-run; make the library bigger"
    final = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr

    cli_defaults = dict(chunk_tokens=512, chunk_overlap_tokens=76, embed_batch_size=16)
    resumed = open_engine(tiny_config(data, tiny_models))
    clean = open_engine(tiny_config(tmp_path / "clean", tiny_models, **cli_defaults))
    try:
        clean.index_library(lib)
        got, want = snapshot(resumed), snapshot(clean)
        assert len(got) == len(want)
        assert got == want
        assert {o.status for o in resumed.report()} == {"indexed"}
    finally:
        resumed.close()
        clean.close()
