"""Find model files: a local folder as is, else a Hugging Face id from the app's cache, downloaded on first use."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.cancel import CancelToken
from engine.errors import Cancelled, ModelLoadError

ProgressCallback = Callable[[int, int], None]

# "org/name" with Hugging Face's allowed characters; anything else that does not exist is a missing folder.
_HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_hf_id(model: str) -> bool:
    """True when `model` reads as a Hugging Face repo id rather than a folder path."""
    return bool(_HF_ID.match(model)) and not Path(model).expanduser().exists()


def _how_to_supply(model: str) -> str:
    return (
        f"Download it on a connected machine (huggingface-cli download {model} --local-dir DIR) "
        "and choose that folder in Settings or pass the folder instead of the model id "
        "(--embed-model DIR / --rerank-model DIR)."
    )


def _check_folder(folder: Path, model: str) -> Path:
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"Model folder {str(folder)!r} has no config.json, so it is not a Hugging Face model folder"
            f"{'' if str(folder) == model else f' (for {model!r})'}. Choose the folder that contains config.json."
        )
    return folder


def _local_folder(model: str) -> Path:
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ModelLoadError(f"Model folder {model!r} does not exist or is not a folder.")
    return _check_folder(folder.resolve(), model)


def cached_snapshot(model: str, cache_dir: Path) -> Path | None:
    """The complete cached snapshot of a Hugging Face id in cache_dir, or None; never touches the network."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, cache_dir=str(cache_dir), local_files_only=True))
    except Exception:  # any failure here means "not usable from the cache"
        return None


def is_model_available(model: str, cache_dir: Path) -> bool:
    """True when `model` can be loaded without the network (a valid local folder or a cached snapshot)."""
    if not is_hf_id(model):
        folder = Path(model).expanduser()
        return (folder / "config.json").is_file()
    snapshot = cached_snapshot(model, Path(cache_dir))
    return snapshot is not None and (snapshot / "config.json").is_file()


def model_download_size(model: str) -> int | None:
    """Total bytes of the repo's files (best effort); None offline, for folders, or on any Hub error."""
    if not is_hf_id(model):
        return None
    try:
        from huggingface_hub import HfApi

        info = HfApi().model_info(model, files_metadata=True, timeout=10)
        sizes = [s.size for s in info.siblings or [] if s.size is not None]
        return sum(sizes) if sizes else None
    except Exception:  # sizes are informative only
        return None


def resolve_model(
    model_id_or_dir: str,
    *,
    cache_dir: Path,
    download: bool = True,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """A folder holding config.json for `model_id_or_dir`, downloading a Hugging Face id on first use."""
    model = (model_id_or_dir or "").strip()
    if not model:
        raise ModelLoadError("No model was given: set a Hugging Face id or a local model folder.")
    if not is_hf_id(model):
        return _local_folder(model)
    snapshot = cached_snapshot(model, Path(cache_dir))
    if snapshot is not None:
        return _check_folder(snapshot, model)
    if not download:
        raise ModelLoadError(f"Model {model!r} is not downloaded yet. {_how_to_supply(model)}")
    return _check_folder(_download(model, Path(cache_dir), on_progress, cancel), model)


def _download(model: str, cache_dir: Path, on_progress: ProgressCallback | None, cancel: CancelToken | None) -> Path:
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    if constants.HF_HUB_OFFLINE:
        raise ModelLoadError(
            f"Model {model!r} is not downloaded and cannot be fetched (offline mode: HF_HUB_OFFLINE is set). "
            + _how_to_supply(model)
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        folder = snapshot_download(
            model, cache_dir=str(cache_dir), tqdm_class=progress_bar_class(on_progress, cancel), max_workers=4
        )
    except Cancelled:
        raise
    except (GatedRepoError, RepositoryNotFoundError) as exc:
        raise ModelLoadError(
            f"Model {model!r} was not found on Hugging Face (or needs a login): {exc.__class__.__name__}. "
            "Check the model id, or choose a local model folder in Settings."
        ) from exc
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, OSError) as exc:
        raise ModelLoadError(
            f"Model {model!r} is not downloaded and cannot be fetched (no network). " + _how_to_supply(model)
        ) from exc
    except Exception as exc:  # httpx/requests errors differ by huggingface_hub version
        raise ModelLoadError(f"Downloading model {model!r} failed: {exc}. " + _how_to_supply(model)) from exc
    return Path(folder)


class _ByteTotals:
    """Sums byte progress across the download's progress bars and reports it; cancels by raising."""

    def __init__(self, on_progress: ProgressCallback | None, cancel: CancelToken | None) -> None:
        self.on_progress = on_progress
        self.cancel = cancel
        self.lock = threading.Lock()
        self.bars: dict[int, tuple[int, int]] = {}

    def check(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled("model download cancelled")

    def report(self, bar_id: int, done: int, total: int) -> None:
        with self.lock:
            self.bars[bar_id] = (done, total)
            # Several bars count the same bytes (transfer vs. written); the furthest one is the truth for the user.
            best_done = max(d for d, _ in self.bars.values())
            best_total = max(t for _, t in self.bars.values())
        if self.on_progress is not None:
            self.on_progress(best_done, max(best_total, best_done))


def progress_bar_class(on_progress: ProgressCallback | None, cancel: CancelToken | None) -> type[Any]:
    """A silent tqdm subclass for huggingface_hub that forwards byte counts and raises Cancelled when asked."""
    from tqdm.auto import tqdm

    totals = _ByteTotals(on_progress, cancel)

    class _ProgressBar(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            self._is_bytes = kwargs.get("unit") == "B"
            self._done = int(kwargs.get("initial") or 0)
            super().__init__(*args, **kwargs)
            totals.check()

        def update(self, n: float | None = 1) -> bool | None:
            totals.check()
            self._done += int(n or 0)
            if self._is_bytes:
                totals.report(id(self), self._done, int(self.total or 0))
            return None

    return _ProgressBar


def hidden_size(folder: Path) -> int | None:
    """The model's hidden size from the folder's config.json, or None where that is missing or unreadable."""
    try:
        size = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("hidden_size")
    except (OSError, ValueError, AttributeError):
        return None
    return size if isinstance(size, int) else None
