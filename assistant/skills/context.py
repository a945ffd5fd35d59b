"""What every skill works with: the store, the profile, the user's zone and clock, and replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.skills.store import SkillStore


@dataclass(frozen=True)
class Reply:
    """A skill's spoken answer, and optionally a follow-up the next sentence may settle."""

    text: str
    pending: Pending | None = None


@dataclass(frozen=True)
class Pending:
    """An open question: `resolve` gets the user's next (normalised) sentence.

    It returns the reply, or None when the sentence is not an answer (then it is handled as a
    new request and the question is dropped).
    """

    resolve: Callable[[str], Reply | None]
    asked_at: float = 0.0


@dataclass
class Context:
    """One profile's skills session: storage, time zone, clock and the scheduler's wake-up."""

    store: SkillStore
    profile: str
    zone: ZoneInfo
    clock: Callable[[], float]
    changed: Callable[[], None] = field(default=lambda: None)

    def now(self) -> datetime:
        """The current time, aware, in the user's zone."""
        return datetime.fromtimestamp(self.clock(), self.zone)


_SWAPS = {"my": "your", "me": "you", "i": "you", "i'm": "you're", "myself": "yourself",
          "mine": "yours", "i've": "you've", "i'll": "you'll", "am": "are", "our": "your",
          "us": "you", "we": "you"}  # fmt: skip


def second_person(text: str) -> str:
    """The user's words said back to them: "call my mom" → "call your mom"."""
    return " ".join(_SWAPS.get(w, w) for w in text.split())


def join_words(items: list[str]) -> str:
    """Items as spoken: "eggs", "eggs and milk", "eggs, milk and bread"."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str) -> str:
    """ "1 timer", "2 timers"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def capitalise(text: str) -> str:
    """The first letter upper case, the rest unchanged."""
    return text[:1].upper() + text[1:]


def is_yes(text: str) -> bool:
    """Whether a short answer means yes."""
    return bool(re.match(r"^(?:yes|yeah|yep|sure|ok|okay|please do|do it|correct|right)\b", text))


def is_no(text: str) -> bool:
    """Whether a short answer means no (or never mind)."""
    return bool(
        re.match(r"^(?:no|nope|nah|never mind|nevermind|forget it|cancel|stop|don't)\b", text)
    )
