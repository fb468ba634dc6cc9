"""Japanese folder and file names, legacy Japanese encodings and NFD names through indexing, report, search and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from engine import ChangeBatch
from tests.integration.helpers import open_engine, tiny_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

MEMO = "# 会議メモ\n\n明日の会議は午後三時から第二会議室で行います。議題はベクトル検索の導入です。\n"
SPEC = "仕様書（第2版）\n\n本書はMilvusを使った検索システムの仕様を定めます。識別子は JAQ7 です。\n" + "".join(
    f"第{i}章では、インデックスの作成と検索の手順を説明します。\n" for i in range(1, 30)
)
MAIL = "件名：来週の予定\n\n皆様、来週の打ち合わせは水曜日に変更になりました。よろしくお願いします。\n"
# Identifiers stand apart with spaces: the BM25 analyzer reads a run of kana, kanji and Latin as one word (issue 15).
# (relative path, text, encoding): short and long files in the three legacy encodings, .md and .txt.
FILES = (
    ("会議メモ.md", MEMO, "euc_jp"),
    ("仕様書（第2版）.txt", SPEC, "cp932"),
    ("連絡/お知らせ.txt", MAIL, "iso2022_jp"),
    ("連絡/長いお知らせ.md", MAIL + SPEC.replace("JAQ7", "JAQ8"), "iso2022_jp"),
    ("短いメモ.txt", "打ち合わせは明日です。\n", "shift_jis"),
    ("長いメモ.md", MEMO + SPEC.replace("JAQ7", "JAQ9"), "euc_jp"),
)
NFD_NAME = unicodedata.normalize("NFD", "ガイド.md")  # as macOS hands out decomposed names: カ + ゛


def write_library(root: Path) -> Path:
    lib = root / "資料" / "議事録"
    for rel, text, encoding in FILES:
        path = lib / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
    (lib / NFD_NAME).write_text("# ガイド\n\nガイドの識別子は NFDQ3 です。\n", encoding="utf-8")
    return lib


def test_japanese_names_and_encodings_index_report_and_search(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path)
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models, chunk_tokens=96, chunk_overlap_tokens=16))
    try:
        library = engine.add_library(lib)
        report = engine.index_library(library)
        assert report.files_indexed == len(FILES) + 1 and report.files_failed == 0

        # The stored text is the original text, whatever the file's encoding.
        chunks = {}
        for chunk in engine.store().iter_chunks():
            chunks.setdefault(chunk.path, []).append(chunk)
        for rel, text, _ in FILES:
            stored = chunks[str(lib / rel)]
            assert all(text[c.char_start : c.char_end] == c.text for c in stored), rel
            covered = "".join(sorted({text[i] for c in stored for i in range(c.char_start, c.char_end)}))
            assert set(covered) >= set(text) - set(" \n"), rel

        rows = {Path(o.path).relative_to(lib).as_posix(): o for o in engine.report()}
        assert set(rows) == {rel for rel, _, _ in FILES} | {NFD_NAME}
        assert all(o.status == "indexed" and o.chunks > 0 for o in rows.values())

        hits = engine.search("JAQ7", mode="bm25", rerank=False, k=3)
        assert hits and Path(hits[0].chunk.path) == lib / "仕様書（第2版）.txt"
        assert Path(hits[0].chunk.path).is_file()

        # NFD: the stored path is the name as it is on disk (it opens), and the file is indexed once.
        (nfd_hit,) = engine.search("NFDQ3", mode="bm25", rerank=False, k=1)
        assert nfd_hit.chunk.path == str(lib / NFD_NAME) and Path(nfd_hit.chunk.path).is_file()
        assert engine.index_library(library).files_indexed == 0
        # A watcher (or the user) naming the file in composed form still means the same file: it is re-read once,
        # under its on-disk name, never added as a second file.
        (lib / NFD_NAME).write_text("# ガイド\n\n改訂版の識別子は NFDQ4 です。\n", encoding="utf-8")
        nfc_path = str(lib / unicodedata.normalize("NFC", NFD_NAME))
        again = engine.index_changes(ChangeBatch(library, (nfc_path,), False))
        assert again.files_indexed == 1 and again.files_removed == 0
        paths = [o.path for o in engine.report()]
        assert len(paths) == len(FILES) + 1 and str(lib / NFD_NAME) in paths
        (hit,) = engine.search("NFDQ4", mode="bm25", rerank=False, k=1)
        assert hit.chunk.path == str(lib / NFD_NAME)
    finally:
        engine.close()

    # The CLI: human output shows the names; --json is UTF-8 that parses back to the same paths.
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "engine.cli"]
    common = ["--data-dir", str(data), "--embed-model", str(tiny_models.embed_dir), "--device", "cpu"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run([*cmd, *args, *common], capture_output=True, cwd=ROOT, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        return proc

    report = json.loads(cli("report", "--json").stdout.decode("utf-8"))
    assert {Path(r["path"]).name for r in report} >= {"会議メモ.md", "仕様書（第2版）.txt", NFD_NAME}
    assert "仕様書（第2版）.txt" in cli("report").stdout.decode("utf-8")
    found = json.loads(cli("search", "JAQ7", "--json", "--mode", "bm25", "--no-rerank").stdout.decode("utf-8"))
    assert Path(found["hits"][0]["path"]) == lib / "仕様書（第2版）.txt"
    text = cli("search", "JAQ7", "--mode", "bm25", "--no-rerank").stdout.decode("utf-8")
    assert "資料/議事録/仕様書（第2版）.txt" in text and "識別子は JAQ7 です" in text
    status = json.loads(cli("status", "--json").stdout.decode("utf-8"))
    assert status["libraries"][0]["path"] == str(lib)


def test_folders_differing_only_in_normalisation_are_told_apart_by_identity(tmp_path: Path, tiny_models) -> None:
    # Linux keeps カ+゛ and ガ as two folders; macOS as one (then the second spelling names the same library).
    composed, decomposed = tmp_path / "ガイド", tmp_path / unicodedata.normalize("NFD", "ガイド")
    composed.mkdir()
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    try:
        first = engine.add_library(composed)
        assert engine.add_library(composed) == first
        decomposed.mkdir()
        assert engine.add_library(decomposed) == str(decomposed) != first
        assert len(engine.libraries()) == 2
    finally:
        engine.close()


def test_a_shift_jis_file_name_is_skipped_with_a_reason_not_a_crash(tmp_path: Path, tiny_models) -> None:
    # Unzipping a Windows archive on Linux leaves names in Shift_JIS bytes; Python reads them as lone surrogates,
    # which SQLite and Milvus refuse: one such file used to stop the whole run.
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "ok.md").write_text("# ok\n\nplain text ZZQ1 here\n", encoding="utf-8")
    folder = os.fsencode(lib) + b"/" + "資料".encode("cp932")
    os.mkdir(folder)
    with open(folder + b"/" + "会議.txt".encode("cp932"), "wb") as fh:
        fh.write("会議は ZZQ2 です。\n".encode("cp932"))
    engine = open_engine(tiny_config(tmp_path / "data", tiny_models))
    try:
        library = engine.add_library(lib)
        report = engine.index_library(library)
        assert (report.files_indexed, report.files_skipped, report.files_failed) == (1, 1, 0)
        (skipped,) = engine.report(statuses=["skipped"])
        assert skipped.path == str(lib) + "/\\x8e\\x91\\x97\\xbf/\\x89\\xef\\x8bc.txt"
        assert "not valid UTF-8" in skipped.reason
        again = engine.index_library(library)
        assert (again.files_indexed, again.files_unchanged, again.files_removed) == (0, 2, 0)
    finally:
        engine.close()
