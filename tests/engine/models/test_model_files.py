"""Model resolution: local folders, the app's Hugging Face cache, offline failures, download progress and cancel."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.cancel import CancelToken
from engine.errors import Cancelled, ModelLoadError
from engine.models.model_files import (
    is_hf_id,
    is_model_available,
    model_download_size,
    progress_bar_class,
    resolve_model,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_hf_cache(cache_dir: Path, repo_id: str, files: dict[str, str]) -> Path:
    """Lay out a snapshot the way huggingface_hub caches it (refs/main -> snapshots/<commit>)."""
    storage = cache_dir / f"models--{repo_id.replace('/', '--')}"
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / "main").write_text(COMMIT)
    snapshot = storage / "snapshots" / COMMIT
    for name, text in files.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_text(text)
    return snapshot


def test_is_hf_id_tells_ids_from_paths(tmp_path: Path) -> None:
    assert is_hf_id("Qwen/Qwen3-Embedding-0.6B")
    assert not is_hf_id(str(tmp_path))
    assert not is_hf_id("/models/qwen")
    assert not is_hf_id("a/b/c")
    assert not is_hf_id("C:\\models\\qwen")


def test_local_folder_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path), cache_dir=tmp_path / "cache") == tmp_path.resolve()
    assert is_model_available(str(tmp_path), tmp_path / "cache")


def test_folder_without_config_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="config.json"):
        resolve_model(str(tmp_path), cache_dir=tmp_path / "cache")
    assert not is_model_available(str(tmp_path), tmp_path / "cache")


def test_missing_folder_is_rejected(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model"
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model(str(missing), cache_dir=tmp_path / "cache")


def test_cached_hf_id_resolves_offline(tmp_path: Path) -> None:
    snapshot = fake_hf_cache(tmp_path, "acme/tiny", {"config.json": "{}", "tokenizer.json": "{}"})
    assert resolve_model("acme/tiny", cache_dir=tmp_path, download=False) == snapshot
    assert is_model_available("acme/tiny", tmp_path)


def test_cached_snapshot_without_config_is_rejected(tmp_path: Path) -> None:
    fake_hf_cache(tmp_path, "acme/broken", {"README.md": "no weights here"})
    with pytest.raises(ModelLoadError, match="config.json"):
        resolve_model("acme/broken", cache_dir=tmp_path)


def test_not_downloaded_without_download_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as info:
        resolve_model("Qwen/Qwen3-Embedding-0.6B", cache_dir=tmp_path, download=False)
    message = str(info.value)
    assert "Qwen/Qwen3-Embedding-0.6B" in message
    assert "--local-dir" in message
    assert not is_model_available("Qwen/Qwen3-Embedding-0.6B", tmp_path)


def test_offline_unknown_id_fails_fast_with_instructions(tmp_path: Path) -> None:
    """A fresh process with HF_HUB_OFFLINE=1 (read at import) must fail at once, naming the model and the fix."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from engine.errors import ModelLoadError
        from engine.models.model_files import resolve_model
        try:
            resolve_model("nobody-here/no-such-model-xyz", cache_dir=Path({str(tmp_path)!r}))
        except ModelLoadError as exc:
            print("ERROR:", exc)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR:" in done.stdout
    assert "nobody-here/no-such-model-xyz" in done.stdout
    assert "cannot be fetched" in done.stdout
    assert "--local-dir" in done.stdout


def test_download_size_is_none_offline_or_for_folders(tmp_path: Path) -> None:
    assert model_download_size(str(tmp_path)) is None
    assert model_download_size("nobody-here/no-such-model-xyz") is None  # offline in tests


def test_progress_bar_reports_bytes_and_ignores_file_counts() -> None:
    seen: list[tuple[int, int]] = []
    bar_class = progress_bar_class(lambda done, total: seen.append((done, total)), None)
    files = bar_class(total=3, desc="Fetching 3 files")
    files.update(1)
    assert seen == []
    data = bar_class(total=1000, unit="B", unit_scale=True, name="huggingface_hub.snapshot_download")
    data.update(400)
    data.update(600)
    assert seen == [(400, 1000), (1000, 1000)]


def test_progress_bar_cancels_a_download() -> None:
    token = CancelToken()
    bar = progress_bar_class(None, token)(total=1000, unit="B")
    bar.update(10)
    token.cancel()
    with pytest.raises(Cancelled):
        bar.update(10)
    with pytest.raises(Cancelled):
        progress_bar_class(None, token)(total=5, unit="B")


def test_hidden_size_reads_config_json_and_tolerates_what_is_not_there(tmp_path: Path) -> None:
    from engine.models.model_files import hidden_size

    assert hidden_size(tmp_path) is None  # no config.json
    (tmp_path / "config.json").write_text('{"hidden_size": 1024}')
    assert hidden_size(tmp_path) == 1024
    (tmp_path / "config.json").write_text("[1, 2]")
    assert hidden_size(tmp_path) is None
