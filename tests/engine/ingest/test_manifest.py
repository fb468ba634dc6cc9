"""Manifest: per-file state survives reopening; a damaged file is set aside and rebuilt."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.manifest import Manifest
from engine.types import FileOutcome


def test_put_and_read_back(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "m.sqlite")
    m.add_library("/lib")
    m.put("c", FileOutcome("/lib/a.md", "/lib", "indexed", chunks=3, size=10, mtime_ns=5, sha256="x"))
    m.put("c", FileOutcome("/lib/b.bin", "/lib", "skipped", reason="binary file"))
    m.close()
    m = Manifest(tmp_path / "m.sqlite")
    files = m.files("c", "/lib")
    assert files["/lib/a.md"].chunks == 3 and files["/lib/a.md"].sha256 == "x"
    assert [o.path for o in m.outcomes("c", statuses=["skipped"])] == ["/lib/b.bin"]
    info = m.library_infos("c")[0]
    assert (info.files, info.chunks, info.indexed, info.skipped) == (2, 3, 1, 1)
    assert m.files("other") == {}


def test_remove_library_forgets_its_files(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "m.sqlite")
    m.add_library("/lib")
    m.put("c", FileOutcome("/lib/a.md", "/lib", "indexed", chunks=1))
    m.remove_library("/lib")
    assert m.library_paths() == [] and m.files("c") == {}


def test_excludes_round_trip(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "m.sqlite")
    m.add_library("/lib")
    m.set_excludes("/lib", ["*.log", "build/"])
    assert m.get_excludes("/lib") == ("*.log", "build/")


def test_damaged_manifest_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    m = Manifest(path)
    assert m.rebuilt_from is not None and m.rebuilt_from.exists()
    m.add_library("/lib")
    assert m.library_paths() == ["/lib"]
