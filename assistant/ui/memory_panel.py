"""The memory panel: see, search and forget what the assistant keeps about one profile.

Its memories, and the skills' timers, reminders, list items and notes (ids such as "timer:3").

Every store call (searching embeds the query with a model) runs on a worker thread; results come
back to the GUI thread through a signal.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class _Results(QObject):
    """Delivers worker results to the GUI thread."""

    done = Signal(object, object)  # (callback, result or exception)


class MemoryPanel(QWidget):
    """A list of what is kept about the profile, with a search box and a Forget button."""

    loaded = Signal()  # the list shows a fresh result (for tests and the status line)

    def __init__(
        self, path: Path, profile: str, store_factory: Callable[[Path], Any] | None = None
    ):
        super().__init__()
        self.setObjectName("page")
        self.path = path
        self.profile = profile
        self._factory = store_factory or _open_store
        self._store: Any = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="assistant-memory")
        self._results = _Results()
        self._results.done.connect(self._deliver)
        self.confirm = True  # ask before forgetting

        box = QVBoxLayout(self)
        box.setContentsMargins(14, 12, 14, 12)
        box.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search memories…")
        self.search.setClearButtonEnabled(True)
        box.addWidget(self.search)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.setAlternatingRowColors(False)
        box.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.forget = QPushButton("Forget")
        self.forget.setToolTip("Erase the selected memories, timers, reminders, items or notes")
        self.forget.setEnabled(False)
        row.addWidget(self.status, 1)
        row.addWidget(self.forget)
        box.addLayout(row)

        # Search as the user types, but not on every keystroke.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.list.itemSelectionChanged.connect(
            lambda: self.forget.setEnabled(bool(self.list.selectedItems()))
        )
        self.forget.clicked.connect(self._forget_selected)

    # -- worker plumbing -----------------------------------------------------------------------

    def _run(self, job: Callable[[Any], Any], then: Callable[[Any], None]) -> None:
        def work() -> None:
            try:
                if self._store is None:
                    self._store = self._factory(self.path) if self.path.exists() else None
                result = job(self._store) if self._store is not None else []
            except Exception as e:  # shown in the panel, never a crash
                result = e
            self._results.done.emit(then, result)

        self._pool.submit(work)

    def _deliver(self, then: Callable[[Any], None], result: Any) -> None:
        if isinstance(result, Exception):
            self.status.setText(f"Memory unavailable: {result}")
            self.loaded.emit()
            return
        then(result)

    # -- actions -------------------------------------------------------------------------------

    def set_profile(self, profile: str, path: Path | None = None) -> None:
        """Show another profile's memories (a fresh list: the search is cleared)."""
        self.profile = profile
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        if path is not None and path != self.path:
            self.path = path
            store, self._store = self._store, None
            if store is not None:
                self._pool.submit(store.close)
        self.refresh()

    def refresh(self) -> None:
        """Reload the list (all memories, or the search results)."""
        query, profile = self.search.text().strip(), self.profile
        if query:
            self._run(lambda s: s.search(query, profile, k=50), self._show)
        else:
            self._run(lambda s: list(reversed(s.list(profile))), self._show)

    def _show(self, memories: list[Any]) -> None:
        self.list.clear()
        for m in memories:
            who = f"{m.speaker}: " if m.speaker else ""
            item = QListWidgetItem(f"{who}{m.text}\n{m.when:%d %b %Y, %H:%M} · {m.kind}")
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            item.setToolTip(m.id)
            self.list.addItem(item)
        query = self.search.text().strip()
        if memories:
            self.status.setText(f"{len(memories)} {'found' if query else 'kept'}")
        else:
            self.status.setText("Nothing found" if query else "Nothing remembered yet")
        self.forget.setEnabled(False)
        self.loaded.emit()

    def selected_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]

    def _forget_selected(self) -> None:
        ids, profile = self.selected_ids(), self.profile
        if not ids:
            return
        if self.confirm:
            answer = QMessageBox.question(
                self,
                "Forget",
                f"Forget {len(ids)} {'thing' if len(ids) == 1 else 'things'} for good?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._run(lambda s: s.forget_many(ids, profile), lambda _r: self.refresh())

    def close_store(self) -> None:
        """Close the database (at quit)."""
        store, self._store = self._store, None
        if store is not None:
            self._pool.submit(store.close)
        self._pool.shutdown(wait=True)


def _open_store(path: Path) -> Any:
    from assistant.skills.records import Kept

    return Kept(path)  # the memories, and the timers, reminders, lists and notes
