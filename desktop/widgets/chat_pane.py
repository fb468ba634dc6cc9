"""ChatPane: the conversation (one TurnView per question) and the question box with Send/Stop."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translate
from desktop.rendering import SETTINGS_LINK, parse_cite
from desktop.resources import icon
from desktop.widgets.turn_view import TurnView
from engine import Chat, Turn

SAMPLES_LINK = "samples:"
ADD_FOLDER_LINK = "add-folder:"


def empty_html() -> str:
    """The welcome text before any library exists."""
    return (
        translate("ChatPane", "<h2>Ask your documents</h2>")
        + translate(
            "ChatPane",
            "<p>Drag a folder onto this window, or press <b>Ctrl+O</b> to choose one. Tansaku indexes it and "
            "answers questions with the passages it used, numbered like [1].</p>",
        )
        + translate(
            "ChatPane",
            '<p><a href="{add}">Add a folder…</a> &nbsp;·&nbsp; <a href="{samples}">Try the sample documents</a></p>',
        ).format(add=ADD_FOLDER_LINK, samples=SAMPLES_LINK)
    )


def ready_html() -> str:
    """The hint once a library exists but the chat is empty."""
    return translate("ChatPane", "<h2>Ask your documents</h2>") + translate(
        "ChatPane", "<p>Type a question below. <b>Ctrl+L</b> jumps here, <b>Esc</b> stops.</p>"
    )


FOLLOW_SLACK_PX = 40  # this close to the bottom counts as "at the bottom"
TURN_TOP_MARGIN_PX = 8  # a followed turn taller than the chat stops this far below the top edge
MIN_REDRAW_MS = 50
REDRAW_BUDGET = 4  # wait 4x the last redraw's cost before the next one


class QuestionEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter inserts a new line. Signals: submitted(str)."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionEdit")
        self.setPlaceholderText(
            translate("ChatPane", "Ask a question about your documents…  (Enter sends, Shift+Enter for a new line)")
        )
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(line * 3 + 16)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        is_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if is_enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            text = self.toPlainText().strip()
            if text:
                self.submitted.emit(text)
            event.accept()
            return
        super().keyPressEvent(event)


class TurnsColumn(QWidget):
    """The scrolled column of turns, sized by height-for-width only.

    Its layout's minimum size adds up word-wrapped labels at their narrowest (each label's minimum is its text wrapped
    to a sliver), so the column came out hundreds of pixels taller than its turns: "the bottom" was blank space and
    the newest turn sat above it. With no minimum, the scroll area sizes it by heightForWidth at the viewport's width.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turns")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(0, 0)


