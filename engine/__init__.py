"""Tansaku engine: Qt-free indexing, retrieval and answering over local folders.

This module is the public surface for desktop/ and outside callers: import from here, not from the packages below.
Nothing here imports torch, Milvus or a model; those load inside `Engine` on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from engine.answer import secrets
from engine.answer.citations import citations_outside, cited_numbers
from engine.cancel import CancelToken
from engine.chats import (
    Chat,
    ChatStore,
    ChatSummary,
    Turn,
    chat_from_json,
    chat_to_json,
    distinct_titles,
    new_chat,
)
from engine.config import (
    APP_NAME,
    DEFAULT_EMBED_MODEL,
    RERANK_BUDGET_CPU_S,
    RERANK_BUDGET_GPU_S,
    EngineConfig,
    default_data_dir,
)
from engine.engine import Engine, normalise_library
from engine.errors import (
    Cancelled,
    ConfigError,
    EngineError,
    LLMError,
    LoaderError,
    ModelLoadError,
    StoreError,
    StoreLockedError,
)
from engine.ingest.sniff import decode_bytes
from engine.ingest.watcher import ChangeBatch, FolderWatcher
from engine.models.model_files import is_model_available, model_download_size
from engine.search.snippets import Snippet, best_snippet, highlight_spans
from engine.selftest.run import run_self_test
from engine.store.filters import SearchFilters
from engine.types import (
    Answer,
    Chunk,
    Citation,
    FileCounts,
    FileOutcome,
    Hit,
    IndexReport,
    LibraryInfo,
    Progress,
    QueryRewrite,
    Scores,
    SearchHits,
)

__all__ = [
    "APP_NAME",
    "DEFAULT_EMBED_MODEL",
    "RERANK_BUDGET_CPU_S",
    "RERANK_BUDGET_GPU_S",
    "Answer",
    "CancelToken",
    "Cancelled",
    "ChangeBatch",
    "Chat",
    "ChatStore",
    "ChatSummary",
    "Chunk",
    "Citation",
    "ConfigError",
    "Engine",
    "EngineConfig",
    "EngineError",
    "FileCounts",
    "FileOutcome",
    "FolderWatcher",
    "Hit",
    "IndexReport",
    "LLMError",
    "LibraryInfo",
    "LoaderError",
    "ModelLoadError",
    "Progress",
    "QueryRewrite",
    "decode_bytes",
    "SearchHits",
    "Scores",
    "SearchFilters",
    "Snippet",
    "StoreError",
    "StoreLockedError",
    "Turn",
    "__version__",
    "best_snippet",
    "chat_from_json",
    "chat_to_json",
    "cited_numbers",
    "citations_outside",
    "default_data_dir",
    "distinct_titles",
    "highlight_spans",
    "is_model_available",
    "model_download_size",
    "new_chat",
    "normalise_library",
    "run_self_test",
    "secrets",
]
