"""With Qt's X11 libraries really absent, the app prints one line naming them and exits 1 (no Qt "Aborted").

The libraries are hidden from one process tree only: a private mount namespace (unshare) lays an overlay with
whiteouts over the system library folder, and over the bundle's _internal, which carries its own copies. Needs root,
unshare and overlayfs (CI has them); skips otherwise. The frozen run uses the session's bundle; the source run
does not, and takes seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.system_libraries import install_command

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
CANNOT_HIDE = 97

# $1: folders to cover, colon-separated; $2: library names, colon-separated; $3: scratch folder; then the command.
_HIDE_AND_RUN = r"""
set -e
dirs=$1 names=$2 scratch=$3; shift 3
i=0
IFS=:
for dir in $dirs; do
    i=$((i + 1))
    mkdir -p "$scratch/upper$i" "$scratch/work$i"
    for name in $names; do
        for file in "$dir/$name"*; do [ -e "$file" ] && mknod "$scratch/upper$i/${file##*/}" c 0 0; done
    done
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$scratch/upper$i,workdir=$scratch/work$i" "$dir" \
        || exit 97
done
unset IFS
exec "$@"
"""


def _system_dir(soname: str) -> Path:
    """The folder the dynamic loader takes `soname` from (its real path: /lib may link to /usr/lib)."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    listing = subprocess.run([ldconfig, "-p"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        if line.strip().startswith(soname + " ") and "=>" in line:
            return Path(os.path.realpath(line.split("=>", 1)[1].strip())).parent
    pytest.skip(f"{soname} is not installed here, so there is nothing to hide")


def _run_without_libraries(
    cmd: list[str], env: dict[str, str], scratch: Path, extra_dirs: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess[str]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("hiding system libraries needs Linux, root and unshare")
    dirs = sorted({_system_dir(name) for name in HIDDEN} | set(extra_dirs))
    scratch.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["unshare", "--mount", "--", "sh", "-c", _HIDE_AND_RUN, "sh", ":".join(map(str, dirs)), ":".join(HIDDEN)]
        + [str(scratch), *cmd],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode == CANNOT_HIDE or "mount:" in proc.stderr:
        pytest.skip(f"overlayfs is not available here: {proc.stderr.strip()[:200]}")
    return proc


def _gui_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":97", HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / "config"))
    env.update(TANSAKU_DATA_DIR=str(tmp_path / "data"))
    return env


def _assert_one_line(proc: subprocess.CompletedProcess[str]) -> None:
    expected = f"Tansaku needs the system libraries {', '.join(HIDDEN)}: {install_command(HIDDEN)}"
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == [expected]


def test_source_run_names_the_hidden_libraries(tmp_path: Path) -> None:
    env = _gui_env(tmp_path)
    env["PYTHONPATH"] = str(ROOT)
    proc = _run_without_libraries([sys.executable, "-m", "desktop.app"], env, tmp_path / "overlay")
    _assert_one_line(proc)


@pytest.mark.packaging
@pytest.mark.slow
def test_frozen_app_names_the_hidden_libraries(bundle: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in _gui_env(tmp_path).items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    proc = _run_without_libraries([str(bundle / "tansaku")], env, tmp_path / "overlay", (bundle / "_internal",))
    _assert_one_line(proc)
