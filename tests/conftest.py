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


# Tests sharing an expensive session fixture run on one xdist worker, so that it is built once: the PyInstaller bundle,
# the MiniLM-indexed English Milvus docs. Every other test goes with the rest of its file (module-scoped fixtures are
# then built once too). pytest 9 ignores the node-id suffix that xdist's own `--dist loadgroup` relies on, so the
# grouping is a scheduler here, chosen by file.
SHARED_FIXTURE_FILES = {
    "tests/packaging/test_bundle.py": "bundle",
    "tests/packaging/test_deb.py": "bundle",
    "tests/packaging/test_missing_libraries.py": "bundle",
    "tests/quality/test_quality_milvus.py": "milvus-en",
    "tests/quality/test_quality_followups.py": "milvus-en",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        """Load-balances whole files; the files in SHARED_FIXTURE_FILES go together."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SHARED_FIXTURE_FILES.get(path, path)

    return SharedFixtureScheduling(config, log)
