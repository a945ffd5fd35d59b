"""Timers, reminders, lists and notes in the user's memory database, one profile at a time.

The tables come from assistant.memory.schema (version 2), so they live with the rest of the user's
data and survive restarts. Times are stored as Unix seconds (UTC); a reminder keeps the IANA zone
of its wall-clock time so a recurring one is stepped in local time.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from assistant.errors import AssistantError
from assistant.memory.schema import connect

# The `kind` of the skills' records in a memory export (the memories use turn, note and fact).
KINDS = ("timer", "reminder", "list_item", "skill_note")
# Per kind: its table, the columns exported (besides profile and id), and which hold times.
_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "timer": ("timers", ("name", "length_s", "due", "left_s", "created"), ("due", "created")),
    "reminder": (
        "reminders", ("text", "due", "zone", "rule", "alarm", "created"), ("due", "created")
    ),
    "list_item": ("list_items", ("list", "item", "added"), ("added",)),
    "skill_note": ("notes", ("text", "created"), ("created",)),
}  # fmt: skip
# Per table: the column holding the user's own words (what "forget what I said about X" searches).
_TEXT = {"notes": "text", "reminders": "text", "list_items": "item", "timers": "name"}
_REQUIRED = {"timer": ("length_s", "created"), "reminder": ("text", "due", "zone", "created"),
             "list_item": ("list", "item", "added"), "skill_note": ("text", "created")}  # fmt: skip


@dataclass(frozen=True)
class Timer:
    """A countdown: running (due set) or paused (left_s set)."""

    id: int
    name: str
    length_s: float
    due: float | None
    left_s: float | None

    def remaining(self, now: float) -> float:
        """Seconds left at now (never negative)."""
        if self.due is None:
            return max(0.0, self.left_s or 0.0)
        return max(0.0, self.due - now)


@dataclass(frozen=True)
class Reminder:
    """Something to say at a time, once or by a rule."""

    id: int
    text: str
    due: float
    zone: str
    rule: str | None
    alarm: bool


class SkillStore:
    """The skills' tables in one SQLite file; thread-safe (the scheduler and engine share it)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = connect(self.path)
        self._lock = threading.RLock()
        self._rehearsing = False

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, args)
            except sqlite3.Error as e:
                raise AssistantError(f"the skills tables in {self.path} failed: {e}") from None

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._run(sql, args).fetchall()

    @contextmanager
    def rehearsal(self) -> Iterator[None]:
        """Let the body read and write as usual, then undo every write it made.

        A command is answered this way at a pause in the user's speech, before it is sure they
        have finished: the answer is known (and can be voiced) while nothing has changed yet.
        Other threads wait meanwhile (a few ms), so none of their writes is undone with it.
        """
        with self._lock:
            self._run("BEGIN IMMEDIATE")
            self._rehearsing = True
            try:
                yield
            finally:
                self._rehearsing = False
                self._run("ROLLBACK")

    # -- timers --------------------------------------------------------------------------------

    def add_timer(self, profile: str, name: str, length_s: float, now: float) -> Timer:
        """Start a timer of length_s seconds."""
        cur = self._run(
            "INSERT INTO timers (profile, name, length_s, due, left_s, created) "
            "VALUES (?, ?, ?, ?, NULL, ?)",
            (profile, name, length_s, now + length_s, now),
        )
        return Timer(int(cur.lastrowid or 0), name, length_s, now + length_s, None)

    def timers(self, profile: str) -> list[Timer]:
        """The profile's timers, soonest first (paused ones last)."""
        rows = self._rows(
            "SELECT id, name, length_s, due, left_s FROM timers WHERE profile = ? "
            "ORDER BY due IS NULL, due, id",
            (profile,),
        )
        return [Timer(*r) for r in rows]

    def set_timer(self, profile: str, tid: int, due: float | None, left_s: float | None) -> None:
        """Set a timer running (due) or paused (left_s)."""
        self._run(
            "UPDATE timers SET due = ?, left_s = ? WHERE id = ? AND profile = ?",
            (due, left_s, tid, profile),
        )

    def delete_timer(self, profile: str, tid: int) -> None:
        """Remove a timer, cancelled or rung (its name scrubbed from disk)."""
        with self._lock:
            self._run("DELETE FROM timers WHERE id = ? AND profile = ?", (tid, profile))
            self._scrub()

    # -- reminders -----------------------------------------------------------------------------

    def add_reminder(self, profile: str, text: str, due: float, zone: str, rule: str | None,
                     alarm: bool, now: float) -> Reminder:  # fmt: skip
        """Keep a reminder."""
        cur = self._run(
            "INSERT INTO reminders (profile, text, due, zone, rule, alarm, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (profile, text, due, zone, rule, int(alarm), now),
        )
        return Reminder(int(cur.lastrowid or 0), text, due, zone, rule, alarm)

    def reminders(self, profile: str) -> list[Reminder]:
        """The profile's reminders, soonest first."""
        rows = self._rows(
            "SELECT id, text, due, zone, rule, alarm FROM reminders WHERE profile = ? "
            "ORDER BY due, id",
            (profile,),
        )
        return [Reminder(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def move_reminder(self, profile: str, rid: int, due: float) -> None:
        """Set a recurring reminder's next due time."""
        self._run("UPDATE reminders SET due = ? WHERE id = ? AND profile = ?", (due, rid, profile))

    def delete_reminder(self, profile: str, rid: int) -> None:
        """Remove a reminder (its words scrubbed from disk)."""
        with self._lock:
            self._run("DELETE FROM reminders WHERE id = ? AND profile = ?", (rid, profile))
            self._scrub()

    def next_due(self, profile: str) -> float | None:
        """The soonest due time of the profile's running timers and reminders."""
        row = self._rows(
            "SELECT min(d) FROM (SELECT min(due) AS d FROM timers WHERE profile = ? AND due IS "
            "NOT NULL UNION ALL SELECT min(due) FROM reminders WHERE profile = ?)",
            (profile, profile),
        )
        return row[0][0] if row and row[0][0] is not None else None

    # -- lists ---------------------------------------------------------------------------------

    def add_item(self, profile: str, name: str, item: str, now: float) -> bool:
        """Add item to a list; False if it is already there."""
        if self.find_item(profile, name, item) is not None:
            return False
        self._run(
            "INSERT INTO list_items (profile, list, item, added) VALUES (?, ?, ?, ?)",
            (profile, name, item, now),
        )
        return True

    def items(self, profile: str, name: str) -> list[tuple[int, str]]:
        """A list's items in the order they were added."""
        return [
            (r[0], r[1])
            for r in self._rows(
                "SELECT id, item FROM list_items WHERE profile = ? AND list = ? ORDER BY id",
                (profile, name),
            )
        ]

    def find_item(self, profile: str, name: str, item: str) -> int | None:
        """The id of an item on a list (same words, ignoring case and a plural s), or None."""
        want = _key(item)
        for iid, text in self.items(profile, name):
            if _key(text) == want:
                return iid
        return None

    def delete_item(self, profile: str, iid: int) -> None:
        """Remove one list item (its words scrubbed from disk)."""
        with self._lock:
            self._run("DELETE FROM list_items WHERE id = ? AND profile = ?", (iid, profile))
            self._scrub()

    def clear_list(self, profile: str, name: str) -> int:
        """Empty a list (its words scrubbed from disk); return how many items it had."""
        with self._lock:
            n = self._run(
                "DELETE FROM list_items WHERE profile = ? AND list = ?", (profile, name)
            ).rowcount
            self._scrub()
        return n

    def lists(self, profile: str) -> list[tuple[str, int]]:
        """The profile's non-empty lists and their sizes."""
        return [
            (r[0], r[1])
            for r in self._rows(
                "SELECT list, count(*) FROM list_items WHERE profile = ? GROUP BY list "
                "ORDER BY min(id)",
                (profile,),
            )
        ]

    # -- notes ---------------------------------------------------------------------------------

    def add_note(self, profile: str, text: str, now: float) -> None:
        """Keep a note."""
        self._run(
            "INSERT INTO notes (profile, text, created) VALUES (?, ?, ?)", (profile, text, now)
        )

    def notes(self, profile: str) -> list[tuple[float, str]]:
        """The profile's notes, oldest first, with when they were taken."""
        return [
            (r[0], r[1])
            for r in self._rows(
                "SELECT created, text FROM notes WHERE profile = ? ORDER BY id", (profile,)
            )
        ]

    def clear_notes(self, profile: str) -> int:
        """Delete the profile's notes and scrub their words from disk; return how many."""
        with self._lock:
            n = self._run("DELETE FROM notes WHERE profile = ?", (profile,)).rowcount
            self._scrub()
        return n

    def forget_about(self, profile: str, words: list[str]) -> int:
        """Erase what the profile said about something: its notes, reminders, list items, timers.

        Those holding every one of words (whole words, any case, a plural s allowed) are deleted
        and scrubbed from disk; returns how many.
        """
        if not words:
            return 0
        n = 0
        with self._lock:
            for table, column in _TEXT.items():
                gone = [
                    (rid,)
                    for rid, text in self._rows(
                        f"SELECT id, {column} FROM {table} WHERE profile = ?", (profile,)
                    )
                    if holds_words(text, words)
                ]
                if gone:
                    self._db.executemany(f"DELETE FROM {table} WHERE id = ?", gone)
                    n += len(gone)
            if n:
                self._scrub()
        return n

    # -- the user's control: list, forget, export, import ---------------------------------------

    def entries(self, profile: str) -> list[tuple[str, int, dict[str, Any]]]:
        """Every record of the profile as (kind, row id, its exported columns), kind by kind."""
        found = []
        for kind, (table, columns, _) in _TABLES.items():
            rows = self._rows(
                f"SELECT id, {', '.join(columns)} FROM {table} WHERE profile = ? ORDER BY id",
                (profile,),
            )
            found += [(kind, row[0], dict(zip(columns, row[1:], strict=True))) for row in rows]
        return found

    def delete(self, kind: str, profile: str, rid: int) -> bool:
        """Erase one record of the profile, scrubbed from disk; False if the profile has none."""
        table = _TABLES[kind][0]
        with self._lock:
            n = self._run(
                f"DELETE FROM {table} WHERE id = ? AND profile = ?", (rid, profile)
            ).rowcount
            if n:
                self._scrub()
        return n > 0

    def _scrub(self) -> None:
        """Checkpoint the WAL into the file and truncate it, so deleted words leave the disk.

        secure_delete (set by schema.connect) zeroes the freed space of deleted rows; without the
        checkpoint their old pages would linger in the write-ahead log.
        """
        if not self._rehearsing:  # nothing is deleted for good in a rehearsal
            self._run("PRAGMA wal_checkpoint(TRUNCATE)")

    def forget_profile(self, profile: str) -> int:
        """Erase all of the profile's timers, reminders, list items and notes; return how many."""
        with self._lock:
            self._run("BEGIN IMMEDIATE")
            try:
                n = sum(
                    self._run(f"DELETE FROM {table} WHERE profile = ?", (profile,)).rowcount
                    for table, _, _ in _TABLES.values()
                )
            except BaseException:
                self._run("ROLLBACK")
                raise
            self._run("COMMIT")
            self._scrub()
        return n

    def export(self, stream: IO[str], profile: str) -> int:
        """Write the profile's skills data as JSON lines with a kind field; returns how many."""
        n = 0
        for kind, (table, columns, stamps) in _TABLES.items():
            rows = self._rows(
                f"SELECT {', '.join(columns)} FROM {table} WHERE profile = ? ORDER BY id",
                (profile,),
            )
            for row in rows:
                record: dict[str, Any] = {"kind": kind, **dict(zip(columns, row, strict=True))}
                for key in stamps:
                    if record[key] is not None:
                        record[key] = datetime.fromtimestamp(record[key], UTC).isoformat()
                if kind == "reminder":
                    record["alarm"] = bool(record["alarm"])
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        return n

    def import_(self, rows: list[Row], profile: str) -> int:
        """Add records checked by check_records to profile, in one transaction; returns how many.

        A record the profile already has (same fields; for a list item, the same words on the
        same list) is skipped, so importing twice is harmless.
        """
        added = 0
        with self._lock:
            self._run("BEGIN IMMEDIATE")
            try:
                for kind, values in rows:
                    table, columns, _ = _TABLES[kind]
                    if kind == "list_item" and self.find_item(profile, *values[:2]) is not None:
                        continue  # the list has it already (same words)
                    same = " AND ".join(f"{c} IS ?" for c in columns)
                    if self._rows(
                        f"SELECT 1 FROM {table} WHERE profile = ? AND {same} LIMIT 1",
                        (profile, *values),
                    ):
                        continue
                    self._run(
                        f"INSERT INTO {table} (profile, {', '.join(columns)}) "
                        f"VALUES (?{', ?' * len(columns)})",
                        (profile, *values),
                    )
                    added += 1
            except BaseException:
                self._run("ROLLBACK")
                raise
            self._run("COMMIT")
        return added


# A checked record: its kind and its column values in _TABLES order.
Row = tuple[str, tuple[Any, ...]]


def check_records(records: Iterable[tuple[int, dict[str, Any]]]) -> list[Row]:
    """Exported skills records ((line number, record) pairs), checked, ready for import_.

    Raises AssistantError naming the first bad line, before anything is written.
    """
    return [(str(record["kind"]), _row(number, record)) for number, record in records]


def _row(number: int, record: dict[str, Any]) -> tuple[Any, ...]:
    """An exported record's column values, checked; AssistantError naming the line if bad."""
    kind = record.get("kind")
    if kind not in _TABLES:
        raise AssistantError(f"line {number} is not a skills record: unknown kind {kind!r}")
    _, columns, stamps = _TABLES[kind]
    missing = [c for c in _REQUIRED[kind] if record.get(c) in (None, "")]
    if missing:
        raise AssistantError(f"line {number} is not a {kind}: missing {', '.join(missing)}")
    values = []
    try:
        for column in columns:
            value = record.get(column)
            if column in stamps and value is not None:
                value = datetime.fromisoformat(str(value)).timestamp()
            elif column in ("length_s", "left_s") and value is not None:
                value = float(value)
            elif column == "name":
                value = str(value or "")
            elif column == "alarm":
                value = int(bool(value))
            elif value is not None:
                value = str(value)
            values.append(value)
    except (ValueError, TypeError) as e:
        raise AssistantError(f"line {number} is not a {kind}: {e}") from None
    return tuple(values)


def holds_words(text: str, words: list[str]) -> bool:
    """Whether text holds every one of words: whole words, any case, a plural s allowed."""
    return all(re.search(rf"\b{re.escape(_stem(w))}(?:e?s)?\b", text, re.IGNORECASE) for w in words)


def _stem(word: str) -> str:
    """A word without its plural s, so "eggs" also finds "egg" (and "egg" finds "eggs")."""
    return word[:-1] if word.endswith("s") and len(word) > 3 and not word.endswith("ss") else word


def _key(item: str) -> str:
    words = [w.removesuffix("es") if w.endswith("oes") else w.rstrip("s") for w in item.split()]
    return " ".join(words).lower()
