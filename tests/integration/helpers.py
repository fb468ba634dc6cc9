"""Helpers for end-to-end tests: an engine on tiny models in a tmp data dir, store snapshots."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.config import EngineConfig
from engine.engine import Engine


def tiny_config(data_dir: Path, tiny, **changes) -> EngineConfig:
    base = dict(
        data_dir=data_dir,
        embed_model=str(tiny.embed_dir),
        rerank_model=str(tiny.rerank_dir),
        device="cpu",
        chunk_tokens=64,
        chunk_overlap_tokens=8,
        embed_batch_size=8,
    )
    base.update(changes)
    return EngineConfig(**base)


def open_engine(config: EngineConfig) -> Engine:
    engine = Engine(config)
    engine.open()
    return engine


def snapshot(engine: Engine) -> dict[str, tuple[str, str]]:
    """Every stored chunk as id -> (path, text): what 'the store equals a clean index' compares."""
    store = engine.store()
    return {c.id: (c.path, c.text) for c in store.iter_chunks()}


def write_library(root: Path, n_files: int = 6, paragraphs: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    topics = ["vector search", "object storage", "index building", "query nodes", "segments", "consistency"]
    for i in range(n_files):
        topic = topics[i % len(topics)]
        body = [f"# Notes on {topic} number {i}\n"]
        for j in range(paragraphs):
            body.append(
                f"## Part {j}\n\nParagraph {j} of file {i} explains {topic} in detail. "
                f"Milvus keeps data in {topic} and the identifier ZX{i}Q{j} marks this exact passage.\n"
            )
        (root / f"doc_{i:02d}.md").write_text("\n".join(body), encoding="utf-8")
    return root


def cli_index_command(library: Path, data_dir: Path, tiny) -> list[str]:
    """`tansaku index` on the tiny embedder as a subprocess command line (for tests that kill it)."""
    return [
        sys.executable,
        "-m",
        "engine.cli",
        "index",
        str(library),
        "--data-dir",
        str(data_dir),
        "--embed-model",
        str(tiny.embed_dir),
        "--device",
        "cpu",
    ]
