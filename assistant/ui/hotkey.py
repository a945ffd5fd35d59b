"""The global hotkey: press to talk; for push-to-talk also its release.

On X11, pynput's keyboard listener (XRecord) sees keys pressed in any window without taking them
away from it. Wayland lets no app watch the keyboard: there the xdg-desktop-portal GlobalShortcuts
interface binds the shortcut (the desktop asks the user once); where the portal lacks it, the app
says so and the user binds `assistant toggle` in the desktop's keyboard settings.
"""

from __future__ import annotations

import os
import re
import threading
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


def on_wayland() -> bool:
    """Whether this is a Wayland session (where only the portal can bind a global shortcut)."""
    return bool(os.environ.get("WAYLAND_DISPLAY")) or os.environ.get("XDG_SESSION_TYPE") == (
        "wayland"
    )


def unavailable_reason() -> str | None:
    """Why a global hotkey cannot work here, or None when it can."""
    if not on_wayland() and not os.environ.get("DISPLAY"):
        return "there is no display"
    return None


class GlobalHotkey(QObject):
    """Emits `pressed` when the key combination goes down anywhere, `released` when it lets go.

    The signals are emitted from pynput's thread and delivered queued to the GUI thread.
    """

    pressed = Signal()
    released = Signal()
    failed = Signal(str)  # the portal route failed later, on its own thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: Any = None
        self._portal: Any = None
        self.sequence = ""

    def start(self, sequence: str) -> None:
        """Listen for this hotkey (stops any earlier one). Raises RuntimeError if it cannot."""
        self.stop()
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        if on_wayland():
            self._start_portal(sequence)
            return
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

    def _start_portal(self, sequence: str) -> None:
        from assistant.ui.portal import PortalError, PortalShortcut

        portal = PortalShortcut(self.pressed.emit, self.released.emit)
        self._portal = portal
        self.sequence = sequence

        def bind() -> None:  # waits for the user's consent: never on the GUI thread
            try:
                portal.start(sequence)
            except PortalError as e:
                self.failed.emit(str(e))

        threading.Thread(target=bind, name="assistant-portal-bind", daemon=True).start()

    def _down(self) -> None:
        if not self._active:
            self._active = True
            self.pressed.emit()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._portal is not None:
            self._portal.stop()
            self._portal = None
