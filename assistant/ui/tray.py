"""The tray icon: shows the state; its menu shows the window, talks, mutes and switches profile."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from assistant.ui.desktop import icon_svg
from assistant.ui.state import State
from assistant.ui.theme import LIGHT


def app_icon() -> QIcon:
    """The app's icon from the packaged SVG."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(_render(size))
    return icon


def _render(size: int) -> QPixmap:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(icon_svg()))
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(p, QRectF(0, 0, size, size))
    p.end()
    return pm


def state_icon(state: State, size: int = 64) -> QIcon:
    """The app icon with a dot in the corner coloured by the state."""
    pm = _render(size)
    if state is not State.IDLE:
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        d = size * 0.42
        p.setPen(QColor("#ffffff"))
        p.setBrush(QColor(LIGHT.states[state]))
        p.drawEllipse(QRectF(size - d - 1, size - d - 1, d, d))
        p.end()
    return QIcon(pm)


class Tray(QSystemTrayIcon):
    """The tray icon and its menu; the app connects to its signals."""

    toggle_window = Signal()
    talk = Signal()
    mute_toggled = Signal(bool)
    profile_chosen = Signal(str)
    quit_requested = Signal()

    def __init__(self, profiles: list[str], profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = State.LOADING
        self._icons: dict[State, QIcon] = {}
        self.menu = QMenu()
        self.show_action = self.menu.addAction("Show window")
        self.talk_action = self.menu.addAction("Talk")
        self.mute_action = self.menu.addAction("Mute microphone")
        self.mute_action.setCheckable(True)
        self.profiles_menu = self.menu.addMenu("Profile")
        self.profile_group = QActionGroup(self.menu)
        self.set_profiles(profiles, profile)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("Quit")
        self.setContextMenu(self.menu)
        self.show_action.triggered.connect(self.toggle_window)
        self.talk_action.triggered.connect(self.talk)
        self.mute_action.toggled.connect(self.mute_toggled)
        self.quit_action.triggered.connect(self.quit_requested)
        self.activated.connect(self._activated)
        self.set_state(State.LOADING)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window.emit()

    def set_profiles(self, profiles: list[str], current: str) -> None:
        self.profiles_menu.clear()
        for action in self.profile_group.actions():
            self.profile_group.removeAction(action)
        for name in sorted({*profiles, current}):
            action = QAction(name, self.profiles_menu, checkable=True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _c=False, n=name: self.profile_chosen.emit(n))
            self.profile_group.addAction(action)
            self.profiles_menu.addAction(action)

    def set_state(self, state: State, listening: bool = False) -> None:
        if state not in self._icons:
            self._icons[state] = state_icon(state)
        self.state = state
        self.setIcon(self._icons[state])
        self.setToolTip(f"Assistant — {state.label}")
        self.talk_action.setText("Stop listening" if listening else "Talk")

    def set_window_visible(self, visible: bool) -> None:
        self.show_action.setText("Hide window" if visible else "Show window")

    def set_muted(self, on: bool) -> None:
        self.mute_action.setChecked(on)
