"""Start and stop: the window shows before torch loads, closing mid-index is clean and resumable, one instance."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from PySide6.QtCore import QDir

from desktop.single_instance import SingleInstance
from engine.engine import Engine
from tests.desktop.helpers import wait_library_state, wait_ready

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(REPO))
    return env


def test_window_is_shown_before_heavy_imports(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from desktop.controller import AppController
        from desktop.engine_host import EngineHost
        from desktop.main_window import MainWindow
        from desktop.settings import Settings
        from engine.config import EngineConfig
        folder = Path(sys.argv[1])
        host = EngineHost()
        controller = AppController(host, Settings.from_file(folder / "s.ini"), EngineConfig(data_dir=folder))
        window = MainWindow(controller)
        window.show()
        app.processEvents()
        heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "pymilvus") if m in sys.modules)
        window.close()
        print("HEAVY", heavy, window.windowTitle())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "HEAVY [] Tansaku" in out.stdout


def test_close_during_indexing_exits_cleanly_and_resumes(qtbot, make_window, engine_config, many_docs):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    window.add_folders([str(many_docs)])
    qtbot.waitUntil(lambda: window.progress_panel.isVisible(), timeout=10_000)
    host = window.controller.host

    window.close()

    assert not window.isVisible()
    assert host._engine_thread.isFinished() and host._answer_thread.isFinished()
    # The data-dir lock was released and the index is consistent: the next run carries on, nothing is redone twice.
    engine = Engine(engine_config)
    engine.open()
    try:
        engine.load_models()
        report = engine.index_library(many_docs)
        info = engine.libraries()[0]
    finally:
        engine.close()
    assert not report.cancelled
    assert info.files == 120 and info.pending == 0
    assert report.files_indexed + report.files_unchanged == 120


def test_second_launch_hands_folders_to_the_running_window(qtbot, make_window, engine_config, docs, tmp_path):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    instance = SingleInstance(engine_config.data_dir)
    assert instance.listen()
    received: list[list[str]] = []
    instance.activated.connect(received.append)
    instance.activated.connect(window.receive_handoff)
    try:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop.app", "--data-dir", str(engine_config.data_dir), str(docs)],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        qtbot.waitUntil(lambda: bool(received), timeout=30_000)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30_000)
        elapsed = time.monotonic() - started
    finally:
        instance.close()
    assert proc.returncode == 0, proc.stderr.read()
    assert "already running" in proc.stderr.read()
    assert elapsed < 30
    assert received == [[str(docs.resolve())]]
    wait_library_state(qtbot, window, str(docs.resolve()), "ready")


def test_listen_reclaims_a_name_left_by_a_crashed_instance(qtbot, tmp_path):
    instance = SingleInstance(tmp_path)
    stale = Path(QDir.tempPath()) / instance.name  # where a crashed instance leaves its Unix socket
    stale.write_text("left over", encoding="utf-8")
    try:
        assert instance.listen()
        assert SingleInstance(tmp_path / "other").name != instance.name
    finally:
        instance.close()
        stale.unlink(missing_ok=True)


def test_a_data_dir_held_by_another_process_is_refused_clearly(qtbot, make_window, engine_config):
    holder = Engine(engine_config)
    holder.open()  # e.g. `tansaku index` running in a terminal
    try:
        window = make_window(engine_config)
        qtbot.waitUntil(lambda: bool(window.errors), timeout=30_000)
    finally:
        holder.close()
    title, text = window.errors[0]
    assert "could not open" in title and "Another Tansaku process" in text
    assert window.controller.models.state == "closed"
    assert window.model_banner.isVisible() and "could not be opened" in window.model_banner.text.text()
