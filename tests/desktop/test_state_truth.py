"""Every model state x index state: the banner, the status bar, the library row and the answer to a question say
what is true. The window is real; the engine is replaced by recorded search results so that each of the 24 states
can be set exactly (the real engine paths are covered in test_models_first_run.py and test_first_run_offline.py)."""

from __future__ import annotations

import time

import pytest

from desktop.controller import ModelsView
from desktop.engine_host import ModelCheck, SearchResult
from desktop.library_controller import LibraryView
from desktop.widgets.library_panel import SUBTITLE_ROLE
from engine import Chunk, Hit, LibraryInfo, Progress, Scores
from engine.answer.policy import search_only_answer

LIB = "/home/user/notes"
EMBEDDER = ModelCheck("embedder", "Qwen/Qwen3-Embedding-0.6B", False, 1_191_000_000)
RERANKER = ModelCheck("reranker", "Qwen/Qwen3-Reranker-0.6B", False, 1_191_000_000)

MODEL_STATES = {
    "none": ModelsView("missing", missing=(EMBEDDER, RERANKER)),
    "embedder only": ModelsView("ready", reranker="missing", missing=(RERANKER,)),
    "reranker only": ModelsView("missing", missing=(EMBEDDER,)),
    "both": ModelsView("ready", reranker="ready"),
    "downloading": ModelsView(
        "downloading", missing=(EMBEDDER,), download=(EMBEDDER.model, 300_000_000, 1_191_000_000)
    ),
    "failed": ModelsView("error", "No network connection: the download needs one."),
}
SEMANTIC = {"embedder only", "both"}

READY_INFO = LibraryInfo(LIB, 20, 64, 20, 0, 0, 0, time.time() - 60)
INDEX_STATES = {
    "no library": (),
    "library waiting": (LibraryView(LIB, "queued"),),
    "indexing": (LibraryView(LIB, "indexing", progress=Progress(LIB, "storing", files_total=20, files_done=6)),),
    "ready": (LibraryView(LIB, "ready", READY_INFO),),
}

# What the banner says about searching, per model state (None: no banner) ...
BANNER = {
    "none": "needs its language models",
    "embedder only": "The reranker",
    "reranker only": "needs its language models",
    "both": None,
    "downloading": "Downloading",
    "failed": "could not be loaded",
}
# ... and the sentence on keyword search while the embedder is missing, per index state.
KEYWORD_HINT = {
    "no library": "add a folder: keyword search works as soon as its files are read",
    "library waiting": "Keyword search starts as soon as your folders are read",
    "indexing": "Keyword search already works on the files read so far",
    "ready": "Keyword search works on your folders meanwhile",
}
STATUS = {
    "none": "Models: not downloaded (keyword search only)",
    "embedder only": "Models: ready · no reranker (ranked by keyword + meaning)",
    "reranker only": "Models: not downloaded (keyword search only)",
    "both": "Models: ready",
    "downloading": "Models: downloading… (keyword search only)",
    "failed": "Models: failed to load (keyword search only)",
}
ROW = {
    "no library": None,
    "library waiting": "Queued",
    "indexing": "Indexing · 6/20 files",
    "ready": "Ready · 20 files · 64 chunks",
}


def _hits(n: int) -> list[Hit]:
    return [
        Hit(Chunk(f"c{i}", LIB, f"{LIB}/note-{i}.md", 0, f"The lamp is lit at dusk ({i}).", 0, 30), Scores(bm25=1.0))
        for i in range(n)
    ]


@pytest.fixture
def window(make_window, engine_config, monkeypatch):
    """A window whose engine is never started: each test sets the states; searches return two recorded hits."""
    window = make_window(engine_config, start=False)
    host = window.controller.host
    real_submit = host.submit
    searches: list[dict] = []

    def submit(kind, *args, on_done=None, on_error=None, on_progress=None, on_tokens=None, token=None, **kwargs):
        if kind == "search":
            searches.append(kwargs)
            on_done(SearchResult(tuple(_hits(2))))
            return None
        if kind == "answer":
            on_done(search_only_answer(args[0], args[1]))
            return None
        return real_submit(kind, *args, on_done=on_done, on_error=on_error, on_progress=on_progress, **kwargs)

    monkeypatch.setattr(host, "submit", submit)
    window.searches = searches  # type: ignore[attr-defined]
    return window


