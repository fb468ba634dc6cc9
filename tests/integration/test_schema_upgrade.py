"""An index of the old row layout (BM25 over unsegmented text) rebuilds itself while it keeps answering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cancel import CancelToken
from engine.store import chunk_store, schema
from engine.store.chunk_store import ChunkStore
from engine.types import Progress
from tests.integration.helpers import open_engine, tiny_config, write_library

JAPANESE = {
    "tokyo.md": "# 東京都について\n\n東京都の人口は多いです。都庁は新宿にあります。\n",
    "kyoto.md": "# 古都の寺\n\n京都には寺がたくさんあります。観光客は清水寺を訪れます。\n",
    "partition.md": "# 分割\n\nパーティションを作成すると、検索が速くなりました。\n",
}


def _schema_v1(dims: int) -> Any:
    """The layout before schema 2, as version 1 of Tansaku created it: the BM25 function reads `text` itself."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=schema.MAX_ID)
    for name, length in (("file_id", schema.MAX_HASH), ("library", schema.MAX_PATH), ("path", schema.MAX_PATH)):
        s.add_field(name, DataType.VARCHAR, max_length=length)
    s.add_field("suffix", DataType.VARCHAR, max_length=schema.MAX_SUFFIX)
    s.add_field("chunk_no", DataType.INT64)
    s.add_field("headings", DataType.VARCHAR, max_length=schema.MAX_HEADINGS)
    for name in ("page", "char_start", "char_end"):
        s.add_field(name, DataType.INT64)
    s.add_field(
        "text",
        DataType.VARCHAR,
        max_length=schema.MAX_TEXT,
        enable_analyzer=True,
        analyzer_params=schema.ANALYZER_PARAMS,
    )
    s.add_field("file_sha256", DataType.VARCHAR, max_length=schema.MAX_HASH)
    s.add_field("embedded", DataType.BOOL)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dims))
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function("text_bm25", FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]))
    return s


def _library(root: Path) -> Path:
    write_library(root, n_files=3)
    for name, text in JAPANESE.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _bm25_files(engine, query: str) -> list[str]:
    return [Path(h.chunk.path).name for h in engine.search(query, k=5, mode="bm25", rerank=False)]


def test_an_old_layout_index_answers_while_its_successor_fills_then_retires(tmp_path: Path, tiny_models) -> None:
    lib = _library(tmp_path / "lib")
    config = tiny_config(tmp_path / "data", tiny_models)
    with pytest.MonkeyPatch.context() as mp:  # what an install before schema 2 built
        mp.setattr(schema, "SCHEMA_VERSION", "1")
        mp.setattr(chunk_store, "SCHEMA_VERSION", "1")
        mp.setattr(chunk_store, "build_schema", _schema_v1)
        with open_engine(config) as engine:
            engine.index_library(lib)
            old = engine.answering_from()
            assert old is not None and engine.store().segmented is False
            assert _bm25_files(engine, "ZX1Q2")[0] == "doc_01.md"
            assert "kyoto.md" not in _bm25_files(engine, "京都")  # a run of kana and kanji was one term

    with open_engine(config) as engine:
        assert engine.store().segmented is True and engine.collection != old["collection"]
        assert engine.answering_from() == {**old, "previous": True}  # the old index answers until the new one is done
        assert _bm25_files(engine, "ZX1Q2")[0] == "doc_01.md"

        token = CancelToken()
        seen: list[Progress] = []

        def stop_after_two_files(p: Progress) -> None:
            seen.append(p)
            if p.files_done >= 2:
                token.cancel()

        assert engine.index_library(lib, cancel=token, on_progress=stop_after_two_files).cancelled
        assert seen and seen[-1].files_total == len(list(lib.iterdir()))  # the rebuild reports progress
        assert engine.answering_from()["previous"] is True
        assert _bm25_files(engine, "ZX2Q3")[0] == "doc_02.md"  # still answered by the complete old index

        report = engine.index_library(lib)
        assert not report.cancelled and report.files_indexed > 0
        now = engine.answering_from()
        assert now["previous"] is False and now["collection"] == engine.collection
        assert _bm25_files(engine, "京都")[0] == "kyoto.md"
        assert "tokyo.md" not in _bm25_files(engine, "京都")
        assert _bm25_files(engine, "パーティション")[0] == "partition.md"
        assert _bm25_files(engine, "ZX1Q2")[0] == "doc_01.md"

    names = [name for name, _model, _dims in ChunkStore.existing_indexes(config.milvus_uri)]
    assert names == [now["collection"]]  # the old layout's collection was dropped once its successor answered
