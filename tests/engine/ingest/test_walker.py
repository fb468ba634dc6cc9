"""Walker: default and library exclusions, symlink loops."""

from __future__ import annotations

import os
from pathlib import Path

from engine.ingest.walker import is_excluded, walk_files


def _touch(root: Path, rel: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("x")


def test_defaults_and_patterns(tmp_path: Path) -> None:
    for rel in [
        "a.md",
        "docs/b.md",
        ".git/config",
        "node_modules/x/y.js",
        "src/__pycache__/m.pyc",
        ".hidden.md",
        "~$report.docx",
        "notes.md~",
        "build/out.txt",
        "keep/build.md",
    ]:
        _touch(tmp_path, rel)
    found = {p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, ["build/"])}
    assert found == {"a.md", "docs/b.md", "keep/build.md"}
    assert is_excluded(tmp_path, tmp_path / "node_modules" / "x" / "y.js")
    assert not is_excluded(tmp_path, tmp_path / "docs" / "b.md")


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    _touch(tmp_path, "d/a.md")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    found = [p.name for p in walk_files(tmp_path)]
    assert found == ["a.md"]
