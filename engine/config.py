"""EngineConfig: every setting the engine needs, resolved once and passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_EMBED_MODEL = "Qwen/Qwen3-Embedding-0.6B"
DEFAULT_RERANK_MODEL = "Qwen/Qwen3-Reranker-0.6B"
DEFAULT_TASK = "Given a web search query, retrieve relevant passages that answer the query"
DEFAULT_LLM_MODEL = "gpt-4o"
APP_NAME = "Tansaku"
# Reranking budgets (seconds per search). CPU: the 0.6B reranker scored 20 FAQ candidates in 27.7 s p50 on a 2-core
# CPU (issue 17), ~1.4 s a pair, so 3 s ranks the fused top 2 and keeps search (0.26 s) + ranking + the first answer
# token under the 5 s goal; a slower or busier CPU still ranks its first pair (the first batch always runs).
# GPU: unmeasured here (no GPU in this session); 1 s is expected to cover all 20 candidates in 3 batches of 8 on any
# recent GPU and caps an old one. Re-check both with python -m tests.perf.bench_query_latency.
RERANK_BUDGET_CPU_S = 3.0
RERANK_BUDGET_GPU_S = 1.0


def default_data_dir() -> Path:
    """TANSAKU_DATA_DIR if set, else the platform's user data dir (platformdirs)."""
    env = os.environ.get("TANSAKU_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class EngineConfig:
    """Frozen settings; use `with_changes` to derive a variant."""

    data_dir: Path = field(default_factory=default_data_dir)
    # Store: None means Milvus Lite at data_dir/milvus.db; else a Milvus server/Zilliz URI.
    store_uri: str | None = None
    # A token for this session only (the CLI's --token, a token typed where no keyring exists); hidden from repr.
    # None: the engine reads TANSAKU_STORE_TOKEN or the OS keyring when it connects (engine.answer.secrets).
    store_token: str | None = field(default=None, repr=False)
    # Embedding
    embed_model: str = DEFAULT_EMBED_MODEL
    device: str = "auto"  # auto, cpu, cuda, mps
    dims: int | None = None  # None: the model's full dimension; else Matryoshka truncation
    embed_batch_size: int = 16
    cpu_fast_path: str = "auto"  # auto (int8 with VNNI, else bf16 with bf16 hardware, else fp32)
    # The embedder's runtime on a CPU: torch, or openvino (converted once per model and precision, the precision being
    # cpu_fast_path's choice; falls back to torch on any failure or where it has no wheel). auto: torch, see
    # runtime_choice.
    cpu_runtime: str = "auto"
    query_task: str = DEFAULT_TASK
    # Chunking
    chunk_tokens: int = 512
    chunk_overlap_tokens: int = 76  # ~15%
    max_file_bytes: int = 100 * 1024 * 1024
    file_timeout_s: float = 120.0
    # Retrieval
    candidates: int = 20
    top_n: int = 5
    fusion: str = "weighted"  # weighted (min-max normalised) or rrf; weighted won on milvus-docs dev and SciFact
    rrf_k: int = 60
    dense_weight: float = 0.5
    bm25_weight: float = 0.5
    rerank: bool = True
    rerank_model: str = DEFAULT_RERANK_MODEL
    rerank_instruction: str = DEFAULT_TASK
    rerank_max_doc_tokens: int = 512
    rerank_batch_size: int = 8
    # Seconds the reranker may spend on one search, by the device it runs on; None or 0: no limit (see
    # rerank_budget_for). Candidates are scored in fused order until it is spent; the rest keep their fused order.
    rerank_budget_cpu_s: float | None = RERANK_BUDGET_CPU_S
    rerank_budget_gpu_s: float | None = RERANK_BUDGET_GPU_S
    rerank_cache_size: int = 4096  # (query, passage) scores kept for repeated questions; 0 turns the cache off
    # Answers
    llm_model: str = DEFAULT_LLM_MODEL
    llm_base_url: str | None = None
    llm_timeout_s: float = 60.0
    llm_max_context_chars: int = 24000
    # Earlier turns sent with a follow-up, newest first: a quarter of the sources' budget (~1500 tokens) holds the
    # last three or four concise answers, enough to resolve "it" and "there", without crowding out the sources.
    llm_history_chars: int = 6000
    llm_rewrite: bool = True  # rewrite follow-ups into a standalone search query with one short LLM request
    abstain_threshold: float = 0.05
    # Exclusions (gitignore-style) applied on top of the defaults
    excludes: tuple[str, ...] = ()

    def with_changes(self, **changes: Any) -> EngineConfig:
        return replace(self, **changes)

    def rerank_budget_for(self, device: str) -> float | None:
        """The reranking budget in seconds for a reranker on `device` (cpu, cuda[:N], mps); None: no limit."""
        budget = self.rerank_budget_cpu_s if device == "cpu" else self.rerank_budget_gpu_s
        return budget if budget is not None and budget > 0 else None

    @property
    def milvus_uri(self) -> str:
        return self.store_uri or str(self.data_dir / "milvus.db")

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
