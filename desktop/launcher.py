"""The `tansaku` entry point: no subcommand opens the window, a subcommand runs the CLI.

Kept free of Qt and torch imports so that CLI commands start fast and the window can appear before models load.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

GUI_FLAGS = {"--data-dir", "--store", "--token", "--self-test"}


def _wants_gui(argv: Sequence[str]) -> bool:
    """True when argv has no CLI subcommand: only app options or folders to add."""
    from engine.cli.commands import SUBCOMMANDS  # the CLI is a front end beside desktop/, not engine surface

    return not any(arg in SUBCOMMANDS for arg in argv) and not any(a in ("-h", "--help", "--version") for a in argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--self-test" in args:
        from desktop.selftest_qt import QT_CHECK
        from engine import run_self_test

        return run_self_test([QT_CHECK])
    if _wants_gui(args):
        from desktop.app import main as gui_main

        return gui_main(args)
    from engine.cli.commands import main as cli_main  # see _wants_gui

    return cli_main(args)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen build must not re-run itself if a library spawns sys.executable
    raise SystemExit(main())
