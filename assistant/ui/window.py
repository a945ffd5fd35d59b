"""The main window: the conversation, the state and mic level, typed input, Talk and Mute."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QIcon, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import events as ev
from assistant.ui import theme as themes
from assistant.ui.state import Conversation, Entry, State, StateTracker

APP_TITLE = "Assistant"


class StateDot(QWidget):
    """A small coloured dot for the current state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = QColor("#999999")
        self.setFixedSize(12, 12)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.color)
        p.drawEllipse(QRectF(1, 1, 10, 10))


class LevelMeter(QWidget):
    """A slim bar showing how loud the microphone is (0..1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = 0.0
        self.track = QColor("#dddddd")
        self.fill = QColor("#2e9d6a")
        self.setFixedSize(88, 8)
        self.setToolTip("Microphone level")

    def set_level(self, level: float) -> None:
        level = max(0.0, min(1.0, level))
        if abs(level - self.level) > 0.005:
            self.level = level
            self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        r = QRectF(0, 0, self.width(), self.height())
        p.setBrush(self.track)
        p.drawRoundedRect(r, 4, 4)
        if self.level > 0:
            p.setBrush(self.fill)
            p.drawRoundedRect(QRectF(0, 0, max(8.0, r.width() * self.level), r.height()), 4, 4)


class Bubble(QFrame):
    """One entry of the conversation."""

    def __init__(self, entry: Entry, name: str) -> None:
        super().__init__()
        self.setObjectName("bubble-info" if entry.kind == "info" else f"bubble-{entry.role}")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.meta = QLabel()
        self.meta.setObjectName("bubble-meta")
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(2)
        box.addWidget(self.text)
        box.addWidget(self.meta)
        self.name = name
        self.max_width = 320
        self.show_entry(entry)

    def fit(self, max_width: int) -> None:
        """Wrap the text at its natural width, but no wider than max_width."""
        self.max_width = max_width
        m = self.layout().contentsMargins()
        inner = max(80, max_width - m.left() - m.right())
        self.text.ensurePolished()  # the style sheet's font, not the default one
        self.meta.ensurePolished()
        fm = self.text.fontMetrics()
        lines = [self.text.text(), "" if self.meta.isHidden() else self.meta.text()]
        natural = max(fm.horizontalAdvance(t) for t in lines) + 8
        self.text.setFixedWidth(min(natural, inner))

    def show_entry(self, entry: Entry) -> None:
        if entry.role == "user" and not entry.text:
            self.text.setText("…")
        else:
            self.text.setText(entry.text or "…")
        notes = []
        if entry.kind == "announcement":
            notes.append(f"{self.name} wanted to tell you")
        if entry.interrupted:
            notes.append("— interrupted")
        elif not entry.done and entry.role == "assistant":
            notes.append("…")
        self.meta.setText(" · ".join(notes))
        self.meta.setVisible(bool(notes))
        self.fit(self.max_width)


class ConversationView(QScrollArea):
    """The conversation as bubbles: the user's on the right, the assistant's on the left."""

    def __init__(self, conversation: Conversation, name: str) -> None:
        super().__init__()
        self.conversation = conversation
        self.name = name
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(14, 12, 14, 12)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.setWidget(inner)
        self.bubbles: list[Bubble] = []
        self.empty = QLabel(
            "Press Talk (or your hotkey) and speak, or type below.\n"
            "Everything stays on this computer."
        )
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setContentsMargins(0, 48, 0, 0)
        self.column.insertWidget(0, self.empty)
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self._at_bottom = True

    def _follow(self, _low: int, high: int) -> None:
        if self._at_bottom:
            self.verticalScrollBar().setValue(high)

    def changed(self, index: int) -> None:
        """Show entry `index` of the conversation (added or changed); -1 redraws everything."""
        bar = self.verticalScrollBar()
        self._at_bottom = bar.value() >= bar.maximum() - 24
        if index < 0 or index > len(self.bubbles):
            self._clear_rows()
            for i in range(len(self.conversation.entries)):
                self._add(i)
        elif index == len(self.bubbles):
            self._add(index)
        else:
            self.bubbles[index].show_entry(self.conversation.entries[index])
        self.empty.setVisible(not self.bubbles)

    def _clear_rows(self) -> None:
        while self.column.count() > 2:  # keep the empty note and the stretch
            item = self.column.takeAt(1)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.bubbles = []

    def _add(self, index: int) -> None:
        entry = self.conversation.entries[index]
        bubble = Bubble(entry, self.name)
        bubble.fit(self._bubble_width())
        bubble.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Minimum)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        if entry.role == "user":
            line.addStretch(1)
            line.addWidget(bubble)
        elif entry.role == "note":
            line.addStretch(1)
            line.addWidget(bubble)
            line.addStretch(1)
        else:
            line.addWidget(bubble)
            line.addStretch(1)
        self.column.insertWidget(self.column.count() - 1, row)
        self.bubbles.append(bubble)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        for b in self.bubbles:
            b.fit(self._bubble_width())

    def _bubble_width(self) -> int:
        return max(220, int(self.viewport().width() * 0.8))


class MainWindow(QMainWindow):
    """The assistant's window. It shows events and emits what the user asks for as signals."""

    submitted = Signal(str)  # typed text
    talk_clicked = Signal()  # hotkey-style activation: start or stop listening
    talk_pressed = Signal()  # push-to-talk
    talk_released = Signal()
    mute_toggled = Signal(bool)
    hidden_to_tray = Signal()  # the user closed the window; the app keeps running in the tray

    def __init__(self, name: str = "Sam", profile: str = "default", icon: QIcon | None = None):
        super().__init__()
        self.name = name
        self.tracker = StateTracker()
        self.conversation = Conversation()
        self.theme = themes.LIGHT
        self.push_to_talk = False
        self.keep_in_tray = False  # closing hides the window when a tray icon is there
        self.quitting = False
        if icon is not None:
            self.setWindowIcon(icon)
        self.resize(QSize(440, 660))
        self.setMinimumSize(QSize(340, 420))

        page = QWidget()
        page.setObjectName("page")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        # Header: who, the state and the mic level.
        header = QWidget()
        top = QHBoxLayout(header)
        top.setContentsMargins(16, 12, 16, 6)
        top.setSpacing(8)
        self.title = QLabel(name)
        self.title.setObjectName("title")
        self.profile_label = QLabel()
        self.profile_label.setObjectName("muted")
        self.dot = StateDot()
        self.state_label = QLabel()
        self.meter = LevelMeter()
        top.addWidget(self.title)
        top.addWidget(self.profile_label)
        top.addStretch(1)
        top.addWidget(self.dot)
        top.addWidget(self.state_label)
        top.addWidget(self.meter)
        outer.addWidget(header)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)
        chat = QWidget()
        chat.setObjectName("page")
        column = QVBoxLayout(chat)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.view = ConversationView(self.conversation, name)
        self.conversation.on_change = self.view.changed
        column.addWidget(self.view, 1)

        bottom = QWidget()
        controls = QHBoxLayout(bottom)
        controls.setContentsMargins(12, 8, 12, 12)
        controls.setSpacing(8)
        self.talk = QPushButton("Talk")
        self.talk.setObjectName("talk")
        self.talk.setCheckable(True)
        self.talk.setToolTip("Start or stop listening")
        self.input = QLineEdit()
        self.input.setPlaceholderText(f"Type to {name}…")
        self.send = QPushButton("Send")
        self.mute = QPushButton("Mute")
        self.mute.setObjectName("mute")
        self.mute.setCheckable(True)
        self.mute.setToolTip("Turn the microphone off")
        controls.addWidget(self.talk)
        controls.addWidget(self.input, 1)
        controls.addWidget(self.send)
        controls.addWidget(self.mute)
        column.addWidget(bottom)
        self.tabs.addTab(chat, "Conversation")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(page)

        self.input.returnPressed.connect(self._submit)
        self.send.clicked.connect(self._submit)
        self.talk.clicked.connect(self._talk_clicked)
        self.talk.pressed.connect(self._talk_down)
        self.talk.released.connect(self._talk_up)
        self.mute.toggled.connect(self._mute)

        # Time-driven changes (a reply's audio ending) are picked up a few times a second.
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.set_profile(profile)
        self.apply_theme(self.theme)
        self.refresh()

    # -- from the user -------------------------------------------------------------------------

    def _submit(self) -> None:
        text = " ".join(self.input.text().split())
        if not text:
            return
        self.input.clear()
        self.conversation.add_user_text(text)
        self.submitted.emit(text)

    def _talk_clicked(self) -> None:
        if not self.push_to_talk:
            self.talk_clicked.emit()
        self.refresh()

    def _talk_down(self) -> None:
        if self.push_to_talk:
            self.talk_pressed.emit()

    def _talk_up(self) -> None:
        if self.push_to_talk:
            self.talk_released.emit()

    def _mute(self, on: bool) -> None:
        self.mute.setText("Muted" if on else "Mute")
        self.mute_toggled.emit(on)

    # -- from the engine -----------------------------------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        """Show one engine event (called on the GUI thread)."""
        self.tracker.feed(event)
        self.conversation.feed(event)
        self.refresh()

    def _tick(self) -> None:
        self.tracker.tick()
        self.refresh()

    def refresh(self) -> None:
        """Make the indicator, meter, title and buttons match the state."""
        state = self.tracker.state
        self.dot.color = QColor(self.theme.states[state])
        self.dot.update()
        self.state_label.setText(state.label)
        self.meter.fill = QColor(self.theme.states[State.LISTENING])
        self.meter.set_level(self.tracker.level)
        self.meter.setVisible(state is not State.LOADING)
        title = f"{APP_TITLE} — {state.label.rstrip('…')}"
        if self.windowTitle() != title:
            self.setWindowTitle(title)
        self.talk.setChecked(self.tracker.listening)
        self.talk.setText("Stop" if self.tracker.listening and not self.push_to_talk else "Talk")

    @property
    def state(self) -> State:
        return self.tracker.state

    # -- settings ------------------------------------------------------------------------------

    def set_profile(self, profile: str, name: str | None = None) -> None:
        if name:
            self.name = name
            self.title.setText(name)
            self.view.name = name
            self.input.setPlaceholderText(f"Type to {name}…")
        self.profile_label.setText("" if profile == "default" else f"· {profile}")

    def set_push_to_talk(self, on: bool) -> None:
        self.push_to_talk = on
        self.talk.setToolTip("Hold to talk" if on else "Start or stop listening")
        self.refresh()

    def set_muted(self, on: bool) -> None:
        self.mute.setChecked(on)

    def apply_theme(self, theme: themes.Theme) -> None:
        self.theme = theme
        self.meter.track = QColor(theme.border)
        self.refresh()

    def add_tab(self, widget: QWidget, title: str) -> None:
        self.tabs.addTab(widget, title)

    def show_and_raise(self) -> None:
        """Bring the window forward (from the tray, or for a second launch)."""
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.keep_in_tray and not self.quitting:
            event.ignore()
            self.hide()  # the tray icon keeps the app
            self.hidden_to_tray.emit()
        else:
            event.accept()
