"""Hostile inputs end to end: every file gets an outcome with a reason, every good file is indexed, nothing hangs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import StoreError, StoreLockedError
from tests.integration.helpers import open_engine, snapshot, tiny_config
from tests.support.corpus import HOSTILE_EXPECTED, HOSTILE_NOTES, write_corpus, write_hostile_corpus

STATUS_FOR = {"ok": "indexed", "skip": "skipped", "error": "failed"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_hostile_corpus_end_to_end(tmp_path: Path, tiny_models) -> None:
    lib = tmp_path / "lib"
    good = write_corpus(lib / "good")
    hostile = write_hostile_corpus(lib / "hostile", huge_bytes=3 * 1024 * 1024)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models, max_file_bytes=2 * 1024 * 1024))
    try:
        report = engine.index_library(lib)
        assert not report.cancelled
        outcomes = {o.path: o for o in engine.report()}
        for key, path in hostile.items():
            kind, words = HOSTILE_EXPECTED[key]
            if key == "directory":
                continue  # a folder named *.md is walked as a folder, not a file
            if key == "no_permission" and os.geteuid() == 0:
                continue  # root reads it anyway; the loader test covers the reason
            outcome = outcomes[str(path)]
            assert outcome.status == STATUS_FOR[kind], (key, outcome)
            if kind != "ok":
                assert any(w.lower() in outcome.reason.lower() for w in words), (key, outcome.reason)
            elif key in HOSTILE_NOTES:  # read in spite of a defect: the report says which
                assert HOSTILE_NOTES[key] in outcome.reason, (key, outcome.reason)
            else:
                assert outcome.reason == "", (key, outcome.reason)
        for key, path in good.items():
            assert outcomes[str(path)].status == "indexed", (key, outcomes[str(path)])
        stored = {p for p, _t in snapshot(engine).values()}
        assert {str(p) for p in good.values()} <= stored
        assert str(hostile["newline_name"]) in stored and str(hostile["unicode_name"]) in stored
        # A second run changes nothing and embeds nothing.
        assert engine.index_library(lib).chunks_embedded == 0
    finally:
        engine.close()


def test_recoverable_files_are_indexed_and_the_report_says_what_was_repaired(tmp_path: Path, tiny_models) -> None:
    """Stray NULs and pathological HTML nesting: indexed, searchable, and the reason names the repair."""
    import random
    import zipfile

    from engine.cli.format import outcome_json, outcome_text
    from engine.ingest.loaders.htmlpage import FLATTENED
    from tests.support.corpus import STRAY_NULS_MARKDOWN, with_stray_nuls

    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "export.md").write_bytes(with_stray_nuls(STRAY_NULS_MARKDOWN, 10, random.Random(5)))
    (lib / "deep.html").write_text(
        "<div>" * 5000 + "<h2>Deep heading</h2><p>Plain to see recoverdeep words.</p>", encoding="utf-8"
    )
    (lib / "plain.md").write_text("# Plain\n\nNothing wrong with recoverplain.\n", encoding="utf-8")
    (lib / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(6).randbytes(4096))
    (lib / "nul30.md").write_bytes(bytes(b if i % 10 >= 3 else 0 for i, b in enumerate(b"Some words here. " * 200)))
    with zipfile.ZipFile(lib / "stored.txt", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("inside.txt", "Readable words inside a stored zip member. " * 100)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    try:
        report = engine.index_library(lib)
        assert (report.files_indexed, report.files_skipped, report.files_failed) == (3, 3, 0)
        outcomes = {Path(o.path).name: o for o in engine.report()}
        nuls, deep = outcomes["export.md"], outcomes["deep.html"]
        assert (nuls.status, nuls.reason) == ("indexed", "10 stray NUL bytes removed") and nuls.chunks > 0
        assert (deep.status, deep.reason) == ("indexed", FLATTENED) and deep.chunks > 0
        assert (outcomes["plain.md"].status, outcomes["plain.md"].reason) == ("indexed", "")
        for name in ("picture.txt", "nul30.md", "stored.txt"):
            assert (outcomes[name].status, outcomes[name].reason) == ("skipped", "binary file (not text)"), name
        stored = snapshot(engine)
        assert "".join(t for p, t in stored.values() if p == nuls.path).count("\x00") == 0
        for marker, path in (("hostilenuls", nuls.path), ("recoverdeep", deep.path)):
            hits = engine.search(marker, mode="bm25", rerank=False, k=3)
            assert hits and hits[0].chunk.path == path and marker in hits[0].chunk.text
        # `tansaku report` shows an indexed file's reason, in text and in --json (same keys as before).
        assert outcome_text(nuls).endswith("export.md  (10 stray NUL bytes removed)")
        assert outcome_json(deep)["reason"] == FLATTENED
        assert {o.reason for o in engine.report(statuses=["indexed"])} == {"", nuls.reason, deep.reason}
        # Nothing changed: the next run reads nothing again, and the notes stay in the report.
        assert engine.index_library(lib).files_unchanged == 6
        assert {Path(o.path).name: o.reason for o in engine.report()} == {n: o.reason for n, o in outcomes.items()}
    finally:
        engine.close()


def test_second_instance_is_refused(tmp_path: Path, tiny_models) -> None:
    first = open_engine(tiny_config(tmp_path / "data", tiny_models))
    try:
        with pytest.raises(StoreLockedError, match="Another Tansaku process"):
            open_engine(tiny_config(tmp_path / "data", tiny_models))
    finally:
        first.close()
    open_engine(tiny_config(tmp_path / "data", tiny_models)).close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_data_dir_gives_clear_error(tmp_path: Path, tiny_models) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o500)
    try:
        with pytest.raises(StoreError):
            open_engine(tiny_config(data, tiny_models))
    finally:
        data.chmod(0o700)


def test_unwritable_data_dir_gives_clear_error(tmp_path: Path, tiny_models) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Cannot create the data folder"):
        open_engine(tiny_config(blocker / "data", tiny_models))


@pytest.mark.slow
def test_store_failure_mid_index_leaves_repairable_state(tmp_path: Path, tiny_models, monkeypatch) -> None:
    """A full disk during insert: the run fails with a StoreError, and the next run repairs the store exactly."""
    from tests.integration.helpers import write_library

    lib = write_library(tmp_path / "lib", n_files=10, paragraphs=10)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    try:
        store = engine.store()
        real_insert = store.insert_chunks
        calls = {"n": 0}

        def failing_insert(chunks, vectors):
            calls["n"] += 1
            if calls["n"] == 2:
                raise StoreError("No space left on device")
            return real_insert(chunks, vectors)

        monkeypatch.setattr(store, "insert_chunks", failing_insert)
        with pytest.raises(StoreError, match="No space"):
            engine.index_library(lib)
        assert any(o.status == "pending" for o in engine.report())
        monkeypatch.setattr(store, "insert_chunks", real_insert)
        engine.index_library(lib)
        assert all(o.status == "indexed" for o in engine.report())
        clean = open_engine(tiny_config(tmp_path / "clean", tiny_models))
        try:
            clean.index_library(lib)
            assert snapshot(engine) == snapshot(clean)
        finally:
            clean.close()
    finally:
        engine.close()


def test_damaged_manifest_is_rebuilt_and_reindexed(tmp_path: Path, tiny_models) -> None:
    from tests.integration.helpers import write_library

    lib = write_library(tmp_path / "lib", n_files=2)
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(lib)
    before = snapshot(engine)
    engine.close()
    for suffix in ("-wal", "-shm"):
        Path(str(data / "manifest.sqlite") + suffix).unlink(missing_ok=True)
    (data / "manifest.sqlite").write_bytes(b"garbage" * 1000)
    engine = open_engine(tiny_config(data, tiny_models))
    try:
        assert engine.manifest.rebuilt_from is not None
        report = engine.index_library(lib)
        # Recovered from the store: each file is read and hashed once, nothing is embedded again.
        assert (report.files_indexed, report.files_unchanged, report.chunks_embedded) == (0, 2, 0)
        assert snapshot(engine) == before
    finally:
        engine.close()


@pytest.mark.slow
def test_200_mb_file_is_skipped_by_the_default_cap(tmp_path: Path, tiny_models) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "note.md").write_text("# Note\n\nSmall and fine.\n", encoding="utf-8")
    with (lib / "huge.txt").open("wb") as handle:  # sparse: 200 MB on paper, no time to write
        handle.truncate(200 * 1024 * 1024)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))  # default max_file_bytes: 100 MB
    try:
        engine.index_library(lib)
        outcomes = {Path(o.path).name: o for o in engine.report()}
        assert outcomes["huge.txt"].status == "skipped" and "larger than" in outcomes["huge.txt"].reason
        assert outcomes["note.md"].status == "indexed"
    finally:
        engine.close()


@pytest.mark.slow
def test_files_and_folder_removed_mid_index(tmp_path: Path, tiny_models) -> None:
    """Files deleted and a folder removed while the run reads them: no crash, and the index ends up clean."""
    import shutil

    from tests.integration.helpers import write_library

    lib = tmp_path / "lib"
    write_library(lib / "a_first", n_files=6)
    write_library(lib / "z_later", n_files=6)
    edited = lib / "a_first" / "doc_05.md"
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    done = {"removed": False}

    def on_progress(p) -> None:
        if p.phase == "storing" and not done["removed"]:
            done["removed"] = True
            shutil.rmtree(lib / "z_later")
            edited.write_text("# Edited while read\n\nNew words here.\n", encoding="utf-8")

    try:
        engine.index_library(lib, on_progress=on_progress)
        assert done["removed"]
        engine.index_library(lib)
        clean = open_engine(tiny_config(tmp_path / "clean", tiny_models))
        try:
            clean.index_library(lib)
            assert snapshot(engine) == snapshot(clean)
            assert not any("z_later" in o.path for o in engine.report())
        finally:
            clean.close()
    finally:
        engine.close()
