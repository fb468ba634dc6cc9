"""The window in Japanese: language choice, the .ts is complete and current, words in both languages, and no English
left in the main window, the settings dialog and the report dialog."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QSpinBox,
    QTableView,
    QTabWidget,
    QWidget,
)

from desktop import i18n
from desktop.settings import Settings
from desktop.words import ago, count, duration, plural, progress_rate
from engine import Progress
from tests.desktop.helpers import ask, wait_library_state, wait_ready

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("update_translations", ROOT / "resources/i18n/update_translations.py")
assert _spec is not None and _spec.loader is not None
update_translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_translations)
TS = Path(update_translations.TS_FILES[0])
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
TAG = re.compile(r"<[^>]+>|&[a-z]+;")
PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Language names are shown in their own language on purpose.
ENDONYMS = {"English"}


def ts_messages() -> list[tuple[str, str]]:
    """(source, translation) of every message in tansaku_ja.ts."""
    root = ET.parse(TS).getroot()
    return [(m.findtext("source") or "", m.findtext("translation") or "") for m in root.iter("message")]


def placeholders(text: str) -> set[str]:
    """The names in a str.format template: {n}, {s:02d} -> {"n", "s"}."""
    return {p.strip("{}").split(":")[0] for p in PLACEHOLDER.findall(text)}


@pytest.fixture
def japanese(qapp, tmp_path, monkeypatch) -> Iterator[None]:
    """The Japanese translation installed (compiled into a temp cache), English again afterwards."""
    monkeypatch.setattr(i18n, "cache_dir", lambda: tmp_path / "i18n-cache")
    assert i18n.install(qapp, "ja") == "ja"
    yield
    i18n.uninstall(qapp)


# -- the .ts file --------------------------------------------------------------------------------------------------
def test_every_source_string_has_a_finished_current_translation():
    """lupdate over desktop/ leaves the committed .ts unchanged, and no message is unfinished or obsolete."""
    assert update_translations.check(TS) == []
    messages = ts_messages()
    assert len(messages) > 200
    # placeholders survive translation (a lost {n} would print nothing, a misspelt one would raise)
    for source, translation in messages:
        assert placeholders(source) == placeholders(translation), (source, translation)


def test_no_translate_call_hides_inside_an_f_string():
    """lupdate does not look inside f-string expressions: such a text would never reach the .ts."""
    sources = update_translations.sources()
    hidden = [
        f"{p.name}:{n}"
        for p in sources
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "{translate(" in line
    ]
    assert hidden == []


def test_a_stale_ts_is_reported(tmp_path):
    stale = tmp_path / "tansaku_ja.ts"
    text = TS.read_text(encoding="utf-8")
    stale.write_text(text.replace("<source>Libraries</source>", "<source>Old libraries</source>"), encoding="utf-8")
    problems = update_translations.check(stale)
    assert any("out of date" in p for p in problems)


# -- choosing and installing -------------------------------------------------------------------------------------
def test_language_choice_env_then_setting_then_system():
    ja, en = QLocale(QLocale.Language.Japanese, QLocale.Country.Japan), QLocale(QLocale.Language.English)
    assert i18n.choose_language("system", env={}, system=ja) == "ja"
    assert i18n.choose_language("system", env={}, system=en) == "en"
    assert i18n.choose_language("en", env={}, system=ja) == "en"
    assert i18n.choose_language("ja", env={}, system=en) == "ja"
    assert i18n.choose_language("en", env={"TANSAKU_LANGUAGE": "ja"}, system=en) == "ja"
    assert i18n.choose_language("ja", env={"TANSAKU_LANGUAGE": "en"}, system=ja) == "en"
    french = QLocale(QLocale.Language.French, QLocale.Country.France)
    assert i18n.choose_language("system", env={}, system=french) == "en"


def test_language_setting_persists(tmp_path):
    settings = Settings.from_file(tmp_path / "s.ini")
    assert settings.language() == "system"
    settings.set_language("ja")
    assert Settings.from_file(tmp_path / "s.ini").language() == "ja"
    with pytest.raises(ValueError):
        settings.set_language("xx")


def test_qm_is_compiled_into_the_cache_once_and_again_when_the_ts_changes(qapp, tmp_path, monkeypatch):
    ts = tmp_path / "res" / "tansaku_ja.ts"
    ts.parent.mkdir()
    ts.write_bytes(TS.read_bytes())
    monkeypatch.setattr(i18n, "ts_path", lambda lang: ts)
    monkeypatch.setattr(i18n, "cache_dir", lambda: tmp_path / "cache")
    qm = i18n.qm_path("ja")
    assert qm == tmp_path / "cache" / "tansaku_ja.qm" and qm.is_file()
    first = qm.stat().st_mtime_ns
    assert i18n.qm_path("ja") == qm and qm.stat().st_mtime_ns == first  # fresh: not compiled again
    later = time.time() + 5
    os.utime(ts, (later, later))
    assert i18n.qm_path("ja") == qm and qm.stat().st_mtime_ns != first


def test_a_bundle_loads_its_compiled_qm_files_without_lrelease(qapp, tmp_path, monkeypatch):
    """What build.spec lays out: resources/i18n holds tansaku_ja.qm and qtbase_ja.qm, no .ts and no lrelease."""
    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    bundle = tmp_path / "resources" / "i18n"
    bundle.mkdir(parents=True)
    assert i18n.compile_ts(TS, bundle / "tansaku_ja.qm")
    qt_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    (bundle / "qtbase_ja.qm").write_bytes((qt_dir / "qtbase_ja.qm").read_bytes())
    monkeypatch.setattr(i18n, "ts_path", lambda lang: bundle / f"tansaku_{lang}.ts")
    monkeypatch.setattr(i18n, "_qt_catalog_dirs", lambda: [bundle])
    monkeypatch.setattr(i18n, "lrelease_command", lambda: None)
    monkeypatch.setattr(i18n.sys, "frozen", True, raising=False)
    try:
        assert i18n.install(qapp, "ja") == "ja"
        assert QCoreApplication.translate("LibraryPanel", "Libraries") == "ライブラリ"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "キャンセル"
    finally:
        i18n.uninstall(qapp)
    assert QCoreApplication.translate("LibraryPanel", "Libraries") == "Libraries"


def test_without_lrelease_the_window_stays_english_with_one_log_line(qapp, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(i18n, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(i18n, "lrelease_command", lambda: None)
    with caplog.at_level(logging.WARNING, logger="desktop.i18n"):
        assert i18n.install(qapp, "ja") == "en"
    assert i18n.current_language() == "en"
    assert len([r for r in caplog.records if "lrelease" in r.getMessage()]) == 1
    assert count(2, "file") == "2 files"


# -- words -------------------------------------------------------------------------------------------------------
def test_words_in_english():
    assert plural(1, "{n} file", "{n} files", "en") == "1 file"
    assert plural(1200, "{n} file", "{n} files", "en") == "1,200 files"
    assert plural(0, "{n} file", "{n} files", "en") == "0 files"
    assert (count(1, "chunk"), count(3, "source")) == ("1 chunk", "3 sources")
    assert duration(3900) == "1 h 05 min" and duration(125) == "2 min 05 s" and duration(42) == "42 s"
    assert ago(time.time() - 130) == "2 min ago"


def test_words_in_japanese(japanese):
    assert plural(1, "{n} one", "{n} other", "ja") == "1 other"  # Japanese has no singular form
    assert count(1, "file") == "1 件のファイル" and count(3, "file") == "3 件のファイル"
    assert count(1200, "chunk") == "1,200 個のチャンク"
    assert duration(3900) == "1 時間 5 分"
    assert duration(125) == "2 分 5 秒"
    assert duration(42) == "42 秒"
    assert ago(time.time() - 130) == "2 分前"
    assert ago(time.time() - 7300) == "2 時間前"
    assert ago(None) == "未実行"
    p = Progress("lib", "indexing", files_total=20, files_done=5, chunks_done=40, elapsed_s=10.0)
    rate = progress_rate(p)
    assert rate.startswith("30 ファイル/分") and "残り約" in rate, rate


# -- the window --------------------------------------------------------------------------------------------------
@pytest.fixture
def japanese_docs(tmp_path: Path) -> Path:
    """A library with Japanese names and text, so that any English left on screen comes from the window."""
    folder = tmp_path / "資料"
    folder.mkdir()
    (folder / "灯台.md").write_text(
        "# 灯台\n\n灯台守は夕暮れにランプを灯す。灯台は海岸沿いの船を導く。\n", encoding="utf-8"
    )
    (folder / "パン.md").write_text("# パン\n\n天然酵母のパンは一晩かけてゆっくり膨らむ。\n", encoding="utf-8")
    (folder / "軌道.md").write_text("# 軌道\n\n低軌道の衛星は九十分ごとに地球を一周する。\n", encoding="utf-8")
    return folder


def _widget_texts(widget: QWidget) -> Iterable[str]:
    """What a person can read on a widget: labels, buttons, titles, tooltips, placeholders, items and headers."""
    yield widget.toolTip()
    if widget.isWindow():
        yield widget.windowTitle()
    if isinstance(widget, QLabel):
        yield widget.text()
    if isinstance(widget, QAbstractButton):
        yield widget.text()
    if isinstance(widget, (QLineEdit, QPlainTextEdit)):
        yield widget.placeholderText()  # their text is the person's (or the config's), not ours
    if isinstance(widget, QSpinBox):
        yield widget.specialValueText()
    if isinstance(widget, QComboBox) and not widget.isEditable():  # editable combos list model ids
        yield from (widget.itemText(i) for i in range(widget.count()))
    if isinstance(widget, QTabWidget):
        yield from (widget.tabText(i) for i in range(widget.count()))
    yield from _item_texts(widget)
    for action in widget.actions():
        yield action.text()
        yield action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""
        if action.menu() is not None:
            yield from _widget_texts(action.menu())


def _item_texts(widget: QWidget) -> Iterable[str]:
    """Rows of lists and the headers and status column of tables."""
    if isinstance(widget, QListWidget):
        for i in range(widget.count()):
            item = widget.item(i)
            yield item.text()
            yield item.toolTip()
            yield str(item.data(Qt.ItemDataRole.UserRole + 2) or "")  # the library row's subtitle
    if isinstance(widget, QTableView) and widget.model() is not None:
        model = widget.model()
        for column in range(model.columnCount()):
            yield str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        for row in range(model.rowCount()):
            yield str(model.data(model.index(row, 1)) or "")  # the status column (path and reason are data)


def visible_texts(*roots: QWidget) -> list[str]:
    texts = []
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            texts.extend(t for t in _widget_texts(widget) if t)
    return texts


def english_left(texts: Iterable[str], data: Iterable[str]) -> list[str]:
    """Texts with an English word that the translations do not use themselves (names like Tansaku, API, Milvus),
    once paths, model ids and engine-provided text (`data`) are taken out; plus texts equal to, or containing, an
    untranslated source string."""
    messages = ts_messages()
    kept = (PLACEHOLDER.sub(" ", TAG.sub(" ", t)) for _s, t in messages)  # words the translations show as they are
    allowed = {w.lower() for t in kept for w in ASCII_WORD.findall(t)} | {w.lower() for w in ENDONYMS}
    sources = {s for s, t in messages if s != t}
    bad = []
    for text in texts:
        plain = TAG.sub(" ", text)
        for value in data:
            plain = plain.replace(value, " ")
        # paths, patterns (*.log) and identifiers (TANSAKU_STORE_TOKEN) are not prose
        tokens = [t for t in plain.split() if not any(c in t for c in "/\\._*")]
        words = [w for t in tokens for w in ASCII_WORD.findall(t) if w.lower() not in allowed]
        plain = plain.strip()
        untranslated = [s for s in sources if s == plain or (" " in s and len(s) > 12 and s in plain)]
        if words or untranslated:
            bad.append(f"{text!r}: {words or untranslated}")
    return bad


def test_window_dialogs_and_report_show_no_english_in_japanese(
    qtbot, japanese, make_window, engine_config, japanese_docs
):
    from desktop.words import model_name
    from engine import secrets

    window = make_window(engine_config)
    wait_ready(qtbot, window)
    first_start = visible_texts(window)  # the welcome text before any library
    library = str(japanese_docs.resolve())
    window.add_folders([library])
    wait_library_state(qtbot, window, library, "ready")
    ask(qtbot, window, "灯台守は夕暮れにランプを灯す")
    qtbot.waitUntil(lambda: window.sources.list.count() > 0)
    settings = window.open_settings()
    qtbot.waitUntil(lambda: settings.keyring is not None)
    report = window.show_report(library)
    qtbot.waitUntil(lambda: report.model.rowCount() == 3)
    QApplication.processEvents()

    config = window.controller.config
    data = [
        secrets.keyring_status()[1],  # the keyring backend's own description
        model_name(config.embed_model),
        model_name(config.rerank_model),
        config.query_task,
        config.rerank_instruction,
    ]
    texts = first_start + visible_texts(window, settings, report) + [window.statusBar().currentMessage()]
    bad = english_left(texts, data)
    assert bad == [], "\n".join(bad)
    # the checks see what they should: Japanese framing around the library, its report and Qt's own buttons
    assert any(t.startswith("準備完了 · 3 件のファイル") for t in texts), texts
    assert "インデックス済み 3 件 · スキップ 0 件 · 失敗 0 件 · 未処理 0 件" in texts
    assert {"保存", "キャンセル", "閉じる"} <= set(texts)  # QDialogButtonBox, from Qt's qtbase_ja.qm
    assert settings.tabs.tabText(4) == "表示" and settings.language.itemText(2) == "日本語"


def test_the_check_finds_english(qtbot, japanese):
    """The detector itself: an unwrapped label and an untranslated source string are both reported."""
    root = QWidget()
    qtbot.addWidget(root)
    QLabel("Libraries", root)
    QLabel("Something nobody translated", root)
    QLabel("ライブラリ · Tansaku · /tmp/some/path", root)
    bad = english_left(visible_texts(root), [])
    assert len(bad) == 2 and "Libraries" in bad[0] + bad[1] and "Something" in bad[0] + bad[1]
