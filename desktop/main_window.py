"""MainWindow: libraries sidebar, chat, sources and status bar, wired to the AppController; folders can be dropped."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.controller import AppController, ModelsView
from desktop.i18n import translate
from desktop.ranking import Ranking, ranking_tooltip, ranking_words
from desktop.resources import app_icon, icon, samples_dir
from desktop.state_words import IndexSummary, device_tooltip, device_words, models_label, summarise
from desktop.widgets.chat_pane import ChatPane
from desktop.widgets.history_list import HistoryList
from desktop.widgets.library_panel import LibraryPanel
from desktop.widgets.model_banner import ModelBanner
from desktop.widgets.progress_panel import ProgressPanel
from desktop.widgets.sources_panel import SourcesPanel
from desktop.window_dialogs import DialogsMixin
from desktop.words import count, folder_name, model_name
from desktop.words import repair as repair_words

log = logging.getLogger(__name__)

TITLE = "Tansaku"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"


def local_folders(urls: Iterable[QUrl]) -> list[str]:
    return [url.toLocalFile() for url in urls if url.isLocalFile() and Path(url.toLocalFile()).is_dir()]


class MainWindow(DialogsMixin, QMainWindow):
    """The Tansaku window. It owns no engine state: every action goes through the AppController."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = controller.settings
        self._closing = False
        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(720, 480)
        self._build()
        self._build_actions()
        self._connect()
        self._restore_geometry()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.library_panel = LibraryPanel()
        self.progress_panel = ProgressPanel()
        self.history = HistoryList()
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        side_layout = QVBoxLayout(sidebar)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        side_split = QSplitter(Qt.Orientation.Vertical)
        side_split.addWidget(self.library_panel)
        side_split.addWidget(self.history)
        side_split.setStretchFactor(0, 3)
        side_split.setStretchFactor(1, 2)
        side_layout.addWidget(side_split, 1)
        side_layout.addWidget(self.progress_panel)

        self.model_banner = ModelBanner()
        self.chat_pane = ChatPane()
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.setSpacing(0)
        center_layout.addWidget(self.model_banner)
        center_layout.addWidget(self.chat_pane, 1)

        self.sources = SourcesPanel()
        self._sources_turn: int | None = None  # the turn whose passages the sources panel shows
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.sources)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([270, 560, 420])
        self.setCentralWidget(self.splitter)

        self.device_label = QLabel()
        self.models_label = QLabel(models_label(ModelsView("starting"), IndexSummary()))
        self.index_label = QLabel()
        self._repairs_told: set[tuple] = set()
        for label in (self.index_label, self.models_label, self.device_label):
            self.statusBar().addPermanentWidget(label)

    def _action(self, text: str, shortcut: str | QKeySequence, slot, icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work without the menu bar being visible
        return action

    def _build_actions(self) -> None:
        self.add_action = self._action(
            translate("MainWindow", "&Add folder…"), "Ctrl+O", self.choose_folder, "add-folder"
        )
        self.settings_action = self._action(
            translate("MainWindow", "&Settings…"), "Ctrl+,", lambda: self.open_settings(), "settings"
        )
        self.quit_action = self._action(translate("MainWindow", "&Quit"), "Ctrl+Q", self.close)
        self.new_chat_action = self._action(
            translate("MainWindow", "&New chat"), "Ctrl+N", self.controller.chat.new_chat, "new-chat"
        )
        self.focus_action = self._action(
            translate("MainWindow", "Ask a &question"), "Ctrl+L", self.chat_pane.focus_question
        )
        self.stop_action = self._action(
            translate("MainWindow", "&Stop answering"), "Esc", self.controller.chat.stop, "stop"
        )
        file_menu = self.menuBar().addMenu(translate("MainWindow", "&File"))
        file_menu.addActions([self.add_action, self.settings_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        chat_menu = self.menuBar().addMenu(translate("MainWindow", "&Chat"))
        chat_menu.addActions([self.focus_action, self.new_chat_action, self.stop_action])
        help_menu = self.menuBar().addMenu(translate("MainWindow", "&Help"))
        help_menu.addAction(translate("MainWindow", "Try the &sample documents"), self.add_samples)
        help_menu.addAction(translate("MainWindow", "&About Tansaku"), self.show_about)

    def _connect(self) -> None:
        c = self.controller
        c.opened.connect(lambda _snapshot: self._update_status(c.status))
        c.open_failed.connect(self._on_open_failed)
        c.models_changed.connect(self._on_models_changed)
        c.status_changed.connect(self._update_status)
        c.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))

        libs = c.libraries
        libs.libraries_changed.connect(self._on_libraries_changed)
        libs.progress_changed.connect(self.progress_panel.set_view)
        libs.report_ready.connect(self._on_report_ready)
        libs.indexed.connect(lambda library, _report: self._refresh_report(library))
        self.library_panel.add_requested.connect(self.choose_folder)
        self.library_panel.reindex_requested.connect(libs.index)
        self.library_panel.retry_requested.connect(libs.retry_failed)
        self.library_panel.remove_requested.connect(self.confirm_remove)
        self.library_panel.reveal_requested.connect(self.reveal_folder)
        self.library_panel.report_requested.connect(self.show_report)
        self.library_panel.excludes_requested.connect(self.edit_excludes)
        self.progress_panel.pause_requested.connect(libs.pause)
        self.progress_panel.resume_requested.connect(libs.resume)
        self.progress_panel.cancel_requested.connect(libs.cancel)

        chat = c.chat
        chat.chat_reset.connect(self._on_chat_reset)
        chat.turn_added.connect(self._on_turn_added)
        chat.turn_changed.connect(self._on_turn_changed)
        chat.turn_finished.connect(self._on_turn_finished)
        chat.busy_changed.connect(self.chat_pane.set_busy)
        chat.history_changed.connect(self._on_history_changed)
        self.chat_pane.ask_requested.connect(chat.ask)
        self.chat_pane.rerun_requested.connect(chat.rerun)
        self.chat_pane.stop_requested.connect(chat.stop)
        self.chat_pane.new_chat_requested.connect(chat.new_chat)
        self.chat_pane.citation_clicked.connect(self.show_citation)
        self.chat_pane.settings_requested.connect(lambda: self.open_settings())
        self.chat_pane.samples_requested.connect(self.add_samples)
        self.chat_pane.add_folder_requested.connect(self.choose_folder)
        self.chat_pane.rerank_download_requested.connect(c.load_models)
        self.sources.open_failed.connect(self.show_open_failed)
        self.history.open_requested.connect(chat.open_chat)
        self.history.delete_requested.connect(chat.delete_chat)

        self.model_banner.download_requested.connect(c.load_models)
        self.model_banner.cancel_requested.connect(c.cancel_models)
        self.model_banner.settings_requested.connect(lambda: self.open_settings("models"))

    # -- libraries ---------------------------------------------------------------------------------
    def add_folders(self, folders: Iterable[str]) -> int:
        folders = list(folders)
        added = self.controller.libraries.add(folders)
        if added:
            self.statusBar().showMessage(
                translate("MainWindow", "Adding {folders}…").format(folders=count(added, "folder")), 4000
            )
        return added

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, translate("MainWindow", "Add a folder to Tansaku"))
        if folder:
            self.add_folders([folder])

    def add_samples(self) -> None:
        """Copy the bundled sample documents into the data folder (the bundle may be read-only) and add them."""
        target = self.controller.config.data_dir / "samples"
        try:
            if not target.exists():
                shutil.copytree(samples_dir(), target)
        except OSError as exc:
            self.show_error(translate("MainWindow", "Could not copy the sample documents"), str(exc))
            return
        self.add_folders([str(target)])

    def confirm_remove(self, library: str) -> None:
        question = translate(
            "MainWindow",
            "Remove {name} from Tansaku?\n\n{path}\n\nIts index is deleted; the files themselves are not touched.",
        ).format(name=folder_name(library), path=library)
        if self.confirm(translate("MainWindow", "Remove library"), question):
            self.controller.libraries.remove(library)

    def _on_libraries_changed(self, views) -> None:
        self.library_panel.set_libraries(views)
        self.chat_pane.set_has_libraries(bool(views))
        index = summarise(views, self.controller.status)
        self.model_banner.set_index(index)
        self.models_label.setText(models_label(self.controller.models, index))

    # -- chat and sources --------------------------------------------------------------------------
    def _on_chat_reset(self, chat) -> None:
        self.chat_pane.set_chat(chat)
        self._show_sources(None, (), "")
        self._on_history_changed(self.controller.chat.history())
        self.chat_pane.focus_question()

    def _on_history_changed(self, chats) -> None:
        current = self.controller.chat.chat.id
        self.history.set_chats(chats, current)
        title = next((summary.title for summary in chats if summary.id == current), None)
        if title is not None:  # saved chats' titles are told apart: "… (2)"
            self.chat_pane.title.setText(title)

    def _on_turn_added(self, index: int, turn) -> None:
        self.chat_pane.add_turn(index, turn)
        self._show_sources(index, (), turn.question)

    def _on_turn_changed(self, index: int, turn) -> None:
        self.chat_pane.update_turn(index, turn)
        if not turn.hits:
            return
        if self._sources_turn == index:
            # The early (fused) list, then the reranked one: reordered in place, the selected passage kept.
            self.sources.update_hits(turn.hits, turn.question)
            self._show_ranking(index)
        else:
            self._show_sources(index, turn.hits, turn.question)

    def _on_turn_finished(self, index: int, turn) -> None:
        self.chat_pane.update_turn(index, turn)
        chosen = self.sources.chosen_id
        if self._sources_turn == index and chosen in {hit.chunk.id for hit in turn.hits}:
            self.sources.update_hits(turn.hits, turn.question, turn.cited)  # the passage the person picked stays
            self._show_ranking(index)
            return
        first = turn.cited[0] if turn.cited else 1
        self._show_sources(index, turn.hits, turn.question, turn.cited, select=first)

    def show_citation(self, index: int, number: int) -> None:
        turns = self.controller.chat.chat.turns
        if not 0 <= index < len(turns):
            return
        turn = turns[index]
        self._show_sources(index, turn.hits, turn.question, turn.cited, select=number)

    def _show_sources(self, index: int | None, hits, question: str, cited=(), select: int | None = None) -> None:
        """Show a turn's passages afresh (the panel's own selection starts over)."""
        self._sources_turn = index
        self.sources.show_hits(hits, question, cited, select=select)
        self._show_ranking(index)

    def _show_ranking(self, index: int | None) -> None:
        ranking = self.controller.chat.ranking(index) if index is not None else Ranking()
        self.sources.set_ranking(ranking_words(ranking), ranking_tooltip(ranking))

    # -- status ------------------------------------------------------------------------------------
    def _on_models_changed(self, view: ModelsView) -> None:
        index = summarise(self.controller.libraries.views(), self.controller.status)
        self.model_banner.set_view(view, index)
        self.models_label.setText(models_label(view, index))
        if view.device:
            self.device_label.setText(device_words(view))
            self.device_label.setToolTip(device_tooltip(view))
        self.models_label.setToolTip(
            translate("MainWindow", "Embedding: {embedder}\nReranker: {reranker}").format(
                embedder=model_name(self.controller.config.embed_model),
                reranker=model_name(self.controller.config.rerank_model),
            )
            + (f"\n{view.message}" if view.message else "")
        )

    def _update_status(self, status: dict) -> None:
        if not status:
            return
        files, chunks = int(status.get("files") or 0), int(status.get("chunks") or 0)
        text = translate("MainWindow", "Index: {files} · {chunks}").format(
            files=count(files, "file"), chunks=count(chunks, "chunk")
        )
        tip = translate("MainWindow", "Store: {store}\nData: {data}").format(
            store=status.get("store", ""), data=status.get("data_dir", "")
        )
        source = status.get("answering_from") or {}
        if source.get("previous") and source.get("model") == status.get("model"):
            # same model, new index layout (a Tansaku upgrade): the old index answers until the new one is complete
            text += translate("MainWindow", " · rebuilding the index (the old one answers meanwhile)")
            tip += "\n" + translate(
                "MainWindow",
                "This version of Tansaku stores the index differently; until the new index covers every library, "
                "questions are answered from the old one.",
            )
        elif source.get("previous"):
            text += translate("MainWindow", " · answering from the previous model's index")
            tip += "\n" + translate(
                "MainWindow",
                "Re-embedding with {new}; until it covers every library, "
                "questions are answered from the index built with {old}.",
            ).format(new=status.get("model", ""), old=source.get("model", ""))
        self.index_label.setText(text)
        self.index_label.setToolTip(tip)
        self._tell_repairs(status.get("repairs") or [])

    def _tell_repairs(self, repairs: list[dict]) -> None:
        """Each repair the engine made is said once, in the status bar."""
        news = [r for r in repairs if tuple(sorted(r.items())) not in self._repairs_told]
        if not news:
            return
        self._repairs_told.update(tuple(sorted(r.items())) for r in news)
        lines = [
            repair_words(r["kind"], r.get("library"), int(r.get("count") or 0), r.get("detail") or "") for r in news
        ]
        self.statusBar().showMessage("  ".join(lines), 20000)

    def _on_open_failed(self, message: str) -> None:
        self.show_error(translate("MainWindow", "Tansaku could not open its index"), message)

    # -- drag and drop -----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and local_folders(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        event.acceptProposedAction() if event.mimeData().hasUrls() else event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        folders = local_folders(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not folders:
            event.ignore()
            self.statusBar().showMessage(
                translate("MainWindow", "Drop folders (not single files) to add them as libraries."), 6000
            )
            return
        event.acceptProposedAction()
        self.add_folders(folders)

    # -- single instance hand-off ------------------------------------------------------------------
    def receive_handoff(self, folders: list[str]) -> None:
        """A second launch passed its command line here: come to the front and add its folders."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if folders:
            self.add_folders(folders)

    # -- geometry, theme, close --------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.settings.bytes_value(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1240, 780)
        state = self.settings.bytes_value(STATE_KEY)
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.bytes_value(SPLITTER_KEY)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _save_geometry(self) -> None:
        self.settings.set_bytes_value(GEOMETRY_KEY, self.saveGeometry())
        self.settings.set_bytes_value(STATE_KEY, self.saveState())
        self.settings.set_bytes_value(SPLITTER_KEY, self.splitter.saveState())
        self.settings.sync()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self.library_panel.refresh_icons()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing:
            self._closing = True
            self._save_geometry()
            self.hide()  # the window goes at once; the engine finishes its current batch behind it
            self.controller.shutdown()
        event.accept()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            translate("MainWindow", "About Tansaku"),
            translate(
                "MainWindow",
                "<b>Tansaku</b><br>Ask questions about your own folders, with answers that cite the exact passages."
                "<br>Qwen3 embeddings and reranker, Milvus, and any OpenAI-compatible endpoint.",
            ),
        )
