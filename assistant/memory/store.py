"""Long-term memory: every turn, note and pinned fact, per profile, in one SQLite file.

    store = MemoryStore(path)                            # created if missing
    mid = store.add(text, profile="default", when=None)  # returns the new memory's id
    hits = store.search(query, profile="default", k=5)   # best first: .id .text .score .when
    store.forget(mid)
    store.close()

Every query is restricted to one profile: no memory of one profile is ever returned, counted or
exported in another. Each write is committed (WAL, synchronous=FULL) before the call returns.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from assistant.errors import AssistantError
from assistant.memory import recall, schema
from assistant.memory.keywords import KeywordIndex
from assistant.memory.vectors import Nearest, VectorIndex
from assistant.stages.embedder import Embedder

_PROFILE = re.compile(r"^[\w][\w .-]{0,63}$")
_CONTEXT_ROWS = 2  # a memory's vector averages its own line with ±1 and ±2 neighbour windows
_KINDS = ("turn", "note", "fact")


@dataclass(frozen=True)
class Memory:
    """One remembered thing; `score` is set by search (higher is better)."""

    id: str
    text: str
    when: datetime
    kind: str = "note"
    speaker: str = ""
    profile: str = "default"
    thread: str = ""
    slot: str | None = None
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The memory as a JSON-ready dict (for export)."""
        return {
            "id": self.id,
            "profile": self.profile,
            "kind": self.kind,
            "speaker": self.speaker,
            "text": self.text,
            "slot": self.slot,
            "thread": self.thread,
            "when": self.when.isoformat(),
        }


def check_profile(name: str) -> str:
    """A valid profile name, or a one-line error."""
    if not _PROFILE.match(name or ""):
        raise AssistantError(
            f"invalid profile name {name!r}: use up to 64 letters, digits, spaces, '.', '-' or '_'"
        )
    return name


def owner_token(profile: str) -> str:
    """The word that marks a profile's rows in the keyword index (a hash: any name, one token).

    A hash collision could only add candidates; every search also checks memories.profile.
    """
    return "p" + hashlib.sha1(profile.encode()).hexdigest()[:24]


def _line(speaker: str, text: str) -> str:
    return f"{speaker}: {text}" if speaker else text


def _default_embedder() -> Embedder:
    from assistant.config import Config
    from assistant.models import registry
    from assistant.stages.embedder import MiniLmEmbedder

    config = Config()
    tokenizer = registry.embedder_tokenizer_path()
    if tokenizer is None or not tokenizer.is_file():
        raise AssistantError("the embedding model's tokenizer is missing; run ./scripts/setup.sh")
    return MiniLmEmbedder(registry.require(config, "embedder"), tokenizer)


