"""A missing system library of Qt's xcb plugin: one line naming it and the install command, exit 1, no Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop import system_libraries as sl

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin is Linux-only")

# Runs the real desktop.app.main() with the loader pretending two libraries are absent: without the check, Qt would
# try X11 on a display that does not exist and abort the process (SIGABRT) instead of exiting 1.
_SCRIPT = textwrap.dedent(
    """
    import sys
    from desktop import system_libraries as sl

    absent = ("libxcb-cursor.so.0", "libxcb-icccm.so.4")
    real = sl.load_library

    def load(name):
        if name.endswith("libqxcb.so") or name.endswith(absent):
            what = absent[0] if name.endswith("libqxcb.so") else name.rsplit("/", 1)[-1]
            raise OSError(f"{what}: cannot open shared object file: No such file or directory")
        return real(name)

    sl.load_library = load
    from desktop.app import main
    sys.exit(main([]))
    """
)


@linux_only
def test_missing_library_prints_one_line_and_exits_1_instead_of_a_qt_abort(tmp_path: Path) -> None:
    if sl.xcb_plugin() is None:
        pytest.skip("this PySide6 has no libqxcb.so")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":97", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))

    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    expected = "Tansaku needs the system libraries libxcb-cursor.so.0, libxcb-icccm.so.4: " + sl.install_command(
        ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    )
    assert proc.returncode == sl.EXIT_MISSING_LIBRARY == 1, proc.stderr
    assert proc.stderr.splitlines() == [expected]
    assert proc.stdout == ""


def test_the_message_names_the_library_and_the_package_manager_at_hand() -> None:
    def apt(name: str) -> str | None:
        return "/usr/bin/apt-get" if name == "apt-get" else None

    def dnf(name: str) -> str | None:
        return "/usr/bin/dnf" if name == "dnf" else None

    one = ["libxcb-cursor.so.0"]
    assert (
        sl.missing_message(one, apt)
        == "Tansaku needs the system library libxcb-cursor.so.0: sudo apt install libxcb-cursor0"
    )
    assert sl.missing_message(one, dnf).endswith(": sudo dnf install xcb-util-cursor")
    both = sl.install_command(["libxcb-icccm.so.4", "libxcb-randr.so.0", "libxcb-shm.so.0"], lambda _: None)
    assert both == (
        "sudo apt install libxcb-icccm4 libxcb-randr0 libxcb-shm0 (Debian/Ubuntu), "
        "or sudo dnf install xcb-util-wm libxcb (Fedora)"
    )
    assert "package that provides it" in sl.install_command(["libunknown.so.3"], apt)


def test_missing_libraries_lists_every_absent_one_not_only_the_first(tmp_path: Path) -> None:
    plugin = tmp_path / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    absent = {"libxcb-keysyms.so.1", "libxcb-icccm.so.4"}
    tried: list[str] = []

    def load(name: str) -> object:
        tried.append(name)
        if name == str(plugin):
            raise OSError("libxcb-keysyms.so.1: cannot open shared object file: No such file or directory")
        if Path(name).name in absent:
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    assert sl.missing_libraries(plugin, load) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # table order
    assert set(tried) == {str(plugin), *sl.SYSTEM_LIBRARIES}


def test_a_bundled_copy_counts_as_present(tmp_path: Path) -> None:
    """In the frozen bundle a library may sit in Qt's lib folder, off the loader's search path for a bare soname."""
    plugin = tmp_path / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    bundled = tmp_path / "PySide6" / "Qt" / "lib" / "libxcb-cursor.so.0"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes(b"")

    def load(name: str) -> object:
        if name == str(plugin):
            raise OSError("libxcb-xkb.so.1: cannot open shared object file: No such file or directory")
        if name in ("libxcb-cursor.so.0", "libxcb-xkb.so.1"):  # by soname: not found; by path: found
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    assert sl.missing_libraries(plugin, load) == ["libxcb-xkb.so.1"]


def test_a_frozen_builds_wrapped_loader_error_is_read_through(tmp_path: Path) -> None:
    """PyInstaller's ctypes.CDLL raises "Failed to load dynlib/dll …" from the loader's error (seen in the bundle)."""
    plugin = tmp_path / "libqxcb.so"

    def load(name: str) -> object:
        if name in (str(plugin), "libxcb-cursor.so.0"):
            try:
                raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file or directory")
            except OSError as base_error:
                raise OSError(f"Failed to load dynlib/dll {name!r}. Most likely this dynlib/dll was not found") from (
                    base_error
                )
        return object()

    assert sl.missing_libraries(plugin, load) == ["libxcb-cursor.so.0"]


def test_other_load_failures_are_left_to_qt(tmp_path: Path) -> None:
    def load(name: str) -> object:
        raise OSError(f"{name}: undefined symbol: _ZN7QWidget5eventEP6QEvent, version Qt_6")

    assert sl.missing_libraries(tmp_path / "libqxcb.so", load) == []


@linux_only
@pytest.mark.parametrize(
    ("env", "tried"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "xcb:nograb;offscreen"}, True),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, False),
    ],
)
def test_xcb_is_checked_only_when_qt_will_try_it_first(env: dict[str, str], tried: bool) -> None:
    assert sl.xcb_will_be_tried(env) is tried


def test_offscreen_loads_nothing() -> None:
    def load(name: str) -> object:
        raise AssertionError(f"loaded {name}")

    assert sl.check_before_qt({"QT_QPA_PLATFORM": "offscreen"}, load) is None


@linux_only
def test_the_real_plugin_loads_here() -> None:
    """On this machine (which runs the app under Xvfb) nothing is missing, through the real loader."""
    if sl.xcb_plugin() is None:
        pytest.skip("this PySide6 has no libqxcb.so")
    assert sl.check_before_qt({"DISPLAY": ":0"}) is None
