"""Settings: QSettings <-> EngineConfig, the dialog, secrets never in QSettings, geometry and shortcuts."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyring.errors import KeyringLocked
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QDialog

from desktop.settings import Settings
from desktop.widgets.settings_dialog import CHECKING, SAVING, SettingsDialog
from engine import secrets
from engine.config import EngineConfig
from tests.desktop.helpers import ask, wait_library_state, wait_ready
from tests.support.keyrings import MemoryKeyring, SlowKeyring


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
    assert dialog.key_status.text() == CHECKING  # the keyring is asked off the GUI thread
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=5000)
    assert not dialog.api_key.isEnabled()  # the null keyring backend of the tests: no place for a key
    assert "OPENAI_API_KEY" in dialog.key_status.text()
    dialog.base_url.setText("http://127.0.0.1:8080/v1")
    dialog.chat_model.setCurrentText("local-model")
    dialog.embed_model.setCurrentText("Qwen/Qwen3-Embedding-4B")
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.cpu_precision.setCurrentIndex(dialog.cpu_precision.findData("fp32"))
    assert dialog.cpu_runtime.currentData() == "auto"
    dialog.cpu_runtime.setCurrentIndex(dialog.cpu_runtime.findData("openvino"))
    dialog.dims.setValue(512)
    dialog.top_n.setValue(3)
    dialog.store_uri.setText("http://milvus.example:19530")
    dialog.store_token.setText("root:Milvus-secret")
    dialog.excludes.setPlainText("*.log\n\n# comment\n*.log\nbuild/")
    result = dialog.config()
    assert result.llm_base_url == "http://127.0.0.1:8080/v1" and result.llm_model == "local-model"
    assert result.embed_model == "Qwen/Qwen3-Embedding-4B" and result.device == "cpu"
    assert result.cpu_fast_path == "fp32" and result.cpu_runtime == "openvino"
    assert result.dims == 512 and result.top_n == 3
    assert result.store_uri == "http://milvus.example:19530" and result.store_token == "root:Milvus-secret"
    assert result.excludes == ("*.log", "build/")

    # No keyring: the token is not persisted anywhere, and the dialog says so before Save.
    assert "session" in dialog.token_status.text() and "TANSAKU_STORE_TOKEN" in dialog.token_status.text()
    assert dialog.secrets_to_save() is None
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
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


# -- secrets: the keyring is never called on the GUI thread ------------------------------------------------------
KEY = "sk-test-DIALOG-0123456789abcdef"
URI = "http://milvus.example:19530"
TOKEN = "root:Milvus-secret-77"


@pytest.fixture
def use_keyring(monkeypatch):
    """Install a test keyring backend for one test; the tests' null backend comes back afterwards."""
    monkeypatch.delenv(secrets.STORE_TOKEN_ENV_VAR, raising=False)
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def _timer_fires_within(qtbot, ms: int) -> None:
    """A GUI-thread timer fires on time: the event loop is not blocked."""
    fired: list[float] = []
    started = time.monotonic()
    QTimer.singleShot(20, lambda: fired.append(time.monotonic() - started))
    qtbot.waitUntil(lambda: bool(fired), timeout=ms)
    assert fired[0] < ms / 1000


