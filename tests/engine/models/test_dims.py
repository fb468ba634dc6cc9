"""The embedding dimension without weights: known ids, config files, a Dense head, the dims setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.models.dims import KNOWN_DIMS, dims_without_weights, folder_dims


def _folder(root: Path, hidden: int, dense: list[int] = ()) -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"hidden_size": hidden}), encoding="utf-8")
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]
    for n, out in enumerate(dense, start=2):
        path = f"{n}_Dense"
        (root / path).mkdir()
        (root / path / "config.json").write_text(json.dumps({"in_features": hidden, "out_features": out}))
        modules.append({"idx": n, "name": str(n), "path": path, "type": "sentence_transformers.models.Dense"})
    (root / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    return root


@pytest.mark.parametrize(("model", "dims"), [(m, d) for m, d in KNOWN_DIMS.items()])
def test_qwen3_ids_are_known_without_a_download(tmp_path, model, dims):
    assert dims_without_weights(model, tmp_path / "empty-cache") == dims


def test_the_dims_setting_wins_because_vectors_are_truncated_to_it(tmp_path):
    assert dims_without_weights("Qwen/Qwen3-Embedding-4B", tmp_path, 256) == 256
    assert dims_without_weights(str(tmp_path / "absent"), tmp_path, 64) == 64


def test_a_local_folder_tells_its_hidden_size(tmp_path):
    folder = _folder(tmp_path / "m", 384)
    assert dims_without_weights(str(folder), tmp_path / "cache") == 384


def test_a_dense_head_sets_the_output_dimension(tmp_path):
    assert folder_dims(_folder(tmp_path / "m", 768, dense=[512, 256])) == 256


def test_unknown_when_nothing_tells(tmp_path):
    assert dims_without_weights("someone/unknown-model", tmp_path / "cache") is None
    assert dims_without_weights(str(tmp_path / "absent"), tmp_path / "cache") is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    assert folder_dims(broken) is None


@pytest.mark.slow
def test_matches_what_the_loaded_tiny_model_reports(tiny_models, tmp_path):
    from engine.models.embedder import Embedder

    embedder = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32")
    assert dims_without_weights(str(tiny_models.embed_dir), tmp_path) == embedder.dimension