class ChatPane(QWidget):
    """Signals:
    ask_requested(str), rerun_requested(turn, query), stop_requested(), citation_clicked(turn, number),
    settings_requested(),
    new_chat_requested(), samples_requested(), add_folder_requested(),
    rerank_download_requested() (the "Reranker not available" note's Download)

    The view follows the conversation: a new turn is scrolled into view and its answer streams in below it; an answer
    taller than the chat stops with its question at the top, so it reads from its start. Once the person scrolls up it
    stays where they put it; scrolled down to the very end, it keeps to the end as text arrives.
    """

    ask_requested = Signal(str)
    rerun_requested = Signal(int, str)
    stop_requested = Signal()
    citation_clicked = Signal(int, int)
    settings_requested = Signal()
    new_chat_requested = Signal()
    samples_requested = Signal()
    add_folder_requested = Signal()
    rerank_download_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._views: list[TurnView] = []
        self._busy = False
        self._pending: dict[int, Turn] = {}
        self._redraw_ms = 0.0
        self._follow = "turn"  # "turn": keep the newest turn in view from its top; "end": keep to the end; "": stay
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._render_pending)
        self.title = QLabel(translate("ChatPane", "New chat"))
        self.title.setObjectName("paneTitle")
        self.new_chat_button = QToolButton()
        self.new_chat_button.setIcon(icon("new-chat"))
        self.new_chat_button.setText(translate("ChatPane", "New chat"))
        self.new_chat_button.setToolTip(translate("ChatPane", "New chat (Ctrl+N)"))
        self.new_chat_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_chat_button.setAutoRaise(True)
        self.new_chat_button.clicked.connect(self.new_chat_requested)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.new_chat_button)

        self.empty = QLabel(empty_html())
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.empty.linkActivated.connect(self._on_link)

        self._turns = TurnsColumn()
        self._turns_layout = QVBoxLayout(self._turns)
        self._turns_layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._turns_layout.setContentsMargins(0, 0, 0, 0)
        self._turns_layout.setSpacing(10)
        self._turns_layout.addWidget(self.empty)
        self._turns_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("chatScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self._turns)
        bar = self.scroll_area.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.actionTriggered.connect(self._on_scroll_action)

        self.question = QuestionEdit()
        self.question.submitted.connect(self._on_submitted)
        self.send_button = QPushButton(translate("ChatPane", "Ask"))
        self.send_button.setObjectName("sendButton")
        self.send_button.setIcon(icon("send"))
        self.send_button.clicked.connect(self._on_send_clicked)
        ask_row = QHBoxLayout()
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(ask_row)

    # -- conversation ------------------------------------------------------------------------------
    def set_chat(self, chat: Chat) -> None:
        self._pending.clear()
        self._render_timer.stop()
        for view in self._views:
            view.setParent(None)
            view.deleteLater()
        self._views = []
        for index, turn in enumerate(chat.turns):
            self.add_turn(index, turn, scroll=False)
        self.title.setText(chat.title if chat.turns else translate("ChatPane", "New chat"))
        self._update_empty()
        self._scroll_to_bottom()

    def add_turn(self, index: int, turn: Turn, *, scroll: bool = True) -> None:
        view = TurnView(index, turn)
        view.link_activated.connect(self._on_link)
        view.rerun_requested.connect(self.rerun_requested)
        view.download_requested.connect(self.rerank_download_requested)
        self._turns_layout.insertWidget(self._turns_layout.count() - 1, view)
        self._views.append(view)
        if index == 0:
            self.title.setText(turn.question if len(turn.question) <= 60 else turn.question[:59] + "…")
        self._update_empty()
        if scroll:
            self._scroll_to_bottom()

    def update_turn(self, index: int, turn: Turn) -> None:
        """Show a turn's new state. While streaming, redraws are spaced so that they take at most ~1/4 of the GUI
        thread's time: a long answer costs tens of milliseconds to lay out, and tokens arrive 20 times a second."""
        if not 0 <= index < len(self._views):
            return
        if turn.mode == "streaming":
            self._pending[index] = turn
            if not self._render_timer.isActive():
                self._render_timer.start(max(MIN_REDRAW_MS, int(self._redraw_ms * REDRAW_BUDGET)))
            return
        self._pending.pop(index, None)
        self._render(index, turn)

    def _render_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for index, turn in pending.items():
            self._render(index, turn)

    def _render(self, index: int, turn: Turn) -> None:
        started = time.perf_counter()
        view = self._views[index]
        view.set_turn(turn)
        layout = view.layout()
        if layout is not None:  # a TurnView always has one; the check is for the type checker
            layout.activate()
        self._redraw_ms = (time.perf_counter() - started) * 1000 * 3  # layout and paint follow; roughly 2x more

    def turn_view(self, index: int) -> TurnView:
        return self._views[index]

    def turn_count(self) -> int:
        return len(self._views)

    def set_has_libraries(self, has_libraries: bool) -> None:
        self.empty.setText(ready_html() if has_libraries else empty_html())

    def _update_empty(self) -> None:
        self.empty.setVisible(not self._views)

    @property
    def following(self) -> bool:
        """True while the view keeps to the newest text (the person has not scrolled up)."""
        return bool(self._follow)

    def newest_turn_top(self) -> int:
        """Where the view stops when following a turn taller than the chat: its question just below the top edge."""
        if not self._views:
            return 0
        return max(0, self._views[-1].geometry().top() - TURN_TOP_MARGIN_PX)

    def _follow_value(self, maximum: int) -> int:
        return maximum if self._follow == "end" else min(maximum, self.newest_turn_top())

    def _scroll_to_bottom(self) -> None:
        """Follow the newest turn again, and go to it now; as the layout grows, _on_range_changed keeps up."""
        self._follow = "turn"
        bar = self.scroll_area.verticalScrollBar()
        bar.setValue(self._follow_value(bar.maximum()))

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.scroll_area.verticalScrollBar().setValue(self._follow_value(maximum))

    def _on_scroll_action(self, _action: int) -> None:
        # Only the person's scrolling (wheel, keys, the bar) triggers actions; the slider position is already the new
        # one here, the value not yet. Scrolling up stops following, scrolling back to the very end keeps to the end.
        bar = self.scroll_area.verticalScrollBar()
        self._follow = "end" if bar.sliderPosition() >= bar.maximum() - FOLLOW_SLACK_PX else ""

    # -- asking ------------------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.send_button.setText(translate("ChatPane", "Stop") if busy else translate("ChatPane", "Ask"))
        self.send_button.setIcon(icon("stop" if busy else "send"))
        self.send_button.setToolTip(
            translate("ChatPane", "Stop the answer (Esc)") if busy else translate("ChatPane", "Ask (Enter)")
        )

    @property
    def busy(self) -> bool:
        return self._busy

    def focus_question(self) -> None:
        self.question.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.question.selectAll()

    def _on_submitted(self, text: str) -> None:
        self.question.clear()
        self.ask_requested.emit(text)

    def _on_send_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
            return
        text = self.question.toPlainText().strip()
        if text:
            self._on_submitted(text)

    def _on_link(self, href: str) -> None:
        cite = parse_cite(href)
        if cite is not None:
            self.citation_clicked.emit(*cite)
        elif href == SETTINGS_LINK:
            self.settings_requested.emit()
        elif href == SAMPLES_LINK:
            self.samples_requested.emit()
        elif href == ADD_FOLDER_LINK:
            self.add_folder_requested.emit()
