"""An in-memory BM25F keyword index of one profile's memories, for fast keyword recall.

Each memory is scored as if it were a document with four fields: its own line, its ±1
neighbours, its ±2 window in the conversation, and its date as words, weighted by
`recall.COLUMN_WEIGHTS`. The neighbour and window fields are never stored: only each line's
words are indexed, and a query spreads a line's term counts over its thread neighbours through
pointer arrays (a convolution along the conversation). So adding a live turn appends one row and
relinks two pointers, and forgetting one marks a row dead and relinks around it.

Scoring follows SQLite FTS5's bm25() (BM25 with per-column weights on the term frequency,
k1 = 1.2, b = 0.75, the whole row's length, idf floored at 1e-6), which this index replaced
for search: FTS5 ranked every row matching a common word through a per-row callback, ~30 ms
per query at 100k memories; numpy over posting arrays takes a few milliseconds.

Words are tokenised like FTS5's `porter unicode61` tokenizer: case and diacritics folded, runs
of letters and digits, Porter-stemmed (the Snowball project's original Porter algorithm).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import snowballstemmer

from . import recall

K1, B = 1.2, 0.75
_WORD = re.compile(r"[^\W_]+")
_WORD_OR_BREAK = re.compile(r"[^\W_]+|\x00")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_STEMMER = snowballstemmer.stemmer("porter")
# Live rows go to an unsorted tail that every query scans; past this many postings the tail is
# merged into the sorted arrays (one sort, ~0.2 s at 100k memories).
_TAIL_MAX = 20_000


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One lower-cased word as the index stores it (Porter stem; short words as they are)."""
    # FTS5's porter tokenizer leaves tokens under 3 characters alone.
    return _STEMMER.stemWord(word) if len(word) > 2 and word.isascii() else word


def words(text: str, keep: str = "") -> list[str]:
    """The words of a text, lower-cased and without diacritics, not yet stemmed.

    `keep`: a separator character returned as a word of its own (for splitting a joined text).
    """
    folded = text.lower()
    if not folded.isascii():
        folded = _NON_ASCII.sub(_fold, folded)
    return (_WORD_OR_BREAK if keep else _WORD).findall(folded)