def _set_state(window, model_state: str, index_state: str, monkeypatch) -> None:
    controller = window.controller
    controller.status = {"dims": 1024}  # known without weights (Qwen3-Embedding-0.6B): text is stored before it
    views = INDEX_STATES[index_state]
    monkeypatch.setattr(controller.libraries, "views", lambda: views)
    controller.libraries.libraries_changed.emit(views)
    controller._set_models(MODEL_STATES[model_state])


@pytest.mark.parametrize("index_state", list(INDEX_STATES))
@pytest.mark.parametrize("model_state", list(MODEL_STATES))
def test_every_message_is_true(qtbot, window, monkeypatch, model_state, index_state):
    _set_state(window, model_state, index_state, monkeypatch)

    banner = window.model_banner
    if BANNER[model_state] is None:
        assert not banner.isVisible()
    else:
        assert banner.isVisible() and BANNER[model_state] in banner.text.text()
        if model_state not in SEMANTIC:
            assert KEYWORD_HINT[index_state] in banner.text.text()
        else:  # with the embedder here, nothing about keyword-only search
            assert "Keyword search" not in banner.text.text()
    assert window.models_label.text() == STATUS[model_state]

    rows = window.library_panel.list
    if ROW[index_state] is None:
        assert rows.count() == 0
    else:
        assert rows.item(0).data(SUBTITLE_ROLE).startswith(ROW[index_state])

    window.chat_pane.ask_requested.emit("When is the lamp lit?")
    turn = window.controller.chat.chat.turns[-1]
    shown = window.chat_pane.turn_view(0).banner.text()
    if index_state == "no library":
        assert not window.searches and "No folders yet" in shown and not turn.hits
    elif index_state == "library waiting":  # nothing stored yet
        assert not window.searches and "still being read" in shown and not turn.hits
    else:
        assert len(turn.hits) == 2
        semantic = model_state in SEMANTIC
        assert window.searches[-1] == ({} if semantic else {"mode": "bm25", "rerank": False})
        assert ("Keyword search only" in shown) is not semantic
        assert ("Indexing is still running" in shown) is (index_state == "indexing")
        assert "No folders" not in shown and "add a folder" not in shown


def test_without_a_known_dimension_nothing_is_promised(qtbot, window, monkeypatch):
    """A model whose size is unknown until it is downloaded: libraries wait, and no message promises keyword search."""
    controller = window.controller
    controller.status = {"dims": None}
    views = (LibraryView(LIB, "waiting", None, "Waiting for the models"),)
    monkeypatch.setattr(controller.libraries, "views", lambda: views)
    controller.libraries.libraries_changed.emit(views)
    controller._set_models(MODEL_STATES["none"])

    assert "Nothing can be searched until the embedding model is here" in window.model_banner.text.text()
    assert window.models_label.text() == "Models: not downloaded (nothing searchable yet)"
    window.chat_pane.ask_requested.emit("When is the lamp lit?")
    assert "Nothing is searchable yet" in window.chat_pane.turn_view(0).banner.text()
    assert not window.searches


def test_keyword_answer_with_no_match_does_not_claim_passages(qtbot, window, monkeypatch):
    _set_state(window, "none", "ready", monkeypatch)
    host = window.controller.host
    inner = host.submit

    def no_hits(kind, *args, on_done=None, **kwargs):
        if kind == "search":
            on_done(SearchResult(()))
            return None
        return inner(kind, *args, on_done=on_done, **kwargs)

    monkeypatch.setattr(host, "submit", no_hits)
    window.chat_pane.ask_requested.emit("zebra migration")
    shown = window.chat_pane.turn_view(0).banner.text()
    assert "no passage contains these words" in shown
    assert "were found by their words" not in shown
