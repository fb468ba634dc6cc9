"""Shared fixtures: tiny models built once per session, offline settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    """Tiny Qwen3-architecture embedding and reranker models, built by the test (random weights)."""
    from tests.support.tiny_models import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("tiny_models"))


# Tests sharing an expensive fixture run on one xdist worker, so it is built once: the PyInstaller bundle, each
# MiniLM-indexed corpus. Every other test stays with the rest of its module (module-scoped fixtures are built once).
SHARED_FIXTURE_GROUPS = {"bundle": "bundle", "milvus_index": "milvus-en", "milvus_ja_index": "milvus-ja"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        names = getattr(item, "fixturenames", ())
        group = next((g for fixture, g in SHARED_FIXTURE_GROUPS.items() if fixture in names), None)
        item.add_marker(pytest.mark.xdist_group(group or item.nodeid.split("::")[0]))
