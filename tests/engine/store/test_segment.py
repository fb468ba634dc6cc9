"""Word segmentation for BM25, and Japanese keyword search end to end on a real Milvus Lite."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from engine.store.chunk_store import ChunkStore
from engine.store.segment import segment
from tests.engine.store.test_chunk_store import DIMS, MODEL, make_chunk


def words(text: str) -> list[str]:
    """The terms BM25 indexes: Milvus Lite's standard tokenizer is a `\\w+` regex over the segmented text."""
    return re.findall(r"\w+", segment(text))


def test_english_passes_through_untouched() -> None:
    text = "Set max_length on a VARCHAR field; try it, e.g. with 3 fields."
    assert segment(text) is text


def test_tokyo_to_is_one_word_and_not_kyoto() -> None:
    assert "東京都" in words("東京都に住んでいます")
    assert "京都" not in words("東京都に住んでいます")
    assert "京都" in words("京都へ行きます")


def test_katakana_words_stay_whole() -> None:
    found = words("コレクションとパーティションを作成します")
    assert "コレクション" in found and "パーティション" in found
    assert "作成" in found


def test_particles_auxiliaries_and_punctuation_are_dropped() -> None:
    found = words("データは、ディスクに保存されました。")
    assert "データ" in found and "ディスク" in found and "保存" in found
    assert not {"は", "に", "た", "、", "。"} & set(found)


def test_english_identifiers_inside_japanese_stay_as_they_were() -> None:
    found = words("max_length を 10 にした VARCHAR フィールドでtry文を使います")
    assert {"max_length", "10", "VARCHAR", "try", "フィールド"} <= set(found)


def test_full_width_digits_and_letters_fold() -> None:
    assert words("１２３個のＡＢＣ") == words("123個のABC")
    assert "123" in words("１２３個") and "ABC" in words("ＡＢＣです")


def test_inflected_forms_meet_in_one_normalised_form() -> None:
    assert set(words("検索を実行しました")) == set(words("検索を実行する"))


def test_non_japanese_unicode_is_only_width_folded() -> None:
    assert segment("Ｍｉｌｖｕｓ café") == "Milvus café"


def test_threads_segment_alike() -> None:
    text = "ベクトル検索はコレクションのパーティションごとに実行されます。" * 20
    expected = segment(text)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(segment(text))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


@pytest.fixture
def store(tmp_path: Path):
    s = ChunkStore(str(tmp_path / "milvus.db"), dims=DIMS, model_name=MODEL)
    s.open()
    yield s
    s.close()


def test_japanese_bm25_on_milvus_lite(store: ChunkStore) -> None:
    docs = {
        "/lib/tokyo.md": "東京都の人口は約1400万人です。都庁は新宿にあります。",
        "/lib/kyoto.md": "京都には古い寺がたくさんあります。",
        "/lib/partition.md": "パーティションを作成すると検索が速くなりました。max_length は１０バイトです。",
        "/lib/english.md": "Partitions make search faster when you filter by partition key.",
    }
    store.insert_chunks([make_chunk(path, 0, text) for path, text in docs.items()], None)
    store.flush(force=True)

    def paths(query: str) -> list[str]:
        return [h.chunk.path for h in store.search_bm25(query, 5)]

    assert paths("京都のお寺") == ["/lib/kyoto.md"]  # not tokyo.md: 東京都 is its own word
    assert paths("東京都の人口は？") == ["/lib/tokyo.md"]
    assert paths("パーティションを作成したい")[0] == "/lib/partition.md"
    assert paths("max_length 10")[0] == "/lib/partition.md"  # the identifier and the folded digits match
    assert paths("partition key") == ["/lib/english.md"]
    assert paths("はをに") == []  # only particles: nothing to search for
    assert store.chunks_by_ids([make_chunk("/lib/tokyo.md", 0, "").id])[0].text == docs["/lib/tokyo.md"]
