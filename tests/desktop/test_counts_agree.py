"""Cancel half-way, re-index: the status bar, the library row, the report and `tansaku status/report` agree."""

from __future__ import annotations

import re

from desktop.widgets.library_panel import SUBTITLE_ROLE, tooltip
from desktop.widgets.report_dialog import ReportDialog
from engine import Engine
from engine.cli.commands import main as cli_main
from tests.desktop.helpers import wait_library_state, wait_ready


def test_cancel_then_reindex_counts_agree_everywhere(qtbot, make_window, engine_config, many_docs, capsys):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    libs = window.controller.libraries
    library = str(many_docs.resolve())
    notices: list[str] = []
    libs.notice.connect(notices.append)

    window.add_folders([library])
    # Cancel once every file's text is stored and some (not all) have their vectors: files left 'embedding'.
    qtbot.waitUntil(
        lambda: (p := libs._progress.get(library)) is not None and p.phase == "embedding" and p.chunks_done > 0,
        timeout=60_000,
    )
    libs.cancel()
    wait_library_state(qtbot, window, library, "incomplete", timeout=30_000)
    qtbot.waitUntil(lambda: (info := libs.info(library)) is not None and info.pending > 0, timeout=10_000)
    first = libs.info(library)
    assert first is not None and first.files == 120 and 0 < first.indexed < 120

    notices.clear()
    libs.index(library)
    wait_library_state(qtbot, window, library, "ready", timeout=120_000)
    qtbot.waitUntil(lambda: any("indexed" in n for n in notices), timeout=10_000)

    # status bar: this run's files + the files it did not need to touch = the library's files
    line = next(n for n in notices if "indexed" in n)
    indexed, unchanged = (int(x) for x in re.findall(r"(\d+) (?:indexed|unchanged)", line))
    assert indexed == first.pending and indexed + unchanged == 120, line

    # library row and its tooltip
    qtbot.waitUntil(lambda: (info := libs.info(library)) is not None and info.pending == 0, timeout=10_000)
    info = libs.info(library)
    assert info is not None and (info.files, info.indexed, info.pending) == (120, 120, 0)
    row = window.library_panel.list.item(0)
    assert "120 files" in row.data(SUBTITLE_ROLE)
    assert "120 indexed, 0 skipped, 0 failed, 0 pending" in tooltip(libs.views()[0])

    # report dialog: table and footer
    window.library_panel.report_requested.emit(library)
    dialog = next(d for d in window.findChildren(ReportDialog) if d.isVisible())
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 120, timeout=10_000)
    assert dialog.summary.text() == "120 indexed · 0 skipped · 0 failed · 0 pending"
    dialog.close()
    window.close()

    # the CLI, on the same data folder
    with Engine(engine_config) as engine:
        status = engine.status()
    lib = status["libraries"][0]
    assert (lib["files"], lib["indexed"], lib["pending"]) == (120, 120, 0)
    capsys.readouterr()
    cli_main(["report", "--data-dir", str(engine_config.data_dir), "--embed-model", str(engine_config.embed_model)])
    assert capsys.readouterr().out.strip().splitlines()[-1] == "120 indexed · 0 skipped · 0 failed · 0 pending"


def test_report_counts_files_still_owed_vectors_as_pending(qtbot):
    from engine import FileOutcome

    dialog = ReportDialog("/lib")
    qtbot.addWidget(dialog)
    dialog.set_outcomes(
        [
            FileOutcome("/lib/a.md", "/lib", "indexed", chunks=2),
            FileOutcome("/lib/b.md", "/lib", "embedding", chunks=3),
            FileOutcome("/lib/c.md", "/lib", "pending"),
        ]
    )
    assert dialog.summary.text() == "1 indexed · 0 skipped · 0 failed · 2 pending"
    dialog.set_status_filter("pending")
    assert dialog.model.rowCount() == 2
    assert {dialog.model.data(dialog.model.index(r, 1)) for r in range(2)} == {"pending"}
    assert "keyword search finds it" in dialog.model.data(dialog.model.index(0, 2))
