"""First run without models: an offer to download or use local folders; offline says so; keyword search still works."""

from __future__ import annotations

import shutil

from desktop.widgets.settings_dialog import SettingsDialog
from engine.config import EngineConfig
from tests.desktop.helpers import wait_library_state, wait_ready


def test_missing_models_are_offered_and_offline_download_fails_clearly(qtbot, make_window, tmp_path):
    config = EngineConfig(data_dir=tmp_path / "data", device="cpu")  # the real Qwen ids: not in this data dir
    window = make_window(config)
    qtbot.waitUntil(lambda: window.controller.models.state == "missing", timeout=30_000)
    banner = window.model_banner
    assert banner.isVisible()
    assert "Qwen3-Embedding-0.6B" in banner.text.text() and "Qwen3-Reranker-0.6B" in banner.text.text()
    assert banner.download_button.isVisible() and banner.folder_button.isVisible()
    # Qwen3-Embedding-0.6B's dimension is known without its weights: text is stored for keyword search meanwhile
    assert window.models_label.text() == "Models: not downloaded (keyword search only)"
    assert "Meanwhile, add a folder: keyword search works as soon as its files are read." in banner.text.text()

    banner.download_button.click()
    qtbot.waitUntil(lambda: window.controller.models.state == "error", timeout=30_000)
    assert "could not be loaded" in banner.text.text()
    assert "offline" in banner.text.text() or "network" in banner.text.text()
    assert banner.download_button.text() == "Try again"

    banner.folder_button.click()  # "Use local folders…" opens Settings on the Models page
    dialog = next(d for d in window.findChildren(SettingsDialog) if d.isVisible())
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Models"
    dialog.reject()

    banner.later_button.click()
    assert not banner.isVisible()


def test_keyword_search_works_when_the_models_are_gone(qtbot, make_window, engine_config, docs, tmp_path):
    own_model = tmp_path / "embedder-copy"
    shutil.copytree(engine_config.embed_model, own_model)
    config = engine_config.with_changes(embed_model=str(own_model))
    first = make_window(config, settings_file=tmp_path / "first.ini")
    wait_ready(qtbot, first)
    first.add_folders([str(docs)])
    wait_library_state(qtbot, first, str(docs.resolve()), "ready")
    first.close()

    shutil.rmtree(own_model)  # the model folder disappears (an unplugged disk, a cleaned cache)
    window = make_window(config, settings_file=tmp_path / "second.ini")
    qtbot.waitUntil(lambda: window.controller.models.state == "missing", timeout=30_000)
    chat = window.controller.chat
    window.chat_pane.ask_requested.emit("sourdough yeast")
    qtbot.waitUntil(lambda: bool(chat.chat.turns) and chat.chat.turns[-1].done, timeout=30_000)

    turn = chat.chat.turns[-1]
    assert turn.note.startswith("Keyword search only: the embedding model is not loaded")
    assert turn.mode == "search_only"
    assert turn.hits[0].chunk.path.endswith("bread.txt")
    assert turn.hits[0].scores.bm25 is not None and turn.hits[0].scores.dense is None
    assert "Keyword search only" in window.chat_pane.turn_view(0).banner.text()


def test_download_progress_shows_size_and_cancel(qtbot):
    from desktop.controller import ModelsView
    from desktop.engine_host import ModelCheck
    from desktop.widgets.model_banner import ModelBanner

    banner = ModelBanner()
    qtbot.addWidget(banner)
    missing = (ModelCheck("embedder", "Qwen/Qwen3-Embedding-0.6B", False, 1_191_000_000),)
    banner.set_view(ModelsView("missing", missing=missing))
    assert "Qwen3-Embedding-0.6B</b> (1.2 GB)" in banner.text.text()
    assert not banner.cancel_button.isVisibleTo(banner)

    banner.set_view(
        ModelsView("downloading", missing=missing, download=("Qwen/Qwen3-Embedding-0.6B", 312_000_000, 1_191_000_000))
    )
    assert "312.0 MB of 1.2 GB" in banner.text.text()
    assert banner.cancel_button.isVisibleTo(banner) and not banner.download_button.isVisibleTo(banner)
    assert banner.bar.maximum() > 0 and 0.25 < banner.bar.value() / banner.bar.maximum() < 0.28
    cancelled = []
    banner.cancel_requested.connect(lambda: cancelled.append(True))
    banner.cancel_button.click()
    assert cancelled == [True]
