"""The window's look: a calm light and dark palette, following the desktop or a setting."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from assistant.ui.state import State

# Style sheets take an image by file name; the package data is a plain file in any normal install.
_CHEVRON = str(resources.files("assistant.ui").joinpath("data/chevron.svg"))


@dataclass(frozen=True)
class Theme:
    """The colours the window is drawn with."""

    dark: bool
    window: str
    surface: str  # panels, the assistant's bubbles
    text: str
    muted: str  # secondary text
    accent: str  # the user's bubbles, the Talk button
    on_accent: str
    border: str
    states: dict[State, str]


LIGHT = Theme(
    dark=False,
    window="#f7f5f2",
    surface="#ffffff",
    text="#23211f",
    muted="#7a746d",
    accent="#d95f7f",
    on_accent="#ffffff",
    border="#e6e1da",
    states={
        State.LOADING: "#b0a89f",
        State.IDLE: "#8f99a3",
        State.LISTENING: "#2e9d6a",
        State.THINKING: "#d9962b",
        State.SPEAKING: "#5b7be0",
        State.PAUSED: "#9aa6cf",  # the speaking blue, faded: the reply is silent for a moment
        State.ERROR: "#cf4a4a",
    },
)

DARK = Theme(
    dark=True,
    window="#1c1d21",
    surface="#26282d",
    text="#e8e6e3",
    muted="#9a968f",
    accent="#e0728e",
    on_accent="#1c1d21",
    border="#34363c",
    states={
        State.LOADING: "#7d7770",
        State.IDLE: "#7f8a94",
        State.LISTENING: "#4cc38a",
        State.THINKING: "#e8aa45",
        State.SPEAKING: "#7d98f0",
        State.PAUSED: "#5f6b94",
        State.ERROR: "#e26464",
    },
)


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark look (Qt 6.5+ reads the platform's colour scheme)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() != Qt.ColorScheme.Unknown:
        return scheme() == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def pick(setting: str) -> Theme:
    """The theme for the `[ui] theme` setting ("system", "light" or "dark")."""
    if setting == "system":
        return DARK if system_is_dark() else LIGHT
    return DARK if setting == "dark" else LIGHT


def apply(app: QApplication, theme: Theme) -> None:
    """Give the whole application this theme's palette and style sheet."""
    app.setStyle("Fusion")
    p = QPalette()
    c = QColor
    p.setColor(QPalette.ColorRole.Window, c(theme.window))
    p.setColor(QPalette.ColorRole.WindowText, c(theme.text))
    p.setColor(QPalette.ColorRole.Base, c(theme.surface))
    p.setColor(QPalette.ColorRole.AlternateBase, c(theme.window))
    p.setColor(QPalette.ColorRole.Text, c(theme.text))
    p.setColor(QPalette.ColorRole.PlaceholderText, c(theme.muted))
    p.setColor(QPalette.ColorRole.Button, c(theme.surface))
    p.setColor(QPalette.ColorRole.ButtonText, c(theme.text))
    p.setColor(QPalette.ColorRole.Highlight, c(theme.accent))
    p.setColor(QPalette.ColorRole.HighlightedText, c(theme.on_accent))
    p.setColor(QPalette.ColorRole.ToolTipBase, c(theme.surface))
    p.setColor(QPalette.ColorRole.ToolTipText, c(theme.text))
    p.setColor(QPalette.ColorRole.Mid, c(theme.border))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c(theme.muted))
    app.setPalette(p)
    app.setStyleSheet(style_sheet(theme))


def style_sheet(t: Theme) -> str:
    """The application style sheet: rounded, roomy, quiet."""
    return f"""
    QWidget {{ font-size: 10.5pt; }}
    QMainWindow, QWidget#page {{ background: {t.window}; }}
    QLabel#muted {{ color: {t.muted}; }}
    QLabel#title {{ font-size: 12pt; font-weight: 600; }}
    QFrame#bubble-user {{ background: {t.accent}; border-radius: 14px; }}
    QFrame#bubble-user QLabel {{ color: {t.on_accent}; }}
    QFrame#bubble-assistant {{ background: {t.surface}; border: 1px solid {t.border};
        border-radius: 14px; }}
    QFrame#bubble-note {{ background: transparent; }}
    QFrame#bubble-note QLabel {{ color: {t.states[State.ERROR]}; font-size: 9.5pt; }}
    QFrame#bubble-info {{ background: transparent; }}
    QFrame#bubble-info QLabel {{ color: {t.muted}; font-size: 9.5pt; }}
    QLabel#bubble-meta {{ color: {t.muted}; font-size: 8.5pt; font-style: italic; }}
    QFrame#bubble-user QLabel#bubble-meta {{ color: {t.on_accent}; }}
    QScrollArea {{ border: none; background: {t.window}; }}
    QScrollArea > QWidget > QWidget {{ background: {t.window}; }}
    QLineEdit {{ background: {t.surface}; border: 1px solid {t.border}; border-radius: 16px;
        padding: 7px 12px; selection-background-color: {t.accent}; }}
    QLineEdit:focus {{ border: 1px solid {t.accent}; }}
    QPushButton {{ background: {t.surface}; border: 1px solid {t.border}; border-radius: 16px;
        padding: 7px 14px; }}
    QPushButton:hover {{ border: 1px solid {t.accent}; }}
    QPushButton:checked {{ background: {t.border}; }}
    QPushButton#talk {{ background: {t.accent}; color: {t.on_accent}; border: 1px solid {t.accent};
        border-radius: 16px; font-weight: 600; padding: 7px 18px; }}
    QPushButton#talk:checked {{ border: 1px solid {t.states[State.LISTENING]}; }}
    QPushButton#talk:checked {{ background: {t.states[State.LISTENING]}; }}
    QPushButton#mute:checked {{ background: {t.states[State.ERROR]}; color: {t.on_accent};
        border: 1px solid {t.states[State.ERROR]}; border-radius: 16px; }}
    QTabWidget::pane {{ border: none; }}
    QTabBar::tab {{ background: transparent; color: {t.muted}; padding: 6px 14px;
        border: none; border-bottom: 2px solid transparent; }}
    QTabBar::tab:selected {{ color: {t.text}; border-bottom: 2px solid {t.accent}; }}
    QListWidget {{ background: {t.surface}; border: 1px solid {t.border};
        border-radius: 10px; padding: 4px; }}
    QListWidget::item {{ padding: 8px 6px; border-bottom: 1px solid {t.border}; }}
    QListWidget::item:selected {{ background: {t.accent}; color: {t.on_accent};
        border-radius: 6px; }}
    QComboBox {{ background: {t.surface}; border: 1px solid {t.border};
        border-radius: 8px; padding: 4px 8px; }}
    QComboBox::drop-down {{ border: none; width: 24px; }}
    QComboBox::down-arrow {{ image: url({_CHEVRON}); width: 12px; height: 12px; }}
    QComboBox QAbstractItemView {{ background: {t.surface}; border: 1px solid {t.border};
        selection-background-color: {t.accent}; selection-color: {t.on_accent}; }}
    QKeySequenceEdit QLineEdit {{ border-radius: 8px; padding: 4px 8px; }}
    """
