"""The global hotkey (X11): press to talk; for push-to-talk also its release.

Uses pynput's keyboard listener (XRecord on X11), which sees keys pressed in any window without
taking them away from it. Native Wayland offers no such thing to applications: there the user
binds `assistant toggle` in the desktop's keyboard settings (the app says so).
"""

from __future__ import annotations

import os
import re
from typing import Any

from PySide6.QtCore import QObject, Signal

_NAMED = {
    "ctrl": "<ctrl>",
    "control": "<ctrl>",
    "alt": "<alt>",
    "shift": "<shift>",
    "meta": "<cmd>",
    "super": "<cmd>",
    "win": "<cmd>",
    "space": "<space>",
    "return": "<enter>",
    "enter": "<enter>",
    "tab": "<tab>",
    "esc": "<esc>",
    "escape": "<esc>",
    "pause": "<pause>",
}


def to_pynput(sequence: str) -> str:
    """A Qt-style key sequence ("Ctrl+Alt+Space") in pynput's syntax ("<ctrl>+<alt>+<space>")."""
    parts = [p.strip() for p in sequence.split("+") if p.strip()]
    if not parts:
        raise ValueError("empty hotkey")
    out = []
    for part in parts:
        low = part.lower()
        if low in _NAMED:
            out.append(_NAMED[low])
        elif re.fullmatch(r"f([1-9]|1[0-9]|2[0-4])", low):
            out.append(f"<{low}>")
        elif len(part) == 1:
            out.append(low)
        else:
            raise ValueError(f"unknown key {part!r} in hotkey {sequence!r}")
    return "+".join(out)


def unavailable_reason() -> str | None:
    """Why a global hotkey cannot work here, or None when it can."""
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return "global hotkeys are not available to apps on Wayland"
    if not os.environ.get("DISPLAY"):
        return "there is no X display"
    return None


class GlobalHotkey(QObject):
    """Emits `pressed` when the key combination goes down anywhere, `released` when it lets go.

    The signals are emitted from pynput's thread and delivered queued to the GUI thread.
    """

    pressed = Signal()
    released = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: Any = None
        self.sequence = ""

    def start(self, sequence: str) -> None:
        """Listen for this hotkey (stops any earlier one). Raises RuntimeError if it cannot."""
        self.stop()
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        spec = to_pynput(sequence)
        try:
            from pynput import keyboard
        except ImportError as e:  # pynput found no usable backend
            raise RuntimeError(f"pynput cannot watch the keyboard here: {e}") from None
        combo = keyboard.HotKey(keyboard.HotKey.parse(spec), self._down)
        self._active = False
        listener: Any = None

        def on_press(key: Any) -> None:
            combo.press(listener.canonical(key))

        def on_release(key: Any) -> None:
            combo.release(listener.canonical(key))
            if self._active:
                self._active = False
                self.released.emit()

        listener = keyboard.Listener(on_press=on_press, on_release=on_release)
        listener.daemon = True
        listener.start()
        listener.wait()
        self._listener = listener
        self.sequence = sequence

    def _down(self) -> None:
        if not self._active:
            self._active = True
            self.pressed.emit()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
