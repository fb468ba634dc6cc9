"""The .deb: build it from the session's bundle, `dpkg -i` it, run the installed `tansaku --self-test`, `dpkg -r` it.

Installs into the real system, so it needs root and dpkg (CI has both) and skips otherwise, or when a `tansaku`
package is already installed (it is not ours to replace). The user's data folder must survive the removal. Prints
the .deb's size and the build, install, self-test and removal times. Built with DEB_COMPRESSION=none: compressing
1.2 GB costs CI minutes and is dpkg-deb's own business.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.system_libraries import SYSTEM_LIBRARIES

pytestmark = [pytest.mark.packaging, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
BUILD_DEB = ROOT / "resources" / "packaging" / "build_deb.sh"
ICON = Path("/usr/share/icons/hicolor/256x256/apps/tansaku.png")
INSTALLED = [Path("/opt/tansaku"), Path("/usr/bin/tansaku"), Path("/usr/share/applications/tansaku.desktop"), ICON]


def _dpkg_ready() -> str | None:
    """Why this test cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "a .deb is Linux-only"
    if not (shutil.which("dpkg") and shutil.which("dpkg-deb")):
        return "dpkg and dpkg-deb are needed (Debian/Ubuntu)"
    if os.geteuid() != 0:
        return "dpkg -i needs root (CI runs as root)"
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "tansaku"], capture_output=True, text=True)
    if "installed" in status.stdout.split():
        return "a tansaku package is already installed on this machine; not replacing it"
    return None


def _timed(cmd: list[str], **kwargs) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    return result, time.perf_counter() - start


@pytest.fixture()
def user_home(tmp_path: Path) -> dict[str, str]:
    """A user's environment with a Tansaku data folder holding a file the package must never touch."""
    home = tmp_path / "home"
    data = home / "data" / "Tansaku"
    data.mkdir(parents=True)
    (data / "keep.txt").write_text("the user's index lives here\n", encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HF_HUB_OFFLINE="1",
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        TMPDIR=str(tmp_path / "tmp"),
        PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",  # finds /usr/bin/tansaku, not a venv's
    )
    return env


def _build_deb(bundle: Path, out: Path) -> Path:
    env = dict(os.environ, DIST=str(out), WORK=str(out / "work"), PYTHON=sys.executable, DEB_COMPRESSION="none")
    result, elapsed = _timed(["bash", str(BUILD_DEB), str(bundle)], env=env, cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    debs = list(out.glob("tansaku_*_*.deb"))
    assert len(debs) == 1, result.stdout
    print(f"\n.deb build: {elapsed:.0f} s, {debs[0].stat().st_size / 2**20:.0f} MiB uncompressed ({debs[0].name})")
    return debs[0]


def _check_control(deb: Path) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    control = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line and not line.startswith(" "))
    assert control["Package"] == "tansaku"
    assert control["Version"] == deb.name.split("_")[1]
    assert control["Maintainer"] and control["Description"]
    depends = {d.strip().split(" ")[0] for d in control["Depends"].split(",")}
    assert {debian for debian, _ in SYSTEM_LIBRARIES.values()} <= depends
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libc6"} <= depends


def _check_installed_files() -> None:
    assert Path("/usr/bin/tansaku").is_symlink() and os.path.realpath("/usr/bin/tansaku") == "/opt/tansaku/tansaku"
    assert os.access("/opt/tansaku/tansaku", os.X_OK)
    assert ICON.is_file()
    entry = Path("/usr/share/applications/tansaku.desktop").read_text(encoding="utf-8")
    assert "Exec=tansaku %F" in entry and "Icon=tansaku" in entry
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", "/usr/share/applications/tansaku.desktop"], capture_output=True
        )
        assert check.returncode == 0, check.stdout


def test_deb_installs_runs_and_removes_cleanly(bundle: Path, tmp_path: Path, user_home: dict[str, str]) -> None:
    reason = _dpkg_ready()
    if reason:
        pytest.skip(reason)
    deb = _build_deb(bundle, tmp_path / "out")
    _check_control(deb)
    keep = Path(user_home["XDG_DATA_HOME"]) / "Tansaku" / "keep.txt"
    try:
        installed, install_s = _timed(["dpkg", "-i", str(deb)], timeout=900)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        _check_installed_files()

        tansaku = shutil.which("tansaku", path=user_home["PATH"])
        assert tansaku == "/usr/bin/tansaku"
        selftest, selftest_s = _timed([tansaku, "--self-test"], env=user_home, timeout=900)
        assert selftest.returncode == 0, selftest.stdout + selftest.stderr[-5000:]
        assert "Self-test passed" in selftest.stdout
        assert "[ok]     Qt widgets" in selftest.stdout
    finally:
        removed, remove_s = _timed(["dpkg", "-r", "tansaku"], timeout=600)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    print(f"dpkg -i: {install_s:.1f} s, installed tansaku --self-test: {selftest_s:.1f} s, dpkg -r: {remove_s:.1f} s")

    assert [p for p in INSTALLED if os.path.lexists(p)] == []
    assert keep.read_text(encoding="utf-8") == "the user's index lives here\n"
    # dpkg -r keeps the package's record ("config-files": it has maintainer scripts); purge leaves no trace either.
    purged = subprocess.run(["dpkg", "--purge", "tansaku"], capture_output=True, text=True, timeout=300)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "tansaku"], capture_output=True, text=True)
    assert "installed" not in status.stdout.split() and "config-files" not in status.stdout.split()
    assert keep.read_text(encoding="utf-8") == "the user's index lives here\n"