class MemoryStore:
    """The memory database. Safe to share between threads (one lock around the connection)."""

    def __init__(self, path: Path | str, embedder: Embedder | None = None) -> None:
        self.path = Path(path)
        self._db = schema.connect(self.path)
        self._embedder = embedder
        self._lock = threading.RLock()
        self._indexes: dict[str, VectorIndex] = {}
        self._keywords: dict[str, KeywordIndex] = {}  # loaded with the profile's vectors
        self._speakers: dict[str, list[str]] = {}
        self._data_version = self._version()
        self._pool: ThreadPoolExecutor | None = None

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = _default_embedder()
        return self._embedder

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            self._db.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _version(self) -> int:
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    def _sync(self) -> None:
        """Drop caches if another connection (another process) changed the file."""
        version = self._version()
        if version != self._data_version:
            self._indexes.clear()
            self._keywords.clear()
            self._speakers.clear()
            self._data_version = version

    def warm(self, profile: str = "default") -> None:
        """Load the profile's search indexes now (a few seconds per 100k memories)."""
        with self._lock:
            self._sync()
            self._index(profile)

    def _index(self, profile: str) -> VectorIndex:
        index = self._indexes.get(profile)
        if index is None:
            index = VectorIndex(getattr(self.embedder, "dim", 384))
            where = "FROM memories WHERE profile = ? AND vec IS NOT NULL"
            (count,) = self._db.execute(f"SELECT count(*) {where}", (profile,)).fetchone()
            index.load(self._db.execute(f"SELECT n, vec {where}", (profile,)), count)
            self._indexes[profile] = index
            # The keyword index is built from the text each time (seconds per 100k memories)
            # rather than stored: SQLite stays the one copy of the user's words.
            keywords = KeywordIndex()
            keywords.load(
                (n, thread, _line(speaker, text), recall.date_text(datetime.fromtimestamp(at)))
                for n, thread, speaker, text, at in self._db.execute(
                    "SELECT n, thread, speaker, text, at FROM memories WHERE profile = ? "
                    "ORDER BY n",
                    (profile,),
                )
            )
            self._keywords[profile] = keywords
        return index

    def _write(self) -> _Transaction:
        return _Transaction(self._db)

    # -- writing -------------------------------------------------------------------------------

    def add(
        self,
        text: str,
        profile: str = "default",
        when: datetime | None = None,
        *,
        kind: str = "note",
        speaker: str = "",
        thread: str = "",
        slot: str | None = None,
    ) -> str:
        """Store one memory and index it; returns its id. `when` defaults to now."""
        return self.add_many(
            [
                {
                    "text": text,
                    "when": when,
                    "kind": kind,
                    "speaker": speaker,
                    "thread": thread,
                    "slot": slot,
                }
            ],
            profile,
        )[0]

    def add_many(self, items: Iterable[dict[str, Any]], profile: str = "default") -> list[str]:
        """Store many memories in one transaction (in order; turns of a thread in spoken order)."""
        check_profile(profile)
        rows = []
        for item in items:
            text = " ".join(str(item.get("text", "")).split())
            if not text:
                raise AssistantError("a memory needs some text")
            kind = item.get("kind") or "note"
            if kind not in _KINDS:
                raise AssistantError(f"unknown memory kind {kind!r} (one of {', '.join(_KINDS)})")
            when = item.get("when") or datetime.now().astimezone()
            rows.append(
                (
                    item.get("id") or uuid.uuid4().hex[:12],
                    text,
                    kind,
                    str(item.get("speaker") or ""),
                    item.get("slot"),
                    str(item.get("thread") or ""),
                    when.timestamp(),
                )
            )
        with self._lock, self._write():
            self._sync()
            touched: dict[str, set[int]] = {}
            ids = []
            for mid, text, kind, speaker, slot, thread, at in rows:
                if slot is not None:
                    old = self._db.execute(
                        "SELECT n FROM memories WHERE profile = ? AND slot = ?", (profile, slot)
                    ).fetchone()
                    if old:  # a newer fact replaces the old one
                        self._delete_row(old[0], profile)
                cur = self._db.execute(
                    "INSERT INTO memories (id, profile, kind, speaker, text, slot, thread, at, "
                    "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (mid, profile, kind, speaker, text, slot, thread, at, time.time()),
                )
                touched.setdefault(thread, set()).add(cur.lastrowid)
                ids.append(mid)
            self._reindex(profile, touched)
            # Extend the cached speaker list rather than drop it: listing a large profile's
            # speakers scans all its rows, which would land on the next search of a live turn.
            known = self._speakers.get(profile)
            if known is not None:
                known.extend(dict.fromkeys(r[3] for r in rows if r[3] and r[3] not in known))
        return ids

    def _thread_rows(self, profile: str, thread: str) -> list[tuple[Any, ...]]:
        return self._db.execute(
            "SELECT n, speaker, text, at, line_vec FROM memories "
            "WHERE profile = ? AND thread = ? ORDER BY n",
            (profile, thread),
        ).fetchall()

    def _reindex(self, profile: str, touched: dict[str, set[int]]) -> None:
        """Index new rows, and refresh the context of their thread neighbours.

        Each memory's own line is embedded once. Its search vector is the mean of three unit
        vectors: the line's, and the normalised means of the line vectors in the ±1 and ±2
        windows of its conversation, so a memory is also found by what was said around it.
        Neighbours' vectors are recomputed from stored line vectors, with no new embedding.
        """
        index = self._index(profile)
        keywords = self._keywords[profile]
        owner = owner_token(profile)
        for thread, new in touched.items():
            if thread:
                rows = self._thread_rows(profile, thread)
                pos = {r[0]: i for i, r in enumerate(rows)}
                hit = {
                    j
                    for n in new
                    if n in pos
                    for j in range(pos[n] - _CONTEXT_ROWS, pos[n] + _CONTEXT_ROWS + 1)
                }
                targets = sorted(i for i in hit if 0 <= i < len(rows))
            else:
                rows = self._db.execute(
                    "SELECT n, speaker, text, at, line_vec FROM memories "
                    f"WHERE n IN ({','.join('?' * len(new))}) ORDER BY n",
                    sorted(new),
                ).fetchall()
                targets = list(range(len(rows)))
            lines = [_line(r[1], r[2]) for r in rows]
            fresh = [i for i, r in enumerate(rows) if r[0] in new or r[4] is None]
            line_vecs: dict[int, np.ndarray] = {
                i: np.frombuffer(r[4], np.float32) for i, r in enumerate(rows) if r[4] is not None
            }
            for i, vec in zip(fresh, self._embed([lines[i] for i in fresh]), strict=True):
                line_vecs[i] = vec
                self._db.execute(
                    "UPDATE memories SET line_vec = ? WHERE n = ?", (_blob(vec), rows[i][0])
                )
            for i in targets:
                n = rows[i][0]
                vec = line_vecs[i]
                if thread:
                    near = [
                        _unit(
                            np.mean(
                                [
                                    line_vecs[j]
                                    for j in range(max(0, i - w), min(len(rows), i + w + 1))
                                ],
                                axis=0,
                            )
                        )
                        for w in (1, 2)
                    ]
                    vec = (vec + near[0] + near[1]) / 3
                neighbours = "\n".join(
                    lines[j] for j in (i - 1, i + 1) if thread and 0 <= j < len(rows)
                )
                window = "\n".join(
                    lines[j]
                    for j in range(i - _CONTEXT_ROWS, i + _CONTEXT_ROWS + 1)
                    if (thread or j == i) and 0 <= j < len(rows)
                )
                when = datetime.fromtimestamp(rows[i][3])
                self._db.execute("DELETE FROM memories_fts WHERE rowid = ?", (n,))
                self._db.execute(
                    "INSERT INTO memories_fts (rowid, line, neighbours, window, date, owner) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (n, lines[i], neighbours, window, recall.date_text(when), owner),
                )
                self._db.execute("UPDATE memories SET vec = ? WHERE n = ?", (_blob(vec), n))
                index.upsert(n, vec)
                if n not in keywords:  # neighbours' context comes from the thread's order
                    keywords.add(n, thread, lines[i], recall.date_text(when))
            if thread:
                self._write_thread(profile, thread, lines)

    def _embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Embed texts in batches of similar length (less padding), returned in input order."""
        out = np.zeros((len(texts), getattr(self.embedder, "dim", 384)), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            out[chunk] = self.embedder.embed([texts[i] for i in chunk])
        return out

    def _write_thread(self, profile: str, thread: str, lines: list[str]) -> None:
        row = self._db.execute(
            "SELECT n FROM threads WHERE profile = ? AND thread = ?", (profile, thread)
        ).fetchone()
        if row is None:
            n = self._db.execute(
                "INSERT INTO threads (profile, thread) VALUES (?, ?)", (profile, thread)
            ).lastrowid
        else:
            n = row[0]
            self._db.execute("DELETE FROM threads_fts WHERE rowid = ?", (n,))
        if lines:
            self._db.execute(
                "INSERT INTO threads_fts (rowid, body) VALUES (?, ?)", (n, "\n".join(lines))
            )
        else:
            self._db.execute("DELETE FROM threads WHERE n = ?", (n,))

    def forget(self, mid: str, profile: str | None = None) -> bool:
        """Erase a memory everywhere it is indexed; False if there is no such id (in profile)."""
        return bool(self.forget_many([mid], profile))

    def forget_many(self, ids: Iterable[str], profile: str | None = None) -> list[str]:
        """Erase memories (of profile, if given) and scrub their words from disk; returns ids."""
        gone = []
        with self._lock:
            with self._write():
                self._sync()
                for mid in ids:
                    row = self._db.execute(
                        "SELECT n, profile FROM memories WHERE id = ?", (mid,)
                    ).fetchone()
                    if row is None or (profile is not None and row[1] != profile):
                        continue
                    self._delete_row(row[0], row[1])
                    gone.append(mid)
            if gone:
                self._scrub()
        return gone

    def _scrub(self) -> None:
        """Rewrite the text indexes and checkpoint, so forgotten words are gone from the file.

        FTS5 only marks deleted entries until its segments merge; 'optimize' merges them now, and
        secure_delete zeroes the freed pages. This costs a moment on a big store, and forgetting
        is rare.
        """
        for table in ("memories_fts", "threads_fts"):
            self._db.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _delete_row(self, n: int, profile: str) -> None:
        """Delete row n and rebuild what held its text: neighbours' index entries and vectors."""
        thread = self._db.execute("SELECT thread FROM memories WHERE n = ?", (n,)).fetchone()[0]
        neighbours: set[int] = set()
        if thread:
            rows = self._thread_rows(profile, thread)
            pos = next(i for i, r in enumerate(rows) if r[0] == n)
            neighbours = {
                rows[j][0]
                for j in range(pos - _CONTEXT_ROWS, pos + _CONTEXT_ROWS + 1)
                if 0 <= j < len(rows) and j != pos
            }
        self._db.execute("DELETE FROM memories WHERE n = ?", (n,))
        self._db.execute("DELETE FROM memories_fts WHERE rowid = ?", (n,))
        self._index(profile).remove(n)
        self._keywords[profile].remove(n)
        if thread:
            if neighbours:
                self._reindex(profile, {thread: neighbours})
            else:
                self._write_thread(profile, thread, [])
        self._speakers.pop(profile, None)

    def forget_about(self, topic: str, profile: str = "default") -> list[str]:
        """Erase every memory of the profile whose own text mentions all the topic's words."""
        words = [w for w in re.findall(r"\w+", topic.lower()) if w not in recall.STOPWORDS]
        if not words:
            return []
        query = (
            f'owner : "{owner_token(profile)}" AND line : ('
            + " AND ".join(f'"{w}"' for w in words)
            + ")"
        )
        with self._lock:
            rows = self._db.execute(
                "SELECT m.id FROM memories_fts f JOIN memories m ON m.n = f.rowid "
                "WHERE memories_fts MATCH ? AND m.profile = ?",
                (query, profile),
            ).fetchall()
            return self.forget_many([r[0] for r in rows], profile)

    # -- reading -------------------------------------------------------------------------------

    def _memories(self, where: str, args: tuple[Any, ...], order: str = "n") -> list[Memory]:
        rows = self._db.execute(
            "SELECT id, text, at, kind, speaker, profile, thread, slot, n FROM memories "
            f"WHERE {where} ORDER BY {order}",
            args,
        ).fetchall()
        return [
            Memory(
                r[0], r[1], datetime.fromtimestamp(r[2]).astimezone(), r[3], r[4], r[5], r[6], r[7]
            )
            for r in rows
        ]

    def list(self, profile: str = "default", kind: str | None = None) -> list[Memory]:
        """The profile's memories, oldest first (optionally one kind)."""
        with self._lock:
            if kind:
                return self._memories("profile = ? AND kind = ?", (profile, kind))
            return self._memories("profile = ?", (profile,))

    def facts(self, profile: str = "default") -> list[Memory]:
        """The pinned facts about the user, oldest first."""
        return self.list(profile, "fact")

    def get(self, mid: str, profile: str) -> Memory | None:
        with self._lock:
            found = self._memories("id = ? AND profile = ?", (mid, profile))
        return found[0] if found else None

    def profiles(self) -> list[str]:
        with self._lock:
            return [
                r[0] for r in self._db.execute("SELECT DISTINCT profile FROM memories ORDER BY 1")
            ]

    def count(self, profile: str = "default") -> int:
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM memories WHERE profile = ?", (profile,)
            ).fetchone()[0]

    def _speaker_names(self, profile: str) -> list[str]:
        if profile not in self._speakers:
            self._speakers[profile] = [
                r[0]
                for r in self._db.execute(
                    "SELECT DISTINCT speaker FROM memories WHERE profile = ? AND speaker != ''",
                    (profile,),
                )
            ]
        return self._speakers[profile]

    def search(
        self,
        query: str,
        profile: str = "default",
        k: int = 5,
        now: datetime | None = None,
        kinds: tuple[str, ...] = _KINDS,
        min_similarity: float = -1.0,
        exclude_thread: str | None = None,
    ) -> list[Memory]:
        """The k memories of the profile that best answer the query, best first.

        `min_similarity` drops memories found only by meaning that are less similar than that;
        `exclude_thread` leaves out one conversation (the current one, already in the prompt).
        """
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        now = now or datetime.now()
        with self._lock:
            self._sync()
            index = self._index(profile)
            # The question's embedding and the dot products over every vector run on a worker
            # thread while SQLite runs the keyword search here: onnxruntime, numpy and SQLite all
            # release the GIL, so on two cores the two halves of a search overlap. The lock is
            # held until both are done, so no write changes the index under the worker.
            job = self._worker().submit(self._similarities, index, query)
            try:
                speakers = self._speaker_names(profile)
                words = self._searchable(profile, recall.keywords(query, drop=speakers))
                keywords = recall.or_query(words)
                bm25 = self._keyword_scores(profile, words) if words else {}
                threads = self._thread_scores(profile, keywords) if keywords else {}
            finally:
                near = job.result()
            cosine = index.top(near, recall.CANDIDATES, also=bm25)
            scores = recall.fuse(bm25, cosine)
            for n in [n for n in scores if n not in bm25 and cosine.get(n, 0.0) < min_similarity]:
                del scores[n]
            if not scores:
                return []
            meta = {
                r[0]: r[1:]
                for r in self._db.execute(
                    # "+profile": look rows up by primary key; filtering through the profile
                    # index would walk every row of the profile (11 ms at 100k).
                    "SELECT n, speaker, at, thread, kind FROM memories "
                    f"WHERE +profile = ? AND n IN ({','.join('?' * len(scores))})",
                    [profile, *scores],
                )
            }
            named = recall.named_speaker(query, speakers)
            window = recall.time_window(query, now)
            span = (window[0].timestamp(), window[1].timestamp()) if window else None
            for n in list(scores):
                if n not in meta:  # not this profile's (an owner-token collision): never shown
                    del scores[n]
                    continue
                speaker, at, thread, kind = meta[n]
                if kind not in kinds or (exclude_thread and thread == exclude_thread):
                    del scores[n]
                    continue
                if named and speaker == named:
                    scores[n] *= recall.SPEAKER_BOOST
                if span and span[0] <= at < span[1]:
                    scores[n] *= recall.TIME_BOOST
                scores[n] *= 1 + recall.THREAD_WEIGHT * threads.get(thread, 0.0)
            best = sorted(scores, key=scores.__getitem__, reverse=True)[:k]
            if not best:
                return []
            found = {
                m.id: m for m in self._memories(f"n IN ({','.join('?' * len(best))})", tuple(best))
            }
            ns = {
                r[0]: r[1]
                for r in self._db.execute(
                    f"SELECT n, id FROM memories WHERE n IN ({','.join('?' * len(best))})", best
                )
            }
            return [_scored(found[ns[n]], scores[n]) for n in best]

    def _similarities(self, index: VectorIndex, query: str) -> Nearest:
        return index.nearest(self.embedder.embed([query])[0])

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="memory-search")
        return self._pool

    def _searchable(self, profile: str, words: list[str]) -> list[str]:
        """The words worth searching for, by how many of the profile's memories say each."""
        if len(words) <= 1:
            return words
        keywords = self._keywords[profile]
        return recall.rarest(words, [keywords.count(w) for w in words], len(keywords))

    def _keyword_scores(self, profile: str, words: list[str]) -> dict[int, float]:
        """BM25F (higher is better) of the profile's best keyword matches."""
        return self._keywords[profile].scores(words, recall.CANDIDATES)

    def _thread_scores(self, profile: str, keywords: str) -> dict[str, float]:
        rows = self._db.execute(
            "SELECT t.thread, -bm25(threads_fts) FROM threads_fts f "
            "JOIN threads t ON t.n = f.rowid "
            "WHERE threads_fts MATCH ? AND t.profile = ? ORDER BY bm25(threads_fts) LIMIT 10",
            (keywords, profile),
        ).fetchall()
        top = rows[0][1] if rows else 0.0
        return {t: s / top for t, s in rows} if top > 0 else {}

    # -- export / import -----------------------------------------------------------------------

    def export(self, stream: IO[str], profile: str = "default") -> int:
        """Write the profile's memories as JSON lines; returns how many."""
        memories = self.list(profile)
        for m in memories:
            stream.write(json.dumps(m.to_dict(), ensure_ascii=False) + "\n")
        return len(memories)

    def import_(self, lines: Iterable[str], profile: str = "default") -> int:
        """Add memories from JSON lines into profile (ids already present are skipped)."""
        items = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                when = datetime.fromisoformat(d["when"])
                item = {
                    "id": str(d["id"]),
                    "text": str(d["text"]),
                    "when": when,
                    "kind": d.get("kind", "note"),
                    "speaker": d.get("speaker", ""),
                    "thread": d.get("thread", ""),
                    "slot": d.get("slot"),
                }
            except (ValueError, KeyError, TypeError) as e:
                raise AssistantError(f"line {number} is not a memory: {e}") from None
            items.append(item)
        with self._lock:
            owners = dict(self._db.execute("SELECT id, profile FROM memories"))
        # Skip what this profile already has (importing twice is harmless); an id that belongs
        # to another profile gets a new one, so the two never share a row.
        fresh = [i for i in items if owners.get(i["id"]) != profile]
        for item in fresh:
            if item["id"] in owners:
                item["id"] = uuid.uuid4().hex[:12]
        self.add_many(fresh, profile)
        return len(fresh)


def _blob(vec: np.ndarray) -> bytes:
    return np.ascontiguousarray(vec, np.float32).tobytes()


def _unit(vec: np.ndarray) -> np.ndarray:
    return vec / max(float(np.linalg.norm(vec)), 1e-12)


def _scored(m: Memory, score: float) -> Memory:
    return Memory(m.id, m.text, m.when, m.kind, m.speaker, m.profile, m.thread, m.slot, score)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def iter_jsonl(path: Path) -> Iterator[str]:
    """Lines of a JSONL file, with a clear error when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as fh:
            yield from fh
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read {path}: {e}") from None
