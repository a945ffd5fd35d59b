"""The skills' data as `assistant memory list | search | forget` shows it: one id per record.

A record's id is its export kind and row number, "timer:3", "reminder:12", "list_item:7",
"skill_note:2", so it can never be mistaken for a memory id (twelve hex digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.memory.recall import STOPWORDS
from assistant.skills.recurrence import Rule
from assistant.skills.store import KINDS, SkillStore, holds_words

_ID = re.compile(rf"({'|'.join(KINDS)}):(\d+)")
# Per kind: the column with the record's time (shown like a memory's) and the one with its words.
_WHEN = {"timer": "created", "reminder": "created", "list_item": "added", "skill_note": "created"}
_WORDS = {"timer": "name", "reminder": "text", "list_item": "item", "skill_note": "text"}


@dataclass(frozen=True)
class Record:
    """One timer, reminder, list item or skill note, as a line of `assistant memory list`."""

    id: str
    kind: str
    when: datetime
    text: str
    words: str  # the user's own words in it (what search and "forget … about X" look at)
    speaker: str = ""  # (a record is nobody's line; shown like a memory that has no speaker)


class Kept:
    """Everything kept about a profile: its memories and its skills records, in one file.

    What the Memory tab shows: list, search and forget answer for both, the memories first.
    """

    def __init__(self, path: Path) -> None:
        from assistant.memory.store import MemoryStore  # loads the search models: only here

        self.memories = MemoryStore(path)
        self.skills = SkillStore(path)

    def list(self, profile: str) -> list[Any]:
        """The profile's memories, oldest first, then its records."""
        return [*self.memories.list(profile), *records(self.skills, profile)]

    def search(self, query: str, profile: str, k: int = 10) -> list[Any]:
        """The best matching memories, then the records holding every word of query."""
        return [*self.memories.search(query, profile, k=k), *search(self.skills, profile, query, k)]

    def forget_many(self, ids: list[str], profile: str) -> list[str]:
        """Erase memories and records of the profile by id; returns the ids erased."""
        gone = [rid for rid in ids if parse_id(rid) and forget(self.skills, profile, rid)]
        return gone + self.memories.forget_many([i for i in ids if i not in gone], profile)

    def close(self) -> None:
        """Close both."""
        self.skills.close()
        self.memories.close()


def parse_id(rid: str) -> tuple[str, int] | None:
    """(kind, row id) of a record id such as "timer:3", or None if rid is not one."""
    m = _ID.fullmatch(rid.strip())
    return (m.group(1), int(m.group(2))) if m else None


def records(store: SkillStore, profile: str) -> list[Record]:
    """The profile's timers, reminders, list items and notes, kind by kind, oldest first."""
    return [
        Record(
            f"{kind}:{rid}",
            kind,
            datetime.fromtimestamp(row[_WHEN[kind]]).astimezone(),
            _describe(kind, row),
            row[_WORDS[kind]] or "",
        )
        for kind, rid, row in store.entries(profile)
    ]


def search(store: SkillStore, profile: str, query: str, k: int = 10) -> list[Record]:
    """The profile's records holding every (non-stop) word of query, at most k, oldest first."""
    words = [w for w in re.findall(r"\w+", query.lower()) if w not in STOPWORDS]
    if not words:
        return []
    return [r for r in records(store, profile) if holds_words(r.words, words)][:k]


def forget(store: SkillStore, profile: str, rid: str) -> bool:
    """Erase the record with id rid of the profile; False if it is no record id or not there."""
    parsed = parse_id(rid)
    return parsed is not None and store.delete(parsed[0], profile, parsed[1])


def _describe(kind: str, row: dict[str, Any]) -> str:
    """A record in one line: "tea timer, 10 min, rings 2026-03-11 14:40"."""

    def at(stamp: float) -> str:
        return f"{datetime.fromtimestamp(stamp).astimezone():%Y-%m-%d %H:%M}"

    if kind == "timer":
        name = re.sub(r"(?:^| )timer$", "", row["name"] or "").strip()
        name = f"{name} timer" if name else "timer"
        length = _length(row["length_s"])
        if row["due"] is None:
            return f"{name}, {length}, paused with {_length(row['left_s'] or 0)} left"
        return f"{name}, {length}, rings {at(row['due'])}"
    if kind == "reminder":
        what = "alarm" if row["alarm"] else "reminder"
        rule = f", {_rule(row['rule'])}" if row["rule"] else ""
        return f"{what}: {row['text']}, due {at(row['due'])}{rule}"
    if kind == "list_item":
        return f"{row['list']} list: {row['item']}"
    return f"note: {row['text']}"


def _rule(text: str) -> str:
    """A recurrence in words; an imported rule this version cannot read is shown as it is."""
    try:
        return Rule.decode(text).describe()
    except (ValueError, KeyError, IndexError, TypeError):
        return f"repeats {text!r}"


def _length(seconds: float) -> str:
    """A duration in short words: "1 h 5 min", "10 min", "45 s"."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s or not total else ""]
    return " ".join(p for p in parts if p)
