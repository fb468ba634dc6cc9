"""The Milvus docs (English and Japanese) indexed once per session with all-MiniLM-L6-v2, shared by the quality tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.engine import Engine
from tests.quality.corpora import (
    MILVUS_DEV,
    MILVUS_DEV_JA,
    MILVUS_DOCS,
    MILVUS_DOCS_JA,
    Corpus,
    milvus_corpus,
    milvus_ja_corpus,
)
from tests.quality.harness import IndexStats, engine_config, index_corpus
from tests.support.tiny_models import minilm_path


@pytest.fixture(scope="session")
def milvus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Corpus, IndexStats]]:
    if not MILVUS_DOCS.is_dir() or not MILVUS_DEV.is_file():
        pytest.skip("../shared/data/milvus-docs-* is not present")
    yield from _indexed(milvus_corpus(), "TANSAKU_QUALITY_DATA_DIR", tmp_path_factory)


@pytest.fixture(scope="session")
def milvus_ja_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Corpus, IndexStats]]:
    if not MILVUS_DOCS_JA.is_dir() or not MILVUS_DEV_JA.is_file():
        pytest.skip("../shared/data/milvus-docs-2.4.x-ja is not present")
    # Text only: MiniLM reads Japanese almost a character per token, so the 270 files make 4,731 chunks and embedding
    # them takes ~7.5 min on 2 cores. BM25 serves stored text, which is what is pinned here.
    yield from _indexed(milvus_ja_corpus(), "TANSAKU_QUALITY_JA_DATA_DIR", tmp_path_factory, text_only=True)


def _indexed(
    corpus: Corpus, reuse_variable: str, tmp_path_factory: pytest.TempPathFactory, *, text_only: bool = False
) -> Iterator[tuple[Engine, Corpus, IndexStats]]:
    # TANSAKU_QUALITY_DATA_DIR reuses an index built earlier (e.g. the harness's <work-dir>/data-milvus-auto-bdefault):
    # an unchanged folder costs a scan instead of ~15 minutes of embedding on 2 cores.
    reuse = os.environ.get(reuse_variable)
    data_dir = Path(reuse) if reuse else tmp_path_factory.mktemp(f"quality-{corpus.name}")
    engine = Engine(engine_config(minilm_path(), data_dir))
    engine.open()
    try:
        stats = index_corpus(engine, corpus, text_only=text_only)
        print(
            f"\nindexed {stats.files} files, {stats.chunks} chunks in {stats.seconds:.0f} s ({engine.embedder.fast_path})",
            file=sys.stderr,
        )
        yield engine, corpus, stats
    finally:
        engine.close()
