"""`run_self_test` from source: every step passes on a working install, and a broken one names the failing step."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import engine.selftest.run as selftest
from engine.models.openvino_runtime import openvino_problem

pytestmark = pytest.mark.slow


def test_self_test_passes_from_source() -> None:
    out = io.StringIO()
    extra_ran: list[bool] = []

    code = selftest.run_self_test([("extra check", lambda: extra_ran.append(True) or "fine")], out=out)

    text = out.getvalue()
    assert code == 0, text
    assert "[FAILED]" not in text
    for step in (
        "import torch",
        "Japanese word segmentation",
        "open Milvus Lite",
        "index sample documents",
        "BM25 search",
        "hybrid search",
    ):
        assert f"[ok]     {step} " in text, text
    assert "first by keywords lighthouse.md" in text
    if openvino_problem() is None:  # the Settings runtime converts the tiny model and embeds close to PyTorch
        assert re.search(
            r"^\[ok\]     OpenVINO embedding runtime .*int8, [1-9]\d* calibration texts, cosine", text, re.MULTILINE
        ), text
    else:
        assert "[ok]     OpenVINO embedding runtime " in text and "not installed here" in text
    assert "[ok]     extra check" in text and extra_ran == [True]
    for name in ("milvus_lite_bm25", "cpu_bf16_detection", "cpu_int8", "cpu_attention"):  # each patch's state
        assert re.search(rf"^  {name} +(on |off)  \S", text, re.MULTILINE), name
    assert text.rstrip().splitlines()[-1].startswith("Self-test passed")


def test_missing_samples_fail_with_the_step_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "samples" / "selftest").mkdir(parents=True)
    (tmp_path / "samples" / "selftest" / "other.md").write_text("# Not the expected file\n", encoding="utf-8")
    monkeypatch.setattr(selftest, "resource_dir", lambda: tmp_path)
    out = io.StringIO()

    code = selftest.run_self_test([("never reached", lambda: pytest.fail("ran after a failure"))], out=out)

    text = out.getvalue()
    assert code == 1
    assert "[FAILED] bundled sample documents" in text
    assert "lighthouse.md not found" in text
    assert "Patches of dependencies' internals:" in text  # printed even when a step failed
    for name in ("milvus_lite_bm25", "cpu_bf16_detection", "cpu_int8", "cpu_attention"):
        assert f"\n  {name} " in text
    assert text.rstrip().splitlines()[-1].startswith("Self-test FAILED at step: bundled sample documents")


def test_a_crashing_extra_check_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise RuntimeError("no display")

    out = io.StringIO()
    code = selftest.run_self_test([("Qt widgets", boom)], out=out)

    assert code == 1
    assert "[FAILED] Qt widgets" in out.getvalue()
    assert "RuntimeError: no display" in out.getvalue()


def test_resource_dir_is_the_repo_resources_when_not_frozen() -> None:
    from engine.resources_path import is_frozen, resource_dir

    assert not is_frozen()
    assert resource_dir() == Path(__file__).resolve().parents[2] / "resources"
    assert (resource_dir() / "samples" / "selftest" / "lighthouse.md").is_file()


def test_qt_check_shows_a_widget_offscreen() -> None:
    from desktop.selftest_qt import QT_CHECK, check_qt

    info = check_qt()

    assert QT_CHECK == ("Qt widgets", check_qt)
    assert info.startswith("Qt 6.") and "platform" in info