def _fold(run: re.Match[str]) -> str:
    """A run of non-ASCII characters without its diacritics ("é" -> "e")."""
    decomposed = unicodedata.normalize("NFKD", run.group())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The index terms of a text, in order."""
    return [stem(w) for w in words(text)]


class KeywordIndex:
    """BM25F over memories' lines, neighbours, windows and dates (see the module docstring).

    Rows are internal positions in insertion order; `key` is the memory number. `_prev`/`_next`
    point to a row's thread neighbours (-1: none); removed rows stay as dead rows.
    """

    def __init__(self) -> None:
        self._rows = 0
        self._key = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._len_line = np.zeros(0, np.float32)
        self._len_date = np.zeros(0, np.float32)
        self._prev = np.zeros(0, np.int64)
        self._next = np.zeros(0, np.int64)
        self._pos: dict[int, int] = {}  # key -> row
        self._last: dict[str, int] = {}  # thread -> its last row
        self._thread_of: dict[int, str] = {}  # row -> thread ("" = none)
        self._vocab: dict[str, int] = {}  # stem -> term number
        self._line = _Postings()
        self._date = _Postings()
        self._context: _Context | None = None  # derived arrays, rebuilt after a change

    def __len__(self) -> int:
        return len(self._pos)

    def __contains__(self, key: int) -> bool:
        return key in self._pos

    # -- building ------------------------------------------------------------------------------

    def load(self, rows: Iterable[tuple[int, str, str, str]], batch: int = 5_000) -> None:
        """Index rows of (key, thread, line, date words), each thread's rows in spoken order.

        The bulk path for opening a profile (a few seconds per 100k memories): each batch of
        texts is split by one regex pass, words are numbered in C loops, stems are taken once
        per distinct word, and the postings are sorted once at the end. Batches keep the
        transient word lists small.
        """
        number: dict[str, int] = {"\x00": 0}  # word -> word number; 0 marks a text break
        term_of: list[int] = [-1]  # word number -> term number
        texts: tuple[list[str], list[str]] = ([], [])
        first = self._rows
        for key, thread, line, date in rows:
            if key not in self._pos:
                self._append_row(key, thread)
                texts[0].append(line)
                texts[1].append(date)
                if len(texts[0]) == batch:
                    self._load_batch(texts, number, term_of)
        self._load_batch(texts, number, term_of)
        if self._rows > first:
            self._line.merge()
            self._date.merge()
            self._context = None

    def _load_batch(
        self, texts: tuple[list[str], list[str]], number: dict[str, int], term_of: list[int]
    ) -> None:
        """Index the texts of the last len(texts[0]) rows, then empty the lists."""
        first = self._rows - len(texts[0])
        for postings, lengths, field in ((self._line, self._len_line, texts[0]),
                                         (self._date, self._len_date, texts[1])):  # fmt: skip
            if not field:
                continue
            found = words("\x00".join(t.replace("\x00", " ") for t in field), keep="\x00")
            for w in dict.fromkeys(found):
                if w not in number:
                    number[w] = len(term_of)
                    term_of.append(self._term(stem(w)))
            ids = np.fromiter(map(number.__getitem__, found), np.int64, len(found))
            breaks = ids == 0
            # Row of each word: how many text breaks came before it.
            row = first + np.cumsum(breaks)[~breaks]
            lengths[first : self._rows] = np.bincount(row - first, minlength=len(field))
            postings.extend(np.array(term_of, np.int64)[ids[~breaks]], row)
            field.clear()

    def add(self, key: int, thread: str, line: str, date: str) -> None:
        """Index a memory at the end of its thread (a key already there is replaced)."""
        if key in self._pos:
            self.remove(key)
        row = self._append_row(key, thread)
        for postings, lengths, text in ((self._line, self._len_line, line),
                                        (self._date, self._len_date, date)):  # fmt: skip
            terms = [self._term(t) for t in tokens(text)]
            lengths[row] = len(terms)
            postings.extend(np.array(terms, np.int64), np.full(len(terms), row, np.int64))
            if postings.tail_size() > _TAIL_MAX:
                postings.merge()
        self._context = None

    def remove(self, key: int) -> None:
        """Forget a memory: its row is dead and its thread neighbours now neighbour each other."""
        row = self._pos.pop(key, None)
        if row is None:
            return
        self._alive[row] = False
        prev, nxt = int(self._prev[row]), int(self._next[row])
        if prev >= 0:
            self._next[prev] = nxt
        if nxt >= 0:
            self._prev[nxt] = prev
        thread = self._thread_of.pop(row)
        if thread and self._last.get(thread) == row:
            if prev >= 0:
                self._last[thread] = prev
            else:
                del self._last[thread]
        self._prev[row] = self._next[row] = -1
        self._context = None

    def _term(self, stemmed: str) -> int:
        return self._vocab.setdefault(stemmed, len(self._vocab))

    def _append_row(self, key: int, thread: str) -> int:
        if self._rows == len(self._key):
            cap = max(64, 2 * len(self._key))
            self._key = _grown(self._key, cap, -1)
            self._alive = _grown(self._alive, cap, False)
            self._len_line = _grown(self._len_line, cap, 0)
            self._len_date = _grown(self._len_date, cap, 0)
            self._prev = _grown(self._prev, cap, -1)
            self._next = _grown(self._next, cap, -1)
        row = self._rows
        self._rows += 1
        self._key[row] = key
        self._alive[row] = True
        self._pos[key] = row
        self._thread_of[row] = thread
        if thread:
            last = self._last.get(thread, -1)
            self._prev[row] = last
            if last >= 0:
                self._next[last] = row
            self._last[thread] = row
        return row

    # -- searching -----------------------------------------------------------------------------

    def count(self, word: str) -> int:
        """About how many memories say the word in their own line or date.

        Only steers which words are searched (recall.rarest), so rows both dated and said with
        the word, and rows forgotten since the last merge, may count twice: no sort per word.
        """
        terms = {self._vocab.get(t) for t in tokens(word)} - {None}
        return max((self._line.size(t) + self._date.size(t) for t in terms), default=0)

    def scores(self, query: Sequence[str], limit: int) -> dict[int, float]:
        """BM25F scores (higher is better) of the best `limit` memories matching any word."""
        terms = {self._vocab.get(t) for w in query for t in tokens(w)} - {None}
        if not terms or not self._pos:
            return {}
        c = self._derived()
        w_line, w_near, w_window, w_date = recall.COLUMN_WEIGHTS
        # Spread each line's count to itself and to the rows that have it as a ±1 neighbour or
        # in their ±2 window; the pointers are symmetric, so row r's neighbours see r's words.
        weights = (w_line + w_window, w_near + w_window, w_near + w_window, w_window, w_window)
        score = np.zeros(self._rows, np.float64)
        for term in terms:
            rows, tf = self._line.get(term)
            keep = c.alive[rows]
            rows, tf = rows[keep], tf[keep]
            drows, dtf = self._date.get(term)
            keep = c.alive[drows]
            targets = np.concatenate(
                [rows, c.prev[rows], c.next[rows], c.prev2[rows], c.next2[rows], drows[keep]]
            )
            amounts = np.concatenate([w * tf for w in weights] + [w_date * dtf[keep]])
            ok = targets >= 0
            hit, where = np.unique(targets[ok], return_inverse=True)
            if not len(hit):
                continue
            freq = np.bincount(where, weights=amounts[ok])
            idf = max(np.log((c.total - len(hit) + 0.5) / (len(hit) + 0.5)), 1e-6)
            score[hit] += idf * freq * (K1 + 1) / (freq + c.norm[hit])
        hit = np.flatnonzero(score)
        if len(hit) > limit:
            hit = hit[np.argpartition(-score[hit], limit - 1)[:limit]]
        return {int(self._key[r]): float(score[r]) for r in hit}

    def _derived(self) -> _Context:
        """Second neighbours and BM25 length norms, cached until the index changes."""
        if self._context is None:
            n = self._rows
            prev, nxt = self._prev[:n].copy(), self._next[:n].copy()
            prev2, next2 = _hop(prev, prev), _hop(nxt, nxt)
            line = self._len_line[:n].astype(np.float64)
            near = _gather(line, prev) + _gather(line, nxt)
            far = _gather(line, prev2) + _gather(line, next2)
            # The row's length: line, neighbours, window and date, plus FTS5's profile token
            # (kept so scores stay what the column weights were tuned on).
            length = line + near + (line + near + far) + self._len_date[:n] + 1
            alive = self._alive[:n].copy()
            total = max(1, int(np.count_nonzero(alive)))
            avg = float(length[alive].sum()) / total
            norm = K1 * (1 - B + B * length / avg)
            self._context = _Context(alive, prev, nxt, prev2, next2, norm, total)
        return self._context


class _Context(NamedTuple):
    alive: np.ndarray
    prev: np.ndarray
    next: np.ndarray
    prev2: np.ndarray
    next2: np.ndarray
    norm: np.ndarray
    total: int


class _Postings:
    """Term -> (row, count): sorted (term, row) keys plus a small unsorted tail of new rows."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.int64)  # term << 32 | row, sorted, one per (term, row)
        self._tf = np.zeros(0, np.float64)
        self._tail: list[np.ndarray] = []  # keys of single tokens, not yet counted
        self._tail_keys: np.ndarray | None = None
        self._tail_size = 0

    def extend(self, terms: np.ndarray, rows: np.ndarray) -> None:
        """Add tokens: one (term, row) per occurrence."""
        self._tail.append((terms << 32) | rows)
        self._tail_size += len(terms)
        self._tail_keys = None

    def tail_size(self) -> int:
        return self._tail_size

    def merge(self) -> None:
        """Fold the tail into the sorted keys (counting repeated tokens)."""
        if not self._tail:
            return
        keys, counts = np.unique(np.concatenate(self._tail), return_counts=True)
        keys = np.concatenate([self._keys, keys])
        tf = np.concatenate([self._tf, counts.astype(np.float64)])
        order = np.argsort(keys, kind="stable")
        self._keys, self._tf = keys[order], tf[order]
        self._tail, self._tail_keys, self._tail_size = [], None, 0

    def size(self, term: int) -> int:
        """How many rows contain the term (a forgotten row until the next merge too)."""
        lo, hi = np.searchsorted(self._keys, [term << 32, (term + 1) << 32])
        return int(hi - lo) + len(np.unique(self._in_tail(term))) if self._tail else int(hi - lo)

    def _in_tail(self, term: int) -> np.ndarray:
        """Rows of the term's unsorted tokens (a row once per occurrence)."""
        if self._tail_keys is None:
            self._tail_keys = np.concatenate(self._tail)
        return self._tail_keys[(self._tail_keys >> 32) == term] & 0xFFFFFFFF

    def get(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows that contain the term (ascending within each part) and its count in each."""
        lo, hi = np.searchsorted(self._keys, [term << 32, (term + 1) << 32])
        rows, tf = self._keys[lo:hi] & 0xFFFFFFFF, self._tf[lo:hi]
        if self._tail:
            mine = self._in_tail(term)
            if len(mine):
                more, counts = np.unique(mine, return_counts=True)
                rows = np.concatenate([rows, more])
                tf = np.concatenate([tf, counts.astype(np.float64)])
        return rows, tf


def _grown(a: np.ndarray, cap: int, fill: object) -> np.ndarray:
    out = np.full(cap, fill, a.dtype)
    out[: len(a)] = a
    return out


def _gather(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """values[ptr], with 0 where ptr is -1."""
    return np.where(ptr >= 0, values[np.maximum(ptr, 0)], 0)


def _hop(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """then[first] where first points somewhere, else -1 (a second step along the thread)."""
    return np.where(first >= 0, then[np.maximum(first, 0)], -1)
