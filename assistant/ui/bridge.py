"""Carries engine events from the engine's thread to the GUI thread as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from assistant import events as ev


class EventBridge(QObject):
    """An event sink for the engine; `event` is emitted for each event, delivered on the GUI thread.

    The bridge lives on the GUI thread, so a signal emitted from the engine's thread is queued
    (Qt's automatic connection) and its slots run in the GUI's event loop, never on the engine's.
    """

    event = Signal(object)

    def __call__(self, event: ev.Event) -> None:
        self.event.emit(event)
