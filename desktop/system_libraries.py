"""Before Qt starts on X11: name the system libraries its xcb plugin lacks, instead of Qt's "Aborted".

Qt loads its platform plugin inside QApplication() and aborts the process when a library is missing, with a message
that names no package. Here the plugin is loaded once by hand (the dynamic loader then searches exactly as it will for
Qt: the plugin's RUNPATH, LD_LIBRARY_PATH, the bundle's libraries); if that fails for want of a file, every library in
SYSTEM_LIBRARIES is tried so that one line lists them all, with the command that installs them. No Qt import here:
importing QtGui already needs some of these libraries.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package): what PySide6's libqxcb.so and libQt6Gui need beyond glibc and
# the Qt libraries in the wheel (from `ldd libqxcb.so`, PySide6 6.11, packages by `dpkg -S` on Debian 12).
SYSTEM_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}

EXIT_MISSING_LIBRARY = 1
_NOT_FOUND = re.compile(r"([\w.+-]+\.so(?:\.[\w.]+)?): cannot open shared object file")

Loader = Callable[[str], object]


def load_library(name: str) -> object:
    """dlopen `name` (a path or a soname); raises OSError with the loader's message when it cannot."""
    return ctypes.CDLL(name)


def xcb_will_be_tried(env: Mapping[str, str]) -> bool:
    """True when Qt will try X11 first: QT_QPA_PLATFORM names xcb first, or is unset outside a Wayland session."""
    if not sys.platform.startswith("linux"):
        return False
    platform = env.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(";")[0].split(":")[0].strip() == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so (in a source install or the frozen bundle), found without importing Qt."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def _search_dirs(plugin: Path) -> list[Path]:
    """Folders a bundled copy may sit in: Qt's own lib folder and, frozen, the bundle's top."""
    dirs = [plugin.parents[2] / "lib"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle))
    return dirs


def _loads(soname: str, dirs: Iterable[Path], load: Loader) -> bool:
    for candidate in [*(str(d / soname) for d in dirs if (d / soname).is_file()), soname]:
        try:
            load(candidate)
        except OSError:
            continue
        return True
    return False


def _error_text(exc: BaseException) -> str:
    """The loader's message, also where a frozen build re-raises it: PyInstaller's ctypes.CDLL raises its own
    "Failed to load dynlib/dll …" error *from* the loader's, which alone names the missing file."""
    texts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(texts) < 5:
        texts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


def missing_libraries(plugin: Path, load: Loader | None = None) -> list[str]:
    """The sonames the plugin cannot find, or [] when it loads (or fails for another reason: Qt then speaks)."""
    load = load or load_library
    try:
        load(str(plugin))
    except OSError as exc:
        first = _NOT_FOUND.search(_error_text(exc))
        if first is None:
            return []
        dirs = _search_dirs(plugin)
        missing = [name for name in SYSTEM_LIBRARIES if not _loads(name, dirs, load)]
        return missing if first.group(1) in missing else [first.group(1), *missing]
    return []


def install_command(sonames: Iterable[str], which: Callable[[str], str | None] | None = None) -> str:
    """`sudo apt install …` or `sudo dnf install …` for the packages holding `sonames` (both when unsure)."""
    which = which or shutil.which
    known = [SYSTEM_LIBRARIES[s] for s in sonames if s in SYSTEM_LIBRARIES]
    debian = " ".join(dict.fromkeys(d for d, _ in known))
    fedora = " ".join(dict.fromkeys(f for _, f in known))
    if not known:
        return "install the package that provides it with your system's package manager"
    if which("apt-get") or which("apt"):
        return f"sudo apt install {debian}"
    if which("dnf"):
        return f"sudo dnf install {fedora}"
    return f"sudo apt install {debian} (Debian/Ubuntu), or sudo dnf install {fedora} (Fedora)"


def missing_message(sonames: list[str], which: Callable[[str], str | None] | None = None) -> str:
    noun = "library" if len(sonames) == 1 else "libraries"
    return f"Tansaku needs the system {noun} {', '.join(sonames)}: {install_command(sonames, which)}"


def check_before_qt(env: Mapping[str, str] | None = None, load: Loader | None = None) -> str | None:
    """The one line to print when X11 will be used and its plugin cannot load for want of a library; else None."""
    if not xcb_will_be_tried(os.environ if env is None else env):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(plugin, load)
    return missing_message(missing) if missing else None


def debian_depends() -> str:
    """The .deb's Depends field: every Debian package in SYSTEM_LIBRARIES, once."""
    return ", ".join(dict.fromkeys(debian for debian, _ in SYSTEM_LIBRARIES.values()))


def table() -> str:
    """`soname debian-package fedora-package` lines, for the packaging scripts (install.sh reads them)."""
    return "".join(f"{soname} {debian} {fedora}\n" for soname, (debian, fedora) in SYSTEM_LIBRARIES.items())


if __name__ == "__main__":  # python -m desktop.system_libraries --table | --debian-depends
    print(debian_depends() if sys.argv[1:] == ["--debian-depends"] else table(), end="")
