"""The main window's dialogs: settings, per-file report, exclusions, confirmations and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QWidget

from desktop.i18n import translate
from desktop.widgets.excludes_dialog import ExcludesDialog
from desktop.widgets.open_failed import show_open_failed
from desktop.widgets.report_dialog import ReportDialog
from desktop.widgets.settings_dialog import SettingsDialog
from desktop.widgets.sources_panel import folder_of, reveal

if TYPE_CHECKING:
    from desktop.controller import AppController


class DialogsMixin:
    """Mixed into MainWindow (a QWidget with a `controller`); keeps one report dialog per library."""

    controller: AppController
    _reports: dict[str, ReportDialog]

    def _parent(self) -> QWidget:
        return cast("QWidget", self)  # a mixin: MainWindow, the one class that mixes it in, is a QWidget

    # -- confirmations and errors (tests replace these) --------------------------------------------
    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self._parent(), title, text)
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self._parent(), title, text)

    # -- opening files and folders -----------------------------------------------------------------
    def show_open_failed(self, path: str, is_folder: bool) -> QMessageBox:
        return show_open_failed(self._parent(), path, is_folder)

    def reveal_folder(self, path: str) -> None:
        """Show a library's folder in the file manager, or say in the window that it could not be."""
        if not reveal(path):
            self.show_open_failed(folder_of(path), True)

    # -- settings ----------------------------------------------------------------------------------
    def open_settings(self, tab: str = "answers") -> SettingsDialog:
        language = self.controller.settings.language()
        dialog = SettingsDialog(self.controller.config, self._parent(), tab=tab, language=language)
        dialog.setModal(True)
        dialog.finished.connect(lambda result: self._on_settings_finished(dialog, result))
        dialog.open()
        return dialog

    def _on_settings_finished(self, dialog: SettingsDialog, result: int) -> None:
        # The dialog has already stored new secrets in the OS keyring (off the GUI thread) before accepting.
        if result == QDialog.DialogCode.Accepted:
            self._apply_language(dialog.chosen_language())
            self.controller.apply_config(dialog.config())
        dialog.deleteLater()

    def _apply_language(self, choice: str) -> None:
        """Store a new language choice; it applies at the next start (every widget would need rebuilding)."""
        settings = self.controller.settings
        if choice == settings.language():
            return
        settings.set_language(choice)
        cast("QMainWindow", self._parent()).statusBar().showMessage(
            translate("MainWindow", "The new language applies when Tansaku restarts."), 15000
        )

    # -- per-file report ---------------------------------------------------------------------------
    def _report_dialogs(self) -> dict[str, ReportDialog]:
        if not hasattr(self, "_reports"):
            self._reports = {}
        return self._reports

    def show_report(self, library: str) -> ReportDialog:
        dialogs = self._report_dialogs()
        dialog = dialogs.get(library)
        if dialog is None:
            dialog = ReportDialog(library, self._parent())
            dialog.retry_requested.connect(self.controller.libraries.retry_failed)
            dialog.excludes_requested.connect(self.edit_excludes)
            dialog.finished.connect(lambda _r, lib=library: self._report_dialogs().pop(lib, None))
            dialogs[library] = dialog
        dialog.show()
        dialog.raise_()
        self.controller.libraries.request_report(library)
        return dialog

    def _on_report_ready(self, library: str, outcomes) -> None:
        dialog = self._report_dialogs().get(library)
        if dialog is not None:
            dialog.set_outcomes(outcomes)

    def _refresh_report(self, library: str) -> None:
        if library in self._report_dialogs():
            self.controller.libraries.request_report(library)

    # -- exclusions --------------------------------------------------------------------------------
    def edit_excludes(self, library: str) -> ExcludesDialog:
        info = self.controller.libraries.info(library)
        dialog = ExcludesDialog(library, info.excludes if info is not None else (), self._parent())
        dialog.finished.connect(lambda result: self._on_excludes_finished(dialog, result))
        dialog.open()
        return dialog

    def _on_excludes_finished(self, dialog: ExcludesDialog, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            self.controller.libraries.set_excludes(dialog.library, dialog.patterns())
        dialog.deleteLater()
