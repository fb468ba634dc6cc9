"""Chinese (Han without kana) keyword search through the segmenter is not worse than before: tests/quality/chinese.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.store.segment import segment
from tests.quality.chinese import han_bigrams, score, unsegmented

pytestmark = [pytest.mark.quality]

# Measured (python -m tests.quality.chinese): unsegmented hit@1 0.000, SudachiPy 1.000, Han bigrams 1.000.


def test_chinese_bm25_finds_what_the_unsegmented_field_missed(tmp_path: Path) -> None:
    (hit1, mrr), (old_hit1, _) = score(segment, tmp_path / "new"), score(unsegmented, tmp_path / "old")
    bigram_hit1, _ = score(han_bigrams, tmp_path / "bigrams")
    assert hit1 >= max(old_hit1, 0.75) and mrr >= 0.8
    assert hit1 >= bigram_hit1 - 0.125  # within one question of character bigrams, the other candidate
