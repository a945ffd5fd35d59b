"""A thread that wakes at the next due time and fires what is due (Qt-free).

It keeps no schedule of its own: it asks for the next due time, sleeps on a condition until then
(or until poked because something changed), and calls `fire` when the time has come. Sleeps are
capped so a wall-clock jump (suspend, NTP) is noticed within a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_SLEEP_S = 5.0


class Scheduler:
    """Calls fire(now) whenever next_due() has come, from its own daemon thread."""

    def __init__(
        self,
        next_due: Callable[[], float | None],
        fire: Callable[[float], None],
        clock: Callable[[], float] = time.time,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._next_due = next_due
        self._fire = fire
        self._clock = clock
        self._on_error = on_error
        self._cond = threading.Condition()
        self._stopped = False
        self._poked = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="skills-scheduler", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """Something was added or changed: look at the next due time again."""
        with self._cond:
            self._poked = True
            self._cond.notify()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and wait for it."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                self._poked = False
            try:
                due = self._next_due()
                now = self._clock()
                if due is not None and due <= now:
                    self._fire(now)
                    continue
            except Exception as e:  # a failing store must not kill the thread: report, retry
                if self._on_error:
                    self._on_error(e)
                due, now = None, self._clock()
            wait = MAX_SLEEP_S if due is None else min(MAX_SLEEP_S, max(0.0, due - now))
            with self._cond:
                if not self._stopped and not self._poked:
                    self._cond.wait(wait)
