from engine.models.script_probe import scripts_in


def test_scripts_in_tells_japanese_chinese_and_korean_apart() -> None:
    assert scripts_in("Where does Milvus store data?") == set()
    assert scripts_in("common.usePartitionKeyAsClusteringKey とは") == {"ja"}
    assert scripts_in("東京都の天気") == {"ja"}  # kana with kanji: Japanese
    assert scripts_in("ｶﾀｶﾅ") == {"ja"}  # half-width katakana
    assert scripts_in("图书馆周末举办故事会") == {"zh"}  # Han without kana
    assert scripts_in("검색 결과") == {"ko"}
