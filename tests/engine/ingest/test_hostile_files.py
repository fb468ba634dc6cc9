"""Hostile files: each is skipped or fails with a clear reason, quickly, and good files beside them still load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import LoaderError, SkipFile
from engine.ingest.loaders import load_document
from engine.ingest.loaders.zipguard import MAX_UNPACKED_BYTES
from tests.support.corpus import EXPECTED, HOSTILE_EXPECTED, HOSTILE_NOTES, write_corpus, write_hostile_corpus

pytestmark = pytest.mark.timeout(60)

MAX_BYTES = 2 * 1024 * 1024  # above the zip bomb's packed size, below the huge file
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def hostile(folder: Path) -> dict[str, Path]:
    return write_hostile_corpus(folder, huge_bytes=3 * 1024 * 1024)


@pytest.fixture(scope="module")
def good(folder: Path, hostile: dict[str, Path]) -> dict[str, Path]:
    return write_corpus(folder)


def outcome(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """("ok", text) / ("skip", reason) / ("error", reason); any other exception fails the test."""
    try:
        return "ok", load_document(path, max_bytes=max_bytes).text
    except SkipFile as exc:
        return "skip", str(exc)
    except LoaderError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("key", sorted(HOSTILE_EXPECTED))
def test_hostile_file_gets_the_expected_outcome(hostile: dict[str, Path], key: str) -> None:
    if key not in hostile:
        pytest.skip(f"{key} cannot be made on this platform")
    expected_status, words = HOSTILE_EXPECTED[key]
    if key == "no_permission" and RUNNING_AS_ROOT:
        # root reads a mode-000 file anyway; all we can check honestly is that it loads.
        assert outcome(hostile[key]) == ("ok", "Secret text hostilesecret.\n")
        pytest.skip("running as root: file permissions do not block reads")
    status, detail = outcome(hostile[key])
    assert status == expected_status, detail
    for word in words:
        assert word in detail


@pytest.mark.parametrize("key", sorted(k for k, (status, _) in HOSTILE_EXPECTED.items() if status == "ok"))
def test_hostile_files_read_in_spite_of_a_defect_say_so(hostile: dict[str, Path], key: str) -> None:
    if key == "no_permission" and RUNNING_AS_ROOT:
        pytest.skip("only root reads it")
    notes = load_document(hostile[key], max_bytes=MAX_BYTES).notes
    if key in HOSTILE_NOTES:
        assert len(notes) == 1 and HOSTILE_NOTES[key] in notes[0]
    else:
        assert notes == ()


def test_zip_bomb_is_refused_at_the_default_cap_too(hostile: dict[str, Path]) -> None:
    bomb = hostile["zip_bomb_docx"]
    assert bomb.stat().st_size < 2 * 1024 * 1024
    status, reason = outcome(bomb, max_bytes=100 * 1024 * 1024)
    assert status == "error"
    assert "zip bomb" in reason and f"limit {MAX_UNPACKED_BYTES // 1024**2} MB" in reason


def test_huge_file_is_refused_by_size_not_read(hostile: dict[str, Path]) -> None:
    status, reason = outcome(hostile["huge"])
    assert (status, reason) == ("skip", "larger than the 2 MB limit (3 MB)")


def test_good_files_in_the_same_folder_still_load(good: dict[str, Path], hostile: dict[str, Path]) -> None:
    for key, path in good.items():
        status, text = outcome(path)
        assert status == "ok", f"{key}: {text}"
        for marker, _, _ in EXPECTED[key]:
            assert marker in text


def test_walking_the_whole_folder_raises_nothing_else(folder: Path, good: dict[str, Path]) -> None:
    statuses = {"ok": 0, "skip": 0, "error": 0}
    for path in sorted(folder.iterdir()):
        status, _ = outcome(path)
        statuses[status] += 1
    assert statuses["ok"] >= len(good)
    assert statuses["skip"] >= 6 and statuses["error"] >= 6


def test_read_failures_map_to_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission and vanishing races are simulated at open(): root cannot be denied, and races are timing-bound."""
    path = tmp_path / "note.txt"
    path.write_text("some text", encoding="utf-8")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    def vanished(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr("engine.ingest.loaders.fileio.open", denied, raising=False)
    assert outcome(path) == ("error", "permission denied")
    monkeypatch.setattr("engine.ingest.loaders.fileio.open", vanished, raising=False)
    assert outcome(path) == ("error", "file vanished before it could be read")
