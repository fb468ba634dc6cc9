"""Settings: QSettings <-> EngineConfig, the dialog, secrets never in QSettings, geometry and shortcuts."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings

from desktop.settings import Settings
from desktop.widgets.settings_dialog import SettingsDialog
from engine.config import EngineConfig
from tests.desktop.helpers import ask, wait_library_state, wait_ready


def test_engine_config_round_trip_stores_only_changes(tmp_path):
    settings = Settings.from_file(tmp_path / "s.ini")
    config = EngineConfig(data_dir=tmp_path / "data").with_changes(
        dims=256, top_n=7, rerank=False, llm_base_url="http://127.0.0.1:9/v1", excludes=("*.log", "build/")
    )
    settings.save_engine_config(config)
    again = Settings.from_file(tmp_path / "s.ini").engine_config()
    assert again == config
    keys = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat).allKeys()
    assert "engine/top_n" in keys and "engine/candidates" not in keys  # defaults are not written

    overridden = Settings.from_file(tmp_path / "s.ini").engine_config(data_dir=tmp_path / "elsewhere")
    assert overridden.data_dir == tmp_path / "elsewhere" and overridden.top_n == 7


def test_bad_stored_values_are_ignored(tmp_path):
    raw = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    raw.setValue("engine/top_n", '"seven"')
    raw.setValue("engine/rerank", "not json")
    raw.sync()
    config = Settings.from_file(tmp_path / "s.ini").engine_config(data_dir=tmp_path)
    assert config.top_n == EngineConfig().top_n and config.rerank is True


def test_dialog_maps_fields_and_never_writes_secrets_to_qsettings(qtbot, tmp_path):
    config = EngineConfig(data_dir=tmp_path / "data")
    dialog = SettingsDialog(config)
    qtbot.addWidget(dialog)
    assert not dialog.api_key.isEnabled()  # the null keyring backend of the tests: no place for a key
    assert "OPENAI_API_KEY" in dialog.key_status.text()
    dialog.base_url.setText("http://127.0.0.1:8080/v1")
    dialog.chat_model.setCurrentText("local-model")
    dialog.embed_model.setCurrentText("Qwen/Qwen3-Embedding-4B")
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.cpu_precision.setCurrentIndex(dialog.cpu_precision.findData("fp32"))
    dialog.dims.setValue(512)
    dialog.top_n.setValue(3)
    dialog.store_uri.setText("http://milvus.example:19530")
    dialog.store_token.setText("root:Milvus-secret")
    dialog.excludes.setPlainText("*.log\n\n# comment\n*.log\nbuild/")
    result = dialog.config()
    assert result.llm_base_url == "http://127.0.0.1:8080/v1" and result.llm_model == "local-model"
    assert result.embed_model == "Qwen/Qwen3-Embedding-4B" and result.device == "cpu"
    assert result.cpu_fast_path == "fp32"
    assert result.dims == 512 and result.top_n == 3
    assert result.store_uri == "http://milvus.example:19530" and result.store_token == "root:Milvus-secret"
    assert result.excludes == ("*.log", "build/")

    problem = dialog.save_secrets()
    assert problem and "session" in problem  # no keyring: the token is not persisted anywhere
    settings = Settings.from_file(tmp_path / "s.ini")
    settings.save_engine_config(result)
    text = Path(tmp_path / "s.ini").read_text(encoding="utf-8")
    assert "Milvus-secret" not in text and "store_token" not in text
    assert "milvus.example" in text


def test_settings_dialog_applies_and_rebuilds_the_engine(qtbot, make_window, engine_config, tmp_path):
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    window.settings_action.trigger()  # Ctrl+,
    dialog = next(d for d in window.findChildren(SettingsDialog) if d.isVisible())
    dialog.top_n.setValue(2)
    dialog.accept()
    assert window.controller.config.top_n == 2
    qtbot.waitUntil(lambda: window.controller.models.state == "ready", timeout=60_000)
    assert Settings.from_file(tmp_path / "settings.ini").engine_config().top_n == 2


def test_geometry_is_remembered_and_shortcuts_exist(qtbot, make_window, engine_config, tmp_path):
    window = make_window(engine_config, start=False)
    window.resize(760, 530)
    shortcuts = {
        a.shortcut().toString()
        for a in (
            window.add_action,
            window.focus_action,
            window.new_chat_action,
            window.stop_action,
            window.settings_action,
            window.quit_action,
        )
    }
    assert shortcuts == {"Ctrl+O", "Ctrl+L", "Ctrl+N", "Esc", "Ctrl+,", "Ctrl+Q"}
    window.focus_action.trigger()
    assert window.focusWidget() is window.chat_pane.question
    window.close()

    again = make_window(engine_config, start=False)
    assert (again.width(), again.height()) == (760, 530)


def test_new_embedding_model_re_embeds_while_the_old_index_answers(
    qtbot, make_window, engine_config, many_docs, tmp_path, tiny_models
):
    # The 120 notes share one template, so which of them the random tiny reranker sees varies with ties; a zero
    # threshold keeps the turn a plain search-only answer (abstention is tested in test_window_chat).
    window = make_window(engine_config.with_changes(abstain_threshold=0.0))
    wait_ready(qtbot, window)
    library = str(many_docs.resolve())
    window.add_folders([library])
    wait_library_state(qtbot, window, library, "ready", timeout=120_000)
    assert "previous" not in window.index_label.text()

    other_model = shutil.copytree(tiny_models.embed_dir, tmp_path / "other-embedder")
    libs = window.controller.libraries
    window.controller.apply_config(window.controller.config.with_changes(embed_model=str(other_model)))
    qtbot.waitUntil(lambda: libs.indexing, timeout=60_000)
    libs.pause()  # re-embedding is under way and stays unfinished while we ask
    qtbot.waitUntil(lambda: "previous model" in window.index_label.text(), timeout=10_000)
    assert str(tiny_models.embed_dir) in window.index_label.toolTip()

    turn = ask(qtbot, window, "lighthouse lamp storms")
    assert turn.mode == "search_only" and len(turn.hits) > 0
    assert all(h.chunk.path.startswith(library) for h in turn.hits)
    assert libs.indexing and libs.paused

    libs.resume()
    wait_library_state(qtbot, window, library, "ready", timeout=120_000)
    qtbot.waitUntil(lambda: "previous" not in window.index_label.text(), timeout=10_000)
