"""The Milvus docs indexed once per session with all-MiniLM-L6-v2, shared by the quality tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.engine import Engine
from tests.quality.corpora import MILVUS_DEV, MILVUS_DOCS, Corpus, milvus_corpus
from tests.quality.harness import IndexStats, engine_config, index_corpus
from tests.support.tiny_models import minilm_path


@pytest.fixture(scope="session")
def milvus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Corpus, IndexStats]]:
    if not MILVUS_DOCS.is_dir() or not MILVUS_DEV.is_file():
        pytest.skip("../shared/data/milvus-docs-* is not present")
    corpus = milvus_corpus()
    # TANSAKU_QUALITY_DATA_DIR reuses an index built earlier (e.g. the harness's <work-dir>/data-milvus-auto-bdefault):
    # an unchanged folder costs a scan instead of ~15 minutes of embedding on 2 cores.
    reuse = os.environ.get("TANSAKU_QUALITY_DATA_DIR")
    data_dir = Path(reuse) if reuse else tmp_path_factory.mktemp("quality-milvus")
    engine = Engine(engine_config(minilm_path(), data_dir))
    engine.open()
    try:
        stats = index_corpus(engine, corpus)
        print(
            f"\nindexed {stats.files} files, {stats.chunks} chunks in {stats.seconds:.0f} s ({engine.embedder.fast_path})",
            file=sys.stderr,
        )
        yield engine, corpus, stats
    finally:
        engine.close()
