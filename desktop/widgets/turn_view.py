"""TurnView: one question and its (streamed) answer, with a mode banner, clickable citations and Copy."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translate
from desktop.rendering import HIGHLIGHT, SETTINGS_LINK, answer_html, passages_html
from desktop.resources import icon
from desktop.theme import highlight_color
from desktop.words import count
from engine import Turn, citations_outside, cited_numbers


def search_only_banner() -> str:
    return translate(
        "TurnView",
        "<b>Search only</b> — no API key is set, so these are the best-matching passages, not a written answer. "
        '<a href="{link}">Add a key in Settings</a> (Ctrl+,) to get answers.',
    ).format(link=SETTINGS_LINK)


def abstained_banner() -> str:
    return translate("TurnView", "<b>Not in your documents</b> — nothing relevant enough was found to answer this.")


def _label(name: str, rich: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    flags = Qt.TextInteractionFlag.TextBrowserInteraction if rich else Qt.TextInteractionFlag.TextSelectableByMouse
    label.setTextInteractionFlags(flags)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


def banner_for(turn: Turn) -> tuple[str, str]:
    """(tone, rich text) of the line above an answer; tone is '' when there is none."""
    lines: list[tuple[str, str]] = []
    if turn.mode == "search_only":
        lines.append(("warn", search_only_banner()))
    elif turn.mode == "abstained":
        lines.append(("info", abstained_banner()))
    elif turn.stopped:
        lines.append(("info", translate("TurnView", "<b>Stopped.</b>")))
    elif turn.mode == "error" and turn.error_kind == "not_searchable":
        lines.append(("info", html.escape(turn.error or "")))
    elif turn.mode == "error":
        lines.append(
            (
                "error",
                translate("TurnView", "<b>The answer could not be generated.</b> {error}").format(
                    error=html.escape(turn.error or "")
                ),
            )
        )
    if turn.note:
        lines.append(("info", html.escape(turn.note)))
    if not lines:
        return "", ""
    return lines[0][0], "<br>".join(text for _tone, text in lines)


def body_html(index: int, turn: Turn, color: str = HIGHLIGHT) -> str:
    """The answer area: rendered Markdown for generated text, else the list of passages found (their best sentences,
    the searched words marked in `color`)."""

    def passages(cited: tuple[int, ...] = ()) -> str:
        return passages_html(turn.hits, index, cited, query=turn.query, color=color)

    if turn.mode in ("llm", "streaming") or (turn.mode == "error" and turn.text):
        body = answer_html(turn.text, index, len(turn.hits)) if turn.text else ""
        if turn.mode == "error" and turn.hits and not turn.stopped:
            body += translate("TurnView", "<p><b>Sources found:</b></p>") + passages(turn.cited)
        return body
    if turn.mode == "abstained" and turn.hits:
        return translate("TurnView", "<p>The closest passages were:</p>") + passages()
    if turn.mode in ("search_only", "error") and turn.hits:
        return passages(turn.cited)
    return ""


def citation_note(turn: Turn) -> str:
    """The warning beside a finished written answer that cites no source, or cites numbers that are not sources."""
    if turn.mode != "llm" or not turn.text.strip():
        return ""
    outside = citations_outside(turn.text, len(turn.hits))
    if outside:
        numbers = ", ".join(f"[{n}]" for n in outside)
        sources = count(len(turn.hits), "source")
        if len(outside) == 1:
            return translate("TurnView", "Cites {numbers}, which is not among the {sources}.").format(
                numbers=numbers, sources=sources
            )
        return translate("TurnView", "Cites {numbers}, which are not among the {sources}.").format(
            numbers=numbers, sources=sources
        )
    if not cited_numbers(turn.text, len(turn.hits)):
        return translate("TurnView", "No citations: this answer may not come from your documents.")
    return ""


def rerank_note() -> str:
    return translate("TurnView", "Reranker not available: ranked by keyword + meaning.")


def star_tooltip() -> str:
    return translate(
        "TurnView",
        "★ marks a passage the answer cites. Click a number such as [1] to see the passage, its file and its scores "
        "in the Sources panel.",
    )


def footer_text(turn: Turn) -> str:
    if turn.mode == "pending":
        if turn.hits:  # the early fused list is shown while the reranker orders it
            return translate("TurnView", "Found {passages} · ranking them…").format(
                passages=count(len(turn.hits), "passage")
            )
        return translate("TurnView", "Searching your documents…")
    if turn.mode == "streaming":
        return translate("TurnView", "Found {passages} · writing the answer…").format(
            passages=count(len(turn.hits), "passage")
        )
    if not turn.hits:
        return ""
    sources = count(len(turn.hits), "source")
    if turn.cited and turn.mode == "llm":
        return sources + " · " + translate("TurnView", "{n} cited").format(n=len(turn.cited))
    return sources


class SearchedFor(QWidget):
    """ "Searched for: <query>" above a follow-up's sources: the query actually searched, editable and re-runnable.

    Signals: rerun_requested(str) when the edited query is submitted (Enter or "Search again").
    """

    rerun_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(translate("TurnView", "Searched for:"))
        self.edit = QLineEdit()
        self.edit.setObjectName("searchedFor")
        self.edit.setToolTip(
            translate(
                "TurnView",
                "The follow-up was rewritten from the earlier turns into this search. Edit it and press "
                "Enter to search again.",
            )
        )
        self.rerun_button = QToolButton()
        self.rerun_button.setText(translate("TurnView", "Search again"))
        self.rerun_button.setAutoRaise(True)
        self.edit.returnPressed.connect(self._on_submit)
        self.rerun_button.clicked.connect(self._on_submit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.rerun_button)

    def set_query(self, query: str, busy: bool) -> None:
        if not self.edit.hasFocus() or not self.edit.isModified():  # never overwrite what the person is typing
            self.edit.setText(query)
            self.edit.setModified(False)
        self.rerun_button.setEnabled(not busy)

    def _on_submit(self) -> None:
        query = " ".join(self.edit.text().split())
        if query:
            self.edit.setModified(False)
            self.rerun_requested.emit(query)


class RerankNote(QWidget):
    """ "Reranker not available" with a one-click Download (the app's model download). Signals: download_requested()."""

    download_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(rerank_note())
        self.label.setObjectName("rerankNote")
        self.label.setWordWrap(True)
        self.download_button = QToolButton()
        self.download_button.setText(translate("TurnView", "Download"))
        self.download_button.setToolTip(
            translate("TurnView", "Download the reranker model; later questions are then ranked by it")
        )
        self.download_button.clicked.connect(self.download_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.download_button)

    def set_reason(self, reason: str) -> None:
        self.label.setToolTip(
            translate(
                "TurnView",
                "{reason}. Without the reranker, passages are ordered by combining keyword (BM25) and meaning (dense) "
                "search.",
            ).format(reason=reason)
        )


class TurnView(QFrame):
    """Signals: link_activated(str) for cite: and settings: links; rerun_requested(int, str) for an edited query;
    download_requested() from the "Reranker not available" note."""

    link_activated = Signal(str)
    rerun_requested = Signal(int, str)
    download_requested = Signal()

    def __init__(self, index: int, turn: Turn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turn")
        self.index = index
        self.turn = turn
        self.question = _label("question")
        self.banner = _label("banner", rich=True)
        self.searched_for = SearchedFor()
        self.searched_for.rerun_requested.connect(lambda query: self.rerun_requested.emit(self.index, query))
        self.answer = _label("answer", rich=True)
        self.citation_note = _label("citationNote")
        self.rerank_note = RerankNote()
        self.rerank_note.download_requested.connect(self.download_requested)
        self.footer = QLabel()
        self.footer.setObjectName("turnFooter")
        self.copy_button = QToolButton()
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setToolTip(translate("TurnView", "Copy the answer"))
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy)
        for label in (self.banner, self.answer):
            label.linkActivated.connect(self.link_activated)
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.footer, 1)
        footer.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(6)
        layout.addWidget(self.question)
        layout.addWidget(self.banner)
        layout.addWidget(self.searched_for)
        layout.addWidget(self.answer)
        layout.addWidget(self.citation_note)
        layout.addWidget(self.rerank_note)
        layout.addLayout(footer)
        self.set_turn(turn)

    def set_turn(self, turn: Turn) -> None:
        self.turn = turn
        self.question.setText(turn.question)
        tone, banner = banner_for(turn)
        self.banner.setVisible(bool(banner))
        self.banner.setProperty("tone", tone)
        self.banner.setText(banner)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.searched_for.setVisible(bool(turn.searched_for))
        self.searched_for.set_query(turn.query, busy=not turn.done)
        body = body_html(self.index, turn, highlight_color())
        self.answer.setVisible(bool(body))
        self.answer.setText(body)
        self.answer.setToolTip(star_tooltip() if "★" in body else "")
        note = citation_note(turn)
        self.citation_note.setVisible(bool(note))
        self.citation_note.setText(note)
        self.rerank_note.setVisible(bool(turn.rerank_unavailable) and bool(turn.hits))
        self.rerank_note.set_reason(turn.rerank_unavailable)
        self.footer.setText(footer_text(turn))
        self.copy_button.setEnabled(bool(turn.text))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.turn.text)
