"""What the window says about the models and the index, in one place, so the banner, the status bar and the answer
to a question never contradict each other or promise what the current state cannot do.

The state is two things: the models (ModelsView: the embedder's state, and the reranker's beside it) and the index
(IndexSummary, from the library rows). Every sentence here is chosen from both.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.i18n import translate
from desktop.words import model_name, size

if TYPE_CHECKING:  # the controllers import this module (answers); it only reads their views
    from desktop.controller import ModelsView
    from desktop.library_controller import LibraryView

BUSY_STATES = ("indexing", "queued", "paused")


@dataclass(frozen=True)
class IndexSummary:
    """The libraries as far as searching is concerned."""

    libraries: int = 0
    chunks: int = 0  # rows stored: keyword search finds them, whatever the embedder's state
    busy: bool = False  # a library is being read or embedded, or queued for it
    waiting: bool = False  # a library waits for the embedding model before anything can be stored
    previous: bool = False  # an older index answers while this one is rebuilt (new model, new index layout)

    @property
    def searchable(self) -> bool:
        return self.chunks > 0 or self.previous

    @property
    def state(self) -> str:
        """none (no library), waiting, indexing or ready."""
        if not self.libraries:
            return "none"
        if self.busy:
            return "indexing"
        if self.waiting:
            return "waiting"
        return "ready"


def summarise(views: Sequence[LibraryView], status: dict | None = None) -> IndexSummary:
    """From the library rows, and the engine's status (which index answers)."""
    chunks = 0
    for view in views:
        stored = view.info.chunks if view.info is not None else 0
        if view.progress is not None:  # the row's counts are refreshed after a run; its progress is live
            progress = view.progress
            stored = max(stored, progress.chunks_total, 1 if progress.files_done else 0)
        chunks += stored
    return IndexSummary(
        libraries=len(views),
        chunks=chunks,
        busy=any(v.state in BUSY_STATES for v in views),
        waiting=any(v.state == "waiting" for v in views),
        previous=bool(((status or {}).get("answering_from") or {}).get("previous")),
    )


def keyword_works(models: ModelsView, index: IndexSummary) -> bool:
    """Whether text can be stored (and so keyword-searched) before the embedding model is here."""
    return models.keyword_first and not index.waiting


# -- banner --------------------------------------------------------------------------------------
def keyword_hint(models: ModelsView, index: IndexSummary) -> str:
    """The sentence that says what works while the embedding model is missing, true for the index as it is."""
    if not keyword_works(models, index):
        return translate(
            "StateWords", "Nothing can be searched until the embedding model is here: the index is built with it."
        )
    if index.chunks and index.busy:
        return translate("StateWords", "Keyword search already works on the files read so far.")
    if index.chunks:
        return translate("StateWords", "Keyword search works on your folders meanwhile.")
    if index.libraries:
        return translate("StateWords", "Keyword search starts as soon as your folders are read.")
    return translate("StateWords", "Meanwhile, add a folder: keyword search works as soon as its files are read.")


def missing_models_html(models: ModelsView) -> str:
    return ", ".join(f"<b>{html.escape(model_name(c.model))}</b> ({size(c.download_bytes)})" for c in models.missing)


def banner_html(models: ModelsView, index: IndexSummary) -> str:
    """The banner above the chat; "" when there is nothing to say."""
    state = models.state
    hint = keyword_hint(models, index)
    if state == "missing":
        note = f"{html.escape(models.message)} " if models.message and models.cancelled else ""
        return note + translate(
            "StateWords",
            "Tansaku needs its language models on this computer: {models}. Download them once (an interrupted "
            "download resumes), or use folders you already have. {hint}",
        ).format(models=missing_models_html(models), hint=hint)
    if state == "downloading":
        if models.download is None:
            return translate("StateWords", "Starting the download…") + " " + hint
        return download_progress_html(models.download) + " " + hint
    if state == "loading":
        return translate("StateWords", "Loading the models…") + " " + hint
    if state == "closed":
        return translate("StateWords", "<b>The index could not be opened.</b> {message}").format(
            message=html.escape(models.message)
        )
    if state == "error":
        return translate("StateWords", "<b>The models could not be loaded.</b> {message} {hint}").format(
            message=html.escape(models.message), hint=hint
        )
    if state == "ready":
        return reranker_banner_html(models)
    return ""


def download_progress_html(download: tuple[str, int, int]) -> str:
    """ "Downloading <model>: 120 MB of 1.2 GB", for the first-run download and the reranker's alike."""
    stage, done, total = download
    return translate("StateWords", "Downloading <b>{model}</b>: {done} of {total}").format(
        model=html.escape(model_name(stage)), done=size(done), total=size(total)
    )


