"""The PyInstaller bundle, built once per test session and shared by every packaging test (the build takes minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE_NAME = "tansaku.exe" if sys.platform == "win32" else "tansaku"


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder build: TANSAKU_BUNDLE_DIR if set, else a fresh PyInstaller build of build.spec."""
    given = os.environ.get("TANSAKU_BUNDLE_DIR")
    if given:
        folder = Path(given)
        assert (folder / EXE_NAME).is_file(), f"TANSAKU_BUNDLE_DIR has no {EXE_NAME}: {folder}"
        print(f"\nreusing the bundle at {folder}")
        return folder
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install .[packaging])")
    out = tmp_path_factory.mktemp("pyinstaller")
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(out / "dist"),
        "--workpath",
        str(out / "build"),
        str(ROOT / "build.spec"),
    ]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-10000:]
    print(f"\nPyInstaller build: {elapsed:.0f} s")
    return out / "dist" / "tansaku"
