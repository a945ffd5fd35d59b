"""The conversation so far, as the language model should see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    """One user turn and the part of the reply the user actually heard."""

    user: str
    assistant: str
    interrupted: bool = False


class History:
    """Exchanges in order, oldest first."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def add(self, user: str, assistant: str, interrupted: bool = False) -> None:
        self.exchanges.append(Exchange(user, assistant, interrupted))

    def recent(self, n: int) -> list[Exchange]:
        return self.exchanges[-n:] if n > 0 else []