def test_dialog_opens_and_stays_responsive_while_the_keyring_blocks(qtbot, tmp_path, use_keyring):
    slow = SlowKeyring(delay_s=1.0)  # every get_password waits a second, like a locked Secret Service
    slow.store[(secrets.SERVICE, secrets.USERNAME)] = KEY
    use_keyring(slow)
    started = time.monotonic()
    dialog = SettingsDialog(EngineConfig(data_dir=tmp_path / "data"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert time.monotonic() - started < 0.5  # it opened without waiting for the keyring
    assert dialog.isVisible() and dialog.key_status.text() == CHECKING and not dialog.api_key.isEnabled()
    _timer_fires_within(qtbot, 200)  # and the window stays responsive while the keyring call is pending
    assert dialog.keyring is None
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=5000)
    assert "A key is stored in the OS keyring" in dialog.key_status.text()
    assert dialog.api_key.isEnabled() and dialog.remove_key.isEnabled()
    assert slow.threads and threading.main_thread() not in slow.threads


def test_saving_secrets_happens_off_the_gui_thread(qtbot, tmp_path, use_keyring):
    slow = SlowKeyring(delay_s=0.4)
    use_keyring(slow)
    dialog = SettingsDialog(EngineConfig(data_dir=tmp_path / "data", store_uri=URI))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=5000)
    assert dialog.keyring is not None and dialog.keyring.usable and dialog.keyring.token_source is None
    dialog.api_key.setText(KEY)
    dialog.store_token.setText(TOKEN)
    started = time.monotonic()
    dialog.accept()
    assert time.monotonic() - started < 0.2
    assert dialog.save_status.text() == SAVING and not dialog.save_button.isEnabled()
    assert dialog.result() != QDialog.DialogCode.Accepted  # it closes once the keyring has the secrets
    _timer_fires_within(qtbot, 200)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert slow.store[(secrets.SERVICE, secrets.USERNAME)] == KEY
    assert slow.store[(secrets.SERVICE, "milvus_token:" + URI)] == TOKEN
    assert dialog.config().store_token == TOKEN  # this session connects with the new token straight away
    assert TOKEN not in repr(dialog.config()) and TOKEN not in repr(dialog.secrets_to_save())

    again = SettingsDialog(EngineConfig(data_dir=tmp_path / "data", store_uri=URI))  # next time: shown as stored
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.keyring is not None, timeout=5000)
    assert again.keyring is not None and again.keyring.token_source == "keyring"
    assert "stored in the OS keyring" in again.token_status.text() and again.store_token.text() == ""
    again.remove_token.click()
    qtbot.waitUntil(lambda: again.keyring is not None and again.keyring.token_source is None, timeout=5000)
    assert (secrets.SERVICE, "milvus_token:" + URI) not in slow.store
    assert threading.main_thread() not in slow.threads


class RefusingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"locked while writing {password}")


def test_a_keyring_refusal_shows_in_the_dialog(qtbot, tmp_path, use_keyring):
    use_keyring(RefusingKeyring())
    dialog = SettingsDialog(EngineConfig(data_dir=tmp_path / "data"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.api_key.isEnabled(), timeout=5000)
    dialog.api_key.setText(KEY)
    dialog.accept()
    qtbot.waitUntil(lambda: "refused" in dialog.save_status.text(), timeout=5000)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.save_button.isEnabled() and KEY not in dialog.save_status.text()
    dialog.accept()  # Save again: go on without storing the key
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_startup_reads_no_keyring_on_the_gui_thread(tmp_path, use_keyring):
    slow = SlowKeyring(delay_s=0.0)
    slow.store[(secrets.SERVICE, "milvus_token:" + URI)] = TOKEN
    use_keyring(slow)
    config = Settings.from_file(tmp_path / "s.ini").engine_config(data_dir=tmp_path / "data", store_uri=URI)
    assert config.store_token is None  # the engine reads it on its own thread when it connects
    assert slow.threads == []


def test_app_redacts_logged_tracebacks_and_warns_about_token_on_argv(capsys, monkeypatch):
    from desktop import app

    monkeypatch.setattr(secrets, "_known", frozenset())  # what --token makes it remember is forgotten afterwards

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []  # as in a fresh process
    try:
        app.prepare(app.parse_args(["--token", TOKEN]))
        try:
            raise ConnectionError(f"401 for {TOKEN} (key {KEY})")
        except ConnectionError:
            logging.getLogger("desktop.engine_worker").exception("Engine job 1 (open) failed")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = saved
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "--token" in line]
    assert len(warnings) == 1 and "process list" in warnings[0] and secrets.STORE_TOKEN_ENV_VAR in warnings[0]
    assert "Traceback" in err and "ConnectionError: 401 for [redacted]" in err
    assert TOKEN not in err and KEY not in err


def test_engine_job_failures_shown_in_the_window_carry_no_secrets(monkeypatch):
    from desktop.engine_worker import JobFailure

    monkeypatch.setattr(secrets, "_known", frozenset())  # what this test remembers is forgotten afterwards
    secrets.remember_secret(TOKEN)
    failure = JobFailure.from_exception("open", ConnectionError(f"401 for {TOKEN}, Authorization: Bearer {KEY}"))
    assert failure.unexpected and "401 for [redacted]" in failure.message
    assert TOKEN not in failure.message and KEY not in failure.message
