"""The index heals itself: a lost manifest is rebuilt from the store, and manifest and store are made to agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine import Engine
from tests.integration.helpers import open_engine, snapshot, tiny_config, write_library


def _damage_manifest(data: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(data / "manifest.sqlite") + suffix).unlink(missing_ok=True)
    (data / "manifest.sqlite").write_bytes(b"not a database " * 500)


def _kinds(engine: Engine) -> dict[str, int]:
    return {r.kind: r.count for r in engine.repairs()}


def test_damaged_manifest_keeps_every_library_and_embeds_nothing_again(tmp_path: Path, tiny_models) -> None:
    libs = [write_library(tmp_path / name, n_files=3, paragraphs=2) for name in ("alpha", "beta", "gamma")]
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    for lib in libs:
        engine.index_library(lib)
    before = snapshot(engine)
    engine.close()
    _damage_manifest(data)

    engine = open_engine(tiny_config(data, tiny_models))
    try:
        assert sorted(info.path for info in engine.libraries()) == sorted(str(lib.resolve()) for lib in libs)
        assert all(info.files == 3 and info.indexed == 3 for info in engine.libraries())
        assert snapshot(engine) == before  # no library's chunks were deleted
        for i, lib in enumerate(libs):  # every library still answers, by keyword and by meaning
            hits = engine.search(f"ZX{i}Q1", mode="bm25", rerank=False, k=50)
            assert any(Path(h.chunk.path).parent == lib.resolve() for h in hits)
        assert engine.search("object storage", mode="dense", rerank=False, k=3)
        rebuilt = [r for r in engine.repairs() if r.kind == "manifest_rebuilt"]
        assert rebuilt and rebuilt[0].count == 9 and "damaged" in rebuilt[0].detail
        assert engine.status()["repairs"][0]["kind"] == "manifest_rebuilt"
        for lib in libs:
            report = engine.index_library(lib)
            assert (report.files_indexed, report.files_unchanged, report.chunks_embedded) == (0, 3, 0)
        assert snapshot(engine) == before
    finally:
        engine.close()


def test_files_deleted_while_the_manifest_was_lost_lose_their_chunks_on_open(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=4, paragraphs=2)
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(lib)
    engine.close()
    (data / "manifest.sqlite").unlink()  # gone altogether this time, not damaged
    for suffix in ("-wal", "-shm"):
        Path(str(data / "manifest.sqlite") + suffix).unlink(missing_ok=True)
    gone = [lib / "doc_01.md", lib / "doc_03.md"]
    for path in gone:
        path.unlink()

    engine = open_engine(tiny_config(data, tiny_models))
    try:
        paths = {path for path, _text in snapshot(engine).values()}
        assert paths == {str((lib / name).resolve()) for name in ("doc_00.md", "doc_02.md")}
        assert [(info.files, info.indexed) for info in engine.libraries()] == [(2, 2)]
    finally:
        engine.close()


def test_an_older_store_under_a_newer_manifest_is_repaired_to_a_clean_index(tmp_path: Path, tiny_models) -> None:
    """A stand-in for a power cut that lost the store's last writes: the store goes back, the manifest does not."""
    lib = write_library(tmp_path / "lib", n_files=5, paragraphs=3)
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(lib)
    engine.close()
    shutil.copytree(data / "milvus.db", tmp_path / "milvus-older.db")

    (lib / "doc_01.md").write_text("# Rewritten\n\nThe new text of doc one mentions QQ77 only.\n", encoding="utf-8")
    (lib / "doc_02.md").unlink()
    (lib / "doc_09.md").write_text("# Added later\n\nA new file about KK55 and segments.\n", encoding="utf-8")
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(lib)
    engine.close()
    shutil.rmtree(data / "milvus.db")
    shutil.copytree(tmp_path / "milvus-older.db", data / "milvus.db")

    engine = open_engine(tiny_config(data, tiny_models))
    try:
        repairs = _kinds(engine)
        assert repairs.get("orphans_removed") == 1  # doc_02, deleted since, was back in the older store
        assert repairs.get("files_to_reindex") == 2  # doc_01 (older text came back) and doc_09 (missing)
        stored_paths = {path for path, _text in snapshot(engine).values()}
        assert str((lib / "doc_02.md").resolve()) not in stored_paths
        report = engine.index_library(lib)
        assert report.files_indexed == 2 and report.files_unchanged == 3
        repaired = snapshot(engine)
    finally:
        engine.close()
    clean = open_engine(tiny_config(tmp_path / "clean", tiny_models))
    try:
        clean.index_library(lib)
        assert repaired == snapshot(clean)  # ids and texts, chunk for chunk
    finally:
        clean.close()


def test_a_clean_reopen_repairs_nothing_and_reads_no_library_in_full(tmp_path: Path, tiny_models, monkeypatch) -> None:
    lib = write_library(tmp_path / "lib", n_files=3, paragraphs=2)
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(lib)
    engine.close()
    from engine.store.chunk_store import ChunkStore

    def full_scan(self, library=None):
        raise AssertionError("a consistent library was read in full")

    monkeypatch.setattr(ChunkStore, "stored_files", full_scan)
    engine = open_engine(tiny_config(data, tiny_models))
    try:
        assert engine.repairs() == []
        assert engine.status()["repairs"] == []
    finally:
        engine.close()


def test_chunks_are_deleted_only_for_libraries_the_user_removed(tmp_path: Path, tiny_models) -> None:
    keep = write_library(tmp_path / "keep", n_files=2, paragraphs=2)
    removed = write_library(tmp_path / "removed", n_files=2, paragraphs=2)
    data = tmp_path / "data"
    engine = open_engine(tiny_config(data, tiny_models))
    engine.index_library(keep)
    engine.index_library(removed)
    removed_chunks = sum(Path(path).parent == removed.resolve() for path, _text in snapshot(engine).values())
    # Removed while this index was not the open one (another model was active): only the manifest knows.
    engine.manifest.remove_library(str(removed.resolve()))
    engine.close()

    engine = open_engine(tiny_config(data, tiny_models))
    try:
        assert removed_chunks and _kinds(engine) == {"removed_library_dropped": removed_chunks}
        paths = {Path(path).parent for path, _text in snapshot(engine).values()}
        assert paths == {keep.resolve()}
    finally:
        engine.close()


def test_status_says_what_was_repaired(tmp_path: Path, tiny_models) -> None:
    from tests.integration.test_cli import run_cli

    lib = write_library(tmp_path / "lib", n_files=2, paragraphs=2)
    data = tmp_path / "data"
    run_cli(["index", str(lib)], data, tiny_models)
    _damage_manifest(data)
    out = run_cli(["status", "--embed-model", str(tiny_models.embed_dir)], data, tiny_models)
    assert "Repaired:    the manifest was rebuilt from the store: 2 files recovered" in out.stdout
    assert str(lib.resolve()) in out.stdout
    again = run_cli(["status", "--json", "--embed-model", str(tiny_models.embed_dir)], data, tiny_models)
    assert json.loads(again.stdout)["repairs"] == []  # told once: the rebuilt manifest is whole now
