"""install.sh names the system libraries Qt's X11 plugin lacks, with the apt and dnf packages, and still installs.

A fake bundle whose libqxcb.so is a real shared object (built with the C compiler) that needs one library nowhere on
the system and one that the bundle carries: the real `ldd` decides, as it does for users. No PyInstaller build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.system_libraries import table

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "resources" / "packaging"
ABSENT, BUNDLED = "libtansaku-absent.so.0", "libtansaku-bundled.so.1"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("cc") and shutil.which("ldd")),
    reason="needs Linux, a C compiler and ldd",
)


def _shared_object(path: Path, soname: str, needs: tuple[Path, ...] = ()) -> None:
    source = path.with_suffix(".c")
    source.write_text("int tansaku_test_symbol(void) { return 1; }\n", encoding="utf-8")
    cmd = ["cc", "-shared", "-fPIC", "-o", str(path), str(source), f"-Wl,-soname,{soname}", "-Wl,--no-as-needed"]
    cmd += [str(n) for n in needs]
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture()
def fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "tansaku"
    internal = bundle / "_internal"
    platforms = internal / "PySide6" / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (bundle / "share").mkdir()
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    _shared_object(stubs / ABSENT, ABSENT)
    _shared_object(internal / BUNDLED, BUNDLED)
    _shared_object(platforms / "libqxcb.so", "libqxcb.so", (stubs / ABSENT, internal / BUNDLED))
    (stubs / ABSENT).unlink()  # now nowhere: ldd reports it "not found"

    shutil.copy(PACKAGING / "install.sh", bundle / "install.sh")
    shutil.copy(PACKAGING / "tansaku.desktop", bundle / "share" / "tansaku.desktop")
    shutil.copy(ROOT / "resources" / "icons" / "app" / "tansaku.png", bundle / "share" / "tansaku.png")
    rows = table() + f"{ABSENT} tansaku-absent-deb tansaku-absent-rpm\n{BUNDLED} tansaku-bundled-deb x\n"
    (bundle / "share" / "system-libraries.txt").write_text(rows, encoding="utf-8")
    (bundle / "tansaku").write_text("#!/bin/sh\n", encoding="utf-8")
    (bundle / "tansaku").chmod(0o755)
    return bundle


def _run(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = bundle.parent / "home"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(["sh", str(bundle / "install.sh"), *args], env=env, capture_output=True, text=True)


def test_check_names_the_missing_library_and_its_packages(fake_bundle: Path) -> None:
    result = _run(fake_bundle, "--check")

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Tansaku needs these system libraries to open its window: {ABSENT}"
    assert "  Debian/Ubuntu: sudo apt install tansaku-absent-deb" in lines
    assert "  Fedora:        sudo dnf install tansaku-absent-rpm" in lines
    assert BUNDLED not in result.stdout  # the bundle's own copy is found


def test_install_still_adds_the_menu_entry_and_repeats_the_advice(fake_bundle: Path) -> None:
    result = _run(fake_bundle)

    assert result.returncode == 0, result.stderr
    assert ABSENT in result.stdout
    assert result.stdout.rstrip().endswith("Install the system libraries named above before starting it.")
    assert (fake_bundle.parent / "home" / "data" / "applications" / "tansaku.desktop").is_file()


def test_check_passes_once_the_library_is_there(fake_bundle: Path, tmp_path: Path) -> None:
    _shared_object(fake_bundle / "_internal" / ABSENT, ABSENT)  # e.g. installed where the loader looks

    result = _run(fake_bundle, "--check")

    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "All system libraries Tansaku needs are installed."
