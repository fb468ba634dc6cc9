"""main(): the Tansaku window.

Boot order (the window must appear before anything heavy loads):
1. Parse the command line (folders to add, --data-dir, --store, --token) — no Qt yet. Logging redacts secrets;
   --token warns that the process list shows it (TANSAKU_STORE_TOKEN or the OS keyring keep it out of argv).
   On X11, a missing system library of Qt's xcb plugin is named in one line (system_libraries), not a Qt abort.
2. QApplication; palette and stylesheet follow the OS light/dark scheme.
3. Settings (QSettings) -> EngineConfig, command-line values on top (not stored). No keyring call here: the
   engine reads the Milvus token from the keyring on its own thread when it connects. The window's language
   (TANSAKU_LANGUAGE, else the setting, else the system locale) is installed before any widget exists; from source
   its .qm is compiled once into the cache dir (one lrelease run, ~50 ms).
4. Single instance per data dir: if a window already runs there, hand it our folders (it comes to the front)
   and exit. Otherwise listen for later launches.
5. EngineHost starts the engine and answer threads (nothing heavy is imported: engine/ imports lazily).
6. AppController and MainWindow are built, and the window is shown.
7. Once the event loop runs, AppController.start() queues, on the engine thread: open (data-dir lock, manifest),
   check models, load models (torch is imported here, after the window is up), then index every library
   (carrying on where a previous run stopped, and picking up changes made while the app was closed).
8. Closing the window: cancel the answer and indexing, close the engine on its thread, join both threads.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import system_libraries
from engine import APP_NAME, secrets

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tansaku", description="Ask questions about your own folders.")
    parser.add_argument("folders", nargs="*", help="folders to add as libraries")
    parser.add_argument("--data-dir", type=Path, help="where the index, models and chats live")
    parser.add_argument("--store", help="a Milvus server URI instead of Milvus Lite in the data folder")
    parser.add_argument(
        "--token",
        help=f"the Milvus server token; visible to other users in the process list, so prefer "
        f"{secrets.STORE_TOKEN_ENV_VAR} or Settings (which keeps it in the OS keyring)",
    )
    return parser.parse_args(list(argv))


def prepare(args: argparse.Namespace) -> None:
    """Logging with keys and tokens redacted (messages and tracebacks alike), and a warning for --token."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    secrets.install_log_redaction()
    if args.token:
        secrets.remember_secret(args.token)
        print(secrets.TOKEN_ARGV_WARNING, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    prepare(args)
    missing = system_libraries.check_before_qt()
    if missing:  # Qt would abort inside QApplication() with a message that names no package
        print(missing, file=sys.stderr)
        return system_libraries.EXIT_MISSING_LIBRARY

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.i18n import choose_language, install
    from desktop.resources import app_icon
    from desktop.settings import Settings
    from desktop.single_instance import SingleInstance
    from desktop.theme import apply_theme, follow_os_scheme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    apply_theme(app)
    follow_os_scheme(app)

    settings = Settings()
    shown = install(app, choose_language(settings.language()))
    log.info("Window language: %s", shown)
    config = settings.engine_config(data_dir=args.data_dir, store_uri=args.store, store_token=args.token)
    folders = [str(Path(f).expanduser().resolve()) for f in args.folders]

    instance = SingleInstance(config.data_dir)
    if instance.hand_off(folders):
        print(f"{APP_NAME} is already running for {config.data_dir}; passed the request to it.", file=sys.stderr)
        return 0
    instance.listen()

    from desktop.controller import AppController
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow

    host = EngineHost()
    try:
        controller = AppController(host, settings, config)
        window = MainWindow(controller)
        instance.activated.connect(window.receive_handoff)
        window.show()

        def start() -> None:
            controller.start()
            if folders:
                window.add_folders(folders)

        QTimer.singleShot(0, start)  # after the window has painted
        wake = _close_on_signals(window)
        code = app.exec()
        wake.stop()
    finally:
        host.shutdown()  # a no-op when closing the window already did it; never leave threads running
        instance.close()
    return int(code)


def _close_on_signals(window: QWidget) -> QTimer:
    """Ctrl+C in a terminal or SIGTERM closes the window the normal way (clean engine shutdown).

    Python runs signal handlers only between bytecodes, so a timer wakes the interpreter a few times a second.
    """
    import signal

    from PySide6.QtCore import QTimer

    def close(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.close)

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), close)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


if __name__ == "__main__":
    raise SystemExit(main())
