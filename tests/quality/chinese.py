"""Chinese keyword search (Han text without kana): a handful of documents and paraphrased questions.

    python -m tests.quality.chinese

Prints hit@1 / MRR for BM25 on Milvus Lite with the text as Milvus's standard analyzer saw it before segmentation
("unsegmented": each run of Han characters is one term), with engine.store.segment (SudachiPy, what the engine
uses), and with Han character bigrams, so the choice for Chinese rests on a measurement, not a guess.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.store import chunk_store, rows
from engine.store.chunk_store import ChunkStore
from engine.store.segment import segment
from engine.types import Chunk

DOCS = {
    "collection.md": "创建集合时需要定义模式，模式包括主键字段和向量字段。集合创建后可以插入实体数据。",
    "partition.md": "分区是集合的子集。使用分区键可以让搜索只扫描相关的分区，从而提高查询性能。",
    "index.md": "向量索引决定搜索的速度和召回率。HNSW 索引占用更多内存，但查询延迟很低。",
    "storage.md": "Milvus 把数据持久化到对象存储中，例如 MinIO 或 S3。删除实体后，磁盘空间会在压缩后释放。",
    "consistency.md": "一致性级别包括强一致、有界一致和最终一致。强一致性保证读到最新写入的数据。",
    "lite.md": "Milvus Lite 是一个轻量级的 Python 库，适合在笔记本电脑上做原型开发和小规模测试。",
    "backup.md": "备份工具可以把集合导出到另一个存储桶，恢复时再把数据导入新的实例。",
    "gpu.md": "GPU 索引可以加速大规模向量检索，但需要安装支持 CUDA 的版本并配置显卡资源。",
}
QUESTIONS = {
    "怎样定义集合的主键和向量字段？": "collection.md",
    "分区键能提高查询性能吗？": "partition.md",
    "哪种索引内存占用高但是延迟低？": "index.md",
    "删除数据以后磁盘空间什么时候释放？": "storage.md",
    "强一致性能读到最新的写入吗？": "consistency.md",
    "在笔记本上做原型应该用什么？": "lite.md",
    "如何把集合导出到别的存储桶并恢复？": "backup.md",
    "用显卡加速检索需要安装什么版本？": "gpu.md",
}
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def unsegmented(text: str) -> str:
    return text


def han_bigrams(text: str) -> str:
    """Every pair of neighbouring Han characters as a term (a single character stays itself)."""
    return _HAN_RUN.sub(lambda m: " " + " ".join(_pairs(m.group())) + " ", text)


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


VARIANTS: dict[str, Callable[[str], str]] = {
    "unsegmented (before)": unsegmented,
    "SudachiPy (engine.store.segment)": segment,
    "Han bigrams": han_bigrams,
}


@contextmanager
def segmenter(function: Callable[[str], str]) -> Iterator[None]:
    """Swap the function documents and queries go through (both modules bind the name at import)."""
    saved = rows.segment, chunk_store.segment
    rows.segment = chunk_store.segment = function
    try:
        yield
    finally:
        rows.segment, chunk_store.segment = saved


def score(function: Callable[[str], str], work: Path) -> tuple[float, float]:
    """(hit@1, MRR) of BM25 over DOCS for QUESTIONS with `function` as the segmenter."""
    with segmenter(function):
        store = ChunkStore(str(work / "milvus.db"), dims=2, model_name="chinese-check")
        store.open()
        try:
            chunks = [_chunk(name, text) for name, text in DOCS.items()]
            store.insert_chunks(chunks, None)
            store.flush(force=True)
            hits1, rr = 0.0, 0.0
            for question, answer in QUESTIONS.items():
                ranked = [Path(h.chunk.path).name for h in store.search_bm25(question, 5)]
                hits1 += ranked[:1] == [answer]
                rr += 1.0 / (ranked.index(answer) + 1) if answer in ranked else 0.0
        finally:
            store.close()
    return hits1 / len(QUESTIONS), rr / len(QUESTIONS)


def _chunk(name: str, text: str) -> Chunk:
    return Chunk(f"zh-{name}", "/zh", f"/zh/{name}", 0, text, 0, len(text), None, (), "00" * 32)


def main() -> int:
    print(f"Chinese BM25, {len(DOCS)} documents, {len(QUESTIONS)} paraphrased questions, Milvus Lite")
    print("| segmenter | hit@1 | MRR@5 |\n| --- | --- | --- |")
    for label, function in VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="zh-bm25-") as work:
            hit1, mrr = score(function, Path(work))
        print(f"| {label} | {hit1:.3f} | {mrr:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
