"""Dropping folders on the window: libraries appear, index on the engine thread with progress, and become Ready."""

from __future__ import annotations

from PySide6.QtCore import QThread

from desktop.widgets.library_panel import SUBTITLE_ROLE
from engine.engine import Engine
from tests.desktop.helpers import drop_file_refused, drop_folders, wait_library_state, wait_ready


def test_drop_folder_indexes_on_engine_thread(qtbot, make_window, engine_config, docs, monkeypatch):
    threads: list[str] = []
    original = Engine.index_library

    def recording_index(self, *args, **kwargs):
        threads.append(QThread.currentThread().objectName())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "index_library", recording_index)
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    progress_views = []
    window.controller.libraries.progress_changed.connect(progress_views.append)

    drop = drop_folders(window, [docs])
    assert drop.isAccepted()
    library = str(docs.resolve())
    wait_library_state(qtbot, window, library, "ready")

    assert threads == ["tansaku-engine"]
    shown = [v for v in progress_views if v is not None and v.progress is not None]
    assert shown and shown[-1].progress.files_total == 3
    assert progress_views[-1] is None  # the panel hides when the job ends
    assert not window.progress_panel.isVisible()
    view = window.library_panel.view(library)
    assert view.info.files == 3 and view.info.chunks >= 3
    row = window.library_panel.list.item(0)
    assert row.text() == "docs"
    assert row.data(SUBTITLE_ROLE).startswith("Ready · 3 files")
    qtbot.waitUntil(lambda: "3 files" in window.index_label.text())
    assert window.windowTitle().startswith("Tansaku")


def test_drop_many_folders_and_ignore_files(qtbot, make_window, engine_config, docs, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nThe harbour master counts the boats.\n", encoding="utf-8")
    window = make_window(engine_config)
    wait_ready(qtbot, window)

    drop_folders(window, [docs, other])
    for folder in (docs, other):
        wait_library_state(qtbot, window, str(folder.resolve()), "ready")
    assert window.library_panel.list.count() == 2

    # A plain file is not a library: the drag is refused.
    assert drop_file_refused(window, other / "note.md")


def test_progress_panel_shows_counts_pause_resume_and_cancel(qtbot, make_window, engine_config, many_docs):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    libs = window.controller.libraries
    window.add_folders([str(many_docs)])
    library = str(many_docs.resolve())
    qtbot.waitUntil(lambda: window.progress_panel.isVisible(), timeout=10_000)

    window.progress_panel.pause_button.click()
    assert libs.paused
    wait_library_state(qtbot, window, library, "paused")
    assert window.progress_panel.pause_button.text() == "Resume"
    assert window.progress_panel.title.text().startswith("Paused")

    window.progress_panel.pause_button.click()  # Resume
    assert not libs.paused
    qtbot.waitUntil(lambda: "files" in window.progress_panel.counts.text(), timeout=10_000)

    window.progress_panel.cancel_button.click()
    qtbot.waitUntil(lambda: not libs.indexing, timeout=30_000)
    view = window.library_panel.view(library)
    assert view.state in ("incomplete", "ready")
    assert not window.progress_panel.isVisible()


def test_watched_library_follows_file_changes(qtbot, make_window, engine_config, docs):
    """A file added, edited or deleted while the window is open is indexed within 10 s, without a click."""
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    window.add_folders([str(docs)])
    library = str(docs.resolve())
    wait_library_state(qtbot, window, library, "ready")

    def files() -> int:
        view = window.library_panel.view(library)
        return view.info.files if view and view.info else -1

    assert files() == 3
    (docs / "added.md").write_text("# Added\n\nA note written while the app runs.\n", encoding="utf-8")
    qtbot.waitUntil(lambda: files() == 4, timeout=10_000)
    (docs / "added.md").unlink()
    qtbot.waitUntil(lambda: files() == 3, timeout=10_000)


def test_a_repaired_index_is_told_once_in_the_status_bar(qtbot, make_window, engine_config, docs):
    engine = Engine(engine_config)
    engine.open()
    engine.index_library(docs)
    engine.close()
    manifest = engine_config.data_dir / "manifest.sqlite"
    for suffix in ("-wal", "-shm"):
        manifest.with_name(manifest.name + suffix).unlink(missing_ok=True)
    manifest.write_bytes(b"not a database " * 200)

    window = make_window(engine_config)
    qtbot.waitUntil(lambda: "rebuilt from the index: 3 files" in window.statusBar().currentMessage(), timeout=60000)
    library = str(docs.resolve())
    qtbot.waitUntil(lambda: window.library_panel.view(library) is not None)  # the library came back
    window.statusBar().clearMessage()
    with qtbot.waitSignal(window.controller.status_changed, timeout=30000):
        window.controller.refresh_status()
    assert "rebuilt" not in window.statusBar().currentMessage()
