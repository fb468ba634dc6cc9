"""Shift_JIS/CP932, EUC-JP and ISO-2022-JP decode to the original text, short or long; other legacy text still does."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest.loaders import load_document
from engine.ingest.sniff import decode_bytes

SHORT = "会議メモ\n明日の会議は午後三時からです。\n"
ONE_LINE = "仕様書です。"
MIXED = "Milvusの設定ファイル\nport: 19530\n"
LONG = (
    "Milvusは、Apache 2.0ライセンスの下で配布されているオープンソースプロジェクトです。"
    "貢献者の多くは、大規模システムの構築やハードウェアを考慮したコードの最適化を専門とする専門家です。\n"
) * 40
ENCODINGS = ("cp932", "shift_jis", "euc_jp", "iso2022_jp")


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", [SHORT, ONE_LINE, MIXED, LONG], ids=["short", "one_line", "mixed", "long"])
def test_japanese_legacy_encodings_decode_to_the_original(text: str, encoding: str) -> None:
    # charset-normalizer alone read the short EUC-JP text as GB18030 ("柴的メモ") and ISO-2022-JP as ASCII with ESCs.
    assert decode_bytes(text.encode(encoding)) == text


def test_half_width_katakana_in_iso2022_jp_ext_and_sjis() -> None:
    text = "ｶﾀｶﾅのメモです。"
    assert decode_bytes(text.encode("iso2022_jp_ext")) == text
    assert decode_bytes(text.encode("cp932")) == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("我们今天去北京参加会议，讨论项目的进展情况。" * 3, "gb18030"),
        ("Привет, как дела? Всё хорошо, спасибо.", "cp1251"),
        ("Ein Mädchen aß Grüße und Äpfel.", "cp1252"),
    ],
)
def test_other_legacy_text_is_not_taken_for_japanese(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_seven_bit_text_without_japanese_escapes_stays_ascii() -> None:
    assert decode_bytes(b"plain \x1b[1mbold\x1b[0m text") == "plain \x1b[1mbold\x1b[0m text"


@pytest.mark.parametrize("suffix", [".txt", ".md"])
@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "iso2022_jp"])
def test_loaders_read_japanese_files(tmp_path: Path, suffix: str, encoding: str) -> None:
    for name, text in (("short", SHORT), ("long", "# 見出し\n\n" + LONG)):
        path = tmp_path / f"{name}{suffix}"
        path.write_bytes(text.encode(encoding))
        assert load_document(path).text == text
