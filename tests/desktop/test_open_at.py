"""Opening a cited file at its page or line: the command lines for known viewers, and a real launch from the panel."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from desktop import open_at
from desktop.open_at import Location, command_for, line_of
from desktop.widgets.sources_panel import SourcesPanel, hit_location
from engine.types import Chunk, Hit


def found(name: str) -> str:
    return f"/usr/bin/{name}"


def test_default_pdf_viewer_gets_the_page() -> None:
    loc = Location("/docs/a b.pdf", page=7)
    assert command_for(loc, default_app=lambda _p: "org.gnome.Evince.desktop", which=found) == [
        "evince",
        "--page-index=7",
        "/docs/a b.pdf",
    ]
    assert command_for(loc, default_app=lambda _p: "okularApplication_pdf.desktop", which=found) == [
        "okular",
        "-p",
        "7",
        "/docs/a b.pdf",
    ]


def test_default_editor_gets_the_line_and_unknown_apps_get_nothing() -> None:
    loc = Location("/notes/n.md", line=42)
    assert command_for(loc, default_app=lambda _p: "code.desktop", which=found) == ["code", "-g", "/notes/n.md:42"]
    assert command_for(loc, default_app=lambda _p: "some-viewer.desktop", which=found) is None
    assert command_for(loc, default_app=lambda _p: "code.desktop", which=lambda _n: None) is None  # not installed
    assert command_for(Location("/notes/n.md"), default_app=lambda _p: "code.desktop", which=found) is None
    assert command_for(loc, default_app=lambda _p: None, which=found) is None


def test_template_overrides_detection() -> None:
    loc = Location("/docs/r.pdf", page=3)
    assert command_for(loc, template="okular -p {page} '{path}'") == ["okular", "-p", "3", "/docs/r.pdf"]
    assert command_for(Location("/n.txt"), template="ed +{line} {path}") == ["ed", "+1", "/n.txt"]


def test_line_of_finds_the_chunk_start(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    lines = [f"line {i} text" for i in range(1, 60)]
    path.write_text("\n".join(lines), encoding="utf-8")
    content = path.read_text(encoding="utf-8")
    start = content.index("line 37 text")
    assert line_of(str(path), start, "line 37 text\nline 38 text") == 37
    assert line_of(str(path), start + 3, "\n\nline 37 text") == 37  # offsets a little off: still found
    assert line_of(str(path), 0, "not in the file") is None
    assert line_of(str(tmp_path / "missing.md"), 0, "x") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="default-app lookup is xdg-mime, Linux only")
def test_open_button_starts_the_default_editor_at_the_line(qtbot, tmp_path: Path, monkeypatch) -> None:
    note = tmp_path / "notes.md"
    note.write_text("# Title\n\nintro\n\n## Lamp\n\nThe keeper lights the lamp.\n", encoding="utf-8")
    record = tmp_path / "args.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_editor = bin_dir / "code"
    fake_editor.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n', encoding="utf-8")
    fake_editor.chmod(fake_editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv(open_at.TEMPLATE_ENV, raising=False)
    monkeypatch.setattr(open_at, "xdg_default_app", lambda _path: "code.desktop")

    text = note.read_text(encoding="utf-8")
    start = text.index("## Lamp")
    chunk = Chunk(
        id="c1",
        library=str(tmp_path),
        path=str(note),
        chunk_no=1,
        text=text[start:],
        char_start=start,
        char_end=len(text),
    )
    hit = Hit(chunk)
    assert hit_location(hit) == Location(str(note), line=5)
    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.show_hits([hit], "lamp")
    panel.open_button.click()
    qtbot.waitUntil(record.exists, timeout=10_000)
    qtbot.waitUntil(lambda: record.read_text(encoding="utf-8").strip() != "", timeout=5_000)
    assert record.read_text(encoding="utf-8").split("\n")[:2] == ["-g", f"{note}:5"]