def reranker_banner_html(models: ModelsView) -> str:
    """With the embedder ready, what the reranker's state means for the results."""
    fused = translate("StateWords", "Results are ranked by keyword + meaning until then.")
    if models.reranker == "missing":
        note = f"{html.escape(models.reranker_message)} " if models.reranker_message else ""
        return note + translate(
            "StateWords", "The reranker {model} is not downloaded: download it for sharper ranking. {fused}"
        ).format(model=missing_models_html(models), fused=fused)
    if models.reranker == "downloading":
        if models.download is None:
            return translate("StateWords", "Starting the reranker's download…") + " " + fused
        return download_progress_html(models.download) + " " + fused
    if models.reranker == "failed":
        return translate(
            "StateWords", "<b>The reranker could not be loaded.</b> {message} Results are ranked by keyword + meaning."
        ).format(message=html.escape(models.reranker_message))
    return ""


# -- status bar ------------------------------------------------------------------------------------
def models_label(models: ModelsView, index: IndexSummary) -> str:
    """The status bar's models label."""
    if models.state in ("missing", "downloading", "error"):
        rest = (
            translate("StateWords", "keyword search only")
            if keyword_works(models, index)
            else translate("StateWords", "nothing searchable yet")
        )
        head = {
            "missing": translate("StateWords", "Models: not downloaded"),
            "downloading": translate("StateWords", "Models: downloading…"),
            "error": translate("StateWords", "Models: failed to load"),
        }[models.state]
        return f"{head} ({rest})"
    if models.state == "ready":
        reranker = {
            "missing": translate("StateWords", "Models: ready · no reranker (ranked by keyword + meaning)"),
            "downloading": translate("StateWords", "Models: ready · downloading the reranker…"),
            "loading": translate("StateWords", "Models: ready · loading the reranker…"),
            "failed": translate("StateWords", "Models: ready · reranker failed (ranked by keyword + meaning)"),
            "off": translate("StateWords", "Models: ready · reranking off"),
        }
        return reranker.get(models.reranker, translate("StateWords", "Models: ready"))
    words = {
        "starting": translate("StateWords", "Models: starting…"),
        "checking": translate("StateWords", "Models: checking…"),
        "loading": translate("StateWords", "Models: loading…"),
        "closed": translate("StateWords", "Index: not open"),
    }
    return words.get(models.state, models.state)


# -- answers -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AskPlan:
    """How a question is handled in the current state: searched (semantic or by keywords), or told why not."""

    search: bool
    semantic: bool = True
    refusal: str = ""  # shown instead of an answer when nothing can be searched
    indexing: bool = False  # results cover only the files read so far


def ask_plan(models: ModelsView, index: IndexSummary) -> AskPlan:
    semantic = models.state == "ready"
    if index.state == "none":
        return AskPlan(
            False,
            refusal=translate(
                "StateWords", "No folders yet: add a folder (Ctrl+O, or drop it on the window), then ask again."
            ),
        )
    if not index.searchable and index.waiting and not semantic:
        return AskPlan(
            False,
            refusal=translate(
                "StateWords",
                "Nothing is searchable yet: Tansaku needs the embedding model to build the index. Download it "
                "above, or choose a model folder in Settings → Models.",
            ),
        )
    if not index.searchable and index.busy:
        return AskPlan(
            False,
            refusal=translate(
                "StateWords", "Your folders are still being read: nothing is searchable yet. Ask again in a moment."
            ),
        )
    return AskPlan(True, semantic=semantic, indexing=index.busy)


def answer_note(plan: AskPlan, found: int) -> str:
    """The line shown beside an answer that says how its passages were found, given how many were."""
    parts = []
    if not plan.semantic:
        if found:
            parts.append(
                translate(
                    "StateWords",
                    "Keyword search only: the embedding model is not loaded, so these passages were found by their "
                    "words.",
                )
            )
        else:
            parts.append(
                translate(
                    "StateWords",
                    "Keyword search only: no passage contains these words. Once the embedding model is loaded, "
                    "search by meaning may find more.",
                )
            )
    if plan.indexing:
        parts.append(translate("StateWords", "Indexing is still running: results cover the files read so far."))
    return " ".join(parts)


def device_words(view: ModelsView) -> str:
    """ "Device: CPU (int8)", "Device: CPU (OpenVINO int8)": where and how the embedder runs, for the status bar."""
    # before the models load, the device is the setting, "auto"
    device = translate("StateWords", "AUTO") if view.device == "auto" else view.device.upper()
    precision = view.fast_path or ""
    if view.cpu_runtime == "openvino":
        precision = f"OpenVINO {precision}".strip()
    shown = f"{device} ({precision})" if precision else device
    return translate("StateWords", "Device: {device}").format(device=shown)


def device_tooltip(view: ModelsView) -> str:
    """Why the embedder is not on the OpenVINO runtime the settings asked for (empty when nothing to say)."""
    if not view.cpu_runtime_note:
        return ""
    return (
        translate("StateWords", "OpenVINO could not be used, so embedding runs on PyTorch (see Settings → Models).")
        + "\n"
        + view.cpu_runtime_note
    )
