"""The memory database's tables, and opening a file safely (WAL, version checks, migrations).

A database that is corrupt, locked, or from a newer version is reported and never replaced.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.errors import AssistantError

VERSION = 2

_V1 = """
CREATE TABLE memories (
    n        INTEGER PRIMARY KEY,          -- also the rowid of memories_fts
    id       TEXT NOT NULL UNIQUE,         -- the id users see
    profile  TEXT NOT NULL,
    kind     TEXT NOT NULL,                -- 'turn' (conversation), 'note' (told), 'fact' (pinned)
    speaker  TEXT NOT NULL DEFAULT '',
    text     TEXT NOT NULL,
    slot     TEXT,                         -- facts: a newer fact with the same slot replaces it
    thread   TEXT NOT NULL DEFAULT '',     -- the conversation a turn belongs to
    at       REAL NOT NULL,                -- when it was said (Unix seconds)
    created  REAL NOT NULL,
    line_vec BLOB,                         -- float32 embedding of the memory's own line
    vec      BLOB                          -- float32 search vector (line + its context)
);
CREATE INDEX memories_by_profile ON memories (profile, kind, at);
CREATE INDEX memories_by_thread ON memories (profile, thread, n);
CREATE UNIQUE INDEX facts_by_slot ON memories (profile, slot) WHERE slot IS NOT NULL;
-- Columns: the memory's line ("Speaker: text"), its ±1 neighbours, its ±2 window, its date as
-- words, and `owner`, one token naming the profile (store.owner_token). Matching the owner token
-- restricts a search to one profile inside the index; an UNINDEXED profile column had to be read
-- for every keyword hit, which made searches of large stores several times slower.
CREATE VIRTUAL TABLE memories_fts USING fts5 (
    line, neighbours, window, date, owner, tokenize = 'porter unicode61'
);
CREATE TABLE threads (
    n        INTEGER PRIMARY KEY,          -- also the rowid of threads_fts
    profile  TEXT NOT NULL,
    thread   TEXT NOT NULL,
    UNIQUE (profile, thread)
);
CREATE VIRTUAL TABLE threads_fts USING fts5 (body, tokenize = 'porter unicode61');
"""

# Everyday skills (assistant.skills.store): timers, reminders, lists and notes, per profile.
# Times are Unix seconds (UTC); a reminder also keeps the IANA zone its wall-clock rule lives in.
_V2 = """
CREATE TABLE timers (
    id        INTEGER PRIMARY KEY,
    profile   TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    length_s  REAL NOT NULL,               -- as set (the name "the 10 minute timer")
    due       REAL,                        -- when it rings; NULL while paused
    left_s    REAL,                        -- time left while paused
    created   REAL NOT NULL
);
CREATE INDEX timers_by_profile ON timers (profile, due);
CREATE TABLE reminders (
    id        INTEGER PRIMARY KEY,
    profile   TEXT NOT NULL,
    text      TEXT NOT NULL,
    due       REAL NOT NULL,               -- the next time it is due
    zone      TEXT NOT NULL,               -- IANA zone of the wall-clock time or rule
    rule      TEXT,                        -- recurrence (skills.times.Rule.encode); NULL = once
    alarm     INTEGER NOT NULL DEFAULT 0,
    created   REAL NOT NULL
);
CREATE INDEX reminders_by_profile ON reminders (profile, due);
CREATE TABLE list_items (
    id        INTEGER PRIMARY KEY,
    profile   TEXT NOT NULL,
    list      TEXT NOT NULL,
    item      TEXT NOT NULL,
    added     REAL NOT NULL
);
CREATE INDEX list_items_by_list ON list_items (profile, list, id);
CREATE TABLE notes (
    id        INTEGER PRIMARY KEY,
    profile   TEXT NOT NULL,
    text      TEXT NOT NULL,
    created   REAL NOT NULL
);
CREATE INDEX notes_by_profile ON notes (profile, id);
"""

# Migrations from version i to i + 1, applied in order inside one transaction each.
_MIGRATIONS: dict[int, str] = {0: _V1, 1: _V2}


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if missing) the memory database at path, migrated to the current schema."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as e:
        raise AssistantError(f"cannot open the memory database {path}: {e}") from None
    try:
        db.execute("PRAGMA journal_mode = WAL")
        # FULL: a turn is on disk once add() returns, even if the machine loses power.
        db.execute("PRAGMA synchronous = FULL")
        # Forgotten text is overwritten on disk, not merely unlinked.
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise AssistantError(
                f"the memory database {path} was written by a newer version of assistant "
                f"(schema {version}, this one reads {VERSION}); upgrade assistant — the file was "
                "left untouched"
            )
        while version < VERSION:
            # One script: the schema change and the version bump commit together or not at all.
            bump = f"PRAGMA user_version = {version + 1};"
            db.executescript(f"BEGIN IMMEDIATE; {_MIGRATIONS[version]} {bump} COMMIT;")
            version += 1
        db.execute("SELECT count(*) FROM memories").fetchone()
    except sqlite3.OperationalError as e:
        db.close()
        if "locked" in str(e) or "busy" in str(e):
            raise AssistantError(
                f"the memory database {path} is locked by another program; close it and retry"
            ) from None
        raise _corrupt(path, e) from None
    except sqlite3.DatabaseError as e:
        db.close()
        raise _corrupt(path, e) from None
    return db


def _corrupt(path: Path, e: Exception) -> AssistantError:
    return AssistantError(
        f"the memory database {path} is unreadable ({e}); it was left untouched — "
        "restore a backup or move it aside to start a new one"
    )
