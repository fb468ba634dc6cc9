"""Opening files with Japanese (and decomposed, NFD) names: the path reaches the viewer byte for byte."""

from __future__ import annotations

import os
import sys
import time
import unicodedata
from pathlib import Path

from desktop.open_at import Location, command_for, launch, line_of

NAMES = ("仕様書（第2版）.txt", unicodedata.normalize("NFD", "ガイド 資料.md"))


def test_template_keeps_a_japanese_path_as_one_argument() -> None:
    for name in NAMES:
        path = f"/資料/議事録/{name}"
        assert command_for(Location(path, line=3), template="code -g {path}:{line}") == ["code", "-g", f"{path}:3"]


def test_launcher_receives_japanese_and_nfd_paths_unchanged(tmp_path: Path) -> None:
    recorder = tmp_path / "record.py"
    recorder.write_text("import os, sys\nopen(sys.argv[1], 'wb').write(os.fsencode(sys.argv[2]))\n", encoding="utf-8")
    for i, name in enumerate(NAMES):
        target = tmp_path / "資料" / name
        target.parent.mkdir(exist_ok=True)
        target.write_text("本文です。\n", encoding="utf-8")
        out = tmp_path / f"argv{i}.bin"
        assert launch([sys.executable, str(recorder), str(out), str(target)])
        deadline = time.monotonic() + 60  # the viewer runs detached: wait for it to have written
        while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.read_bytes() == os.fsencode(str(target))
        assert Path(os.fsdecode(out.read_bytes())).is_file()


def test_line_of_reads_shift_jis_and_euc_jp_files(tmp_path: Path) -> None:
    text = "# 会議メモ\n\n一行目です。\n\n議題はベクトル検索の導入です。\n"
    for encoding in ("cp932", "euc_jp", "iso2022_jp"):
        path = tmp_path / f"会議メモ-{encoding}.md"
        path.write_bytes(text.encode(encoding))
        assert line_of(str(path), text.index("議題"), "議題はベクトル検索の導入です。") == 5
