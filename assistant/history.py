"""The conversation so far, as the language model should see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    """One user turn and the part of the reply the user actually heard."""

    user: str
    assistant: str
    interrupted: bool = False
    # Answered by a skill or a memory command, not by the language model ("Timer set for 30
    # seconds."). Not shown to the model: the tiny default copied such answers as templates
    # ("Lock the front door." → "You have no locks running.").
    command: bool = False


class History:
    """Exchanges in order, oldest first."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._start = 0  # the first exchange still shown to the model

    def add(
        self, user: str, assistant: str, interrupted: bool = False, command: bool = False
    ) -> None:
        self.exchanges.append(Exchange(user, assistant, interrupted, command))

    def preview(self, extra: Exchange, n: int) -> list[Exchange]:
        """What recent(n) will return once `extra` is added, changing nothing now."""
        if n <= 0:
            return []
        exchanges = [*self.exchanges, extra]
        start = min(self._start, len(self.exchanges))
        if len(exchanges) - start > n:
            start = len(exchanges) - max(1, n // 2)
        return exchanges[start:]

    def recent(self, n: int) -> list[Exchange]:
        """At most the last n exchanges, for the prompt.

        Old exchanges are dropped in a block (down to the newest half) rather than one per turn:
        sliding by one would change the prompt right after the system prompt at every turn, and
        the model would evaluate the whole history again each time instead of reusing its cache.
        """
        if n <= 0:
            return []
        total = len(self.exchanges)
        self._start = min(self._start, total)  # forgetting may have shortened the list
        if total - self._start > n:
            self._start = total - max(1, n // 2)
        return self.exchanges[self._start :]
