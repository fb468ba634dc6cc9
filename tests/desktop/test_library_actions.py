"""Library actions: the per-file report with filters and Retry, exclusions, re-index, remove with confirmation."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.widgets.excludes_dialog import ExcludesDialog
from desktop.widgets.report_dialog import OutcomeModel, ReportDialog
from engine import FileOutcome
from tests.desktop.helpers import wait_library_state, wait_ready


def _indexed(qtbot, make_window, engine_config, folder):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    window.add_folders([str(folder)])
    library = str(folder.resolve())
    wait_library_state(qtbot, window, library, "ready")
    return window, library


def test_report_filters_reasons_and_retry(qtbot, make_window, engine_config, docs):
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    (docs / "data.bin").write_bytes(bytes(range(256)) * 4)
    window, library = _indexed(qtbot, make_window, engine_config, docs)

    window.library_panel.report_requested.emit(library)
    dialog = next(d for d in window.findChildren(ReportDialog) if d.isVisible())
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 5, timeout=10_000)
    counts = dialog.model.counts()
    assert counts.indexed == 3 and counts.failed == 1 and counts.skipped == 1
    assert "3 indexed" in dialog.summary.text()

    dialog.set_status_filter("failed")
    assert dialog.model.rowCount() == 1
    failed = dialog.model.outcome(0)
    assert failed.path.endswith("broken.pdf") and failed.reason
    assert dialog.model.data(dialog.model.index(0, 0)) == "broken.pdf"
    dialog.set_status_filter("skipped")
    assert dialog.model.outcome(0).path.endswith("data.bin")
    dialog.set_status_filter(None)
    dialog.search.setText("bread")
    assert dialog.model.rowCount() == 1

    assert dialog.retry_button.isEnabled()
    runs = []
    window.controller.libraries.indexed.connect(lambda lib, report: runs.append(report))
    dialog.retry_button.click()
    qtbot.waitUntil(lambda: bool(runs), timeout=30_000)
    assert runs[0].files_failed == 1  # retried (and still broken)
    qtbot.waitUntil(lambda: dialog.model.counts().failed == 1, timeout=10_000)
    dialog.close()


def test_report_shows_what_was_repaired_in_an_indexed_file(qtbot):
    model = OutcomeModel()
    note = "10 stray NUL bytes removed"
    model.set_outcomes(
        "/lib",
        [
            FileOutcome("/lib/export.md", "/lib", "indexed", reason=note, chunks=3),
            FileOutcome("/lib/plain.md", "/lib", "indexed", chunks=1),
        ],
    )
    model.set_filter("indexed", "NUL bytes")
    assert model.rowCount() == 1
    assert [model.data(model.index(0, column)) for column in range(4)] == ["export.md", "indexed", note, 3]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) == f"/lib/export.md\n{note}"


def test_exclusions_are_saved_and_applied(qtbot, make_window, engine_config, docs):
    window, library = _indexed(qtbot, make_window, engine_config, docs)
    assert window.library_panel.view(library).info.files == 3

    dialog = window.edit_excludes(library)
    assert isinstance(dialog, ExcludesDialog)
    dialog.editor.setPlainText("# no plain text\n*.txt\n")
    dialog.accept()

    qtbot.waitUntil(lambda: window.controller.libraries.info(library).excludes == ("*.txt",), timeout=30_000)
    wait_library_state(qtbot, window, library, "ready")
    qtbot.waitUntil(lambda: window.library_panel.view(library).info.files == 2, timeout=30_000)


def test_reindex_and_remove_with_confirmation(qtbot, make_window, engine_config, docs):
    window, library = _indexed(qtbot, make_window, engine_config, docs)
    (docs / "new.md").write_text("# New\n\nA fresh note about harbours.\n", encoding="utf-8")
    window.library_panel.select(library)
    window.library_panel.reindex_button.click()
    qtbot.waitUntil(lambda: window.library_panel.view(library).info.files == 4, timeout=30_000)

    asked = []
    window.confirm = lambda title, text: asked.append(text) or False
    window.library_panel.remove_button.click()
    assert asked and library in asked[0]
    assert window.library_panel.view(library) is not None  # declined: nothing happens

    window.confirm = lambda title, text: True
    window.library_panel.remove_button.click()
    qtbot.waitUntil(lambda: window.library_panel.list.count() == 0, timeout=30_000)
    qtbot.waitUntil(lambda: "0 files" in window.index_label.text(), timeout=10_000)
    assert docs.is_dir() and (docs / "new.md").is_file()  # the files themselves are untouched
