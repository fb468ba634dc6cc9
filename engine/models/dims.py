"""An embedding model's output dimension without its weights, so that text can be stored before the model arrives.

The store's collection is named and shaped by (model, dimension); knowing the dimension from the model's id or its
config files lets keyword search start on a machine where the weights are not downloaded yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.models.model_files import cached_snapshot, is_hf_id

# The published Qwen3-Embedding sizes (their model cards): full output dimension per id.
KNOWN_DIMS = {
    "Qwen/Qwen3-Embedding-0.6B": 1024,
    "Qwen/Qwen3-Embedding-4B": 2560,
    "Qwen/Qwen3-Embedding-8B": 4096,
}
_DENSE = "sentence_transformers.models.Dense"


def dims_without_weights(model: str, cache_dir: Path, dims_setting: int | None = None) -> int | None:
    """The dimension `model` will produce (after Matryoshka truncation to `dims_setting`), or None when unknown.

    Reads no weights and never touches the network: a dims setting wins (the embedder truncates to it and refuses
    a model narrower than that on load), then the known Qwen3 ids, then a local folder's or cached snapshot's
    config files.
    """
    if dims_setting is not None:
        return dims_setting
    model = (model or "").strip()
    if model in KNOWN_DIMS:
        return KNOWN_DIMS[model]
    if not model:
        return None
    folder = cached_snapshot(model, Path(cache_dir)) if is_hf_id(model) else Path(model).expanduser()
    return folder_dims(folder) if folder is not None else None


def folder_dims(folder: Path) -> int | None:
    """A sentence-transformers folder's output dimension: its last Dense layer's out_features, else hidden_size."""
    dense = _last_dense_out(folder)
    if dense is not None:
        return dense
    size = _read_json(folder / "config.json").get("hidden_size")
    return size if isinstance(size, int) and size > 0 else None


def _last_dense_out(folder: Path) -> int | None:
    modules = _read_json_list(folder / "modules.json")
    out = None
    for module in modules:
        if not isinstance(module, dict) or module.get("type") != _DENSE:
            continue
        size = _read_json(folder / str(module.get("path", "")) / "config.json").get("out_features")
        if isinstance(size, int) and size > 0:
            out = size
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []
