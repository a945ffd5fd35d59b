"""An in-memory matrix of one profile's memory vectors, for fast exact cosine search."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class VectorIndex:
    """Rows of unit-ish float32 vectors keyed by memory number; brute-force dot products.

    Exact search over 100k × 384 takes a few milliseconds with numpy, so no approximate index.
    The matrix grows by doubling its capacity, so adding one live turn to a large profile does
    not copy the whole matrix (a 100k copy is ~150 MB and tens of milliseconds); removal marks
    a row dead instead of compacting, for the same reason.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._keys = np.zeros(0, np.int64)
        self._matrix = np.zeros((0, dim), np.float32)
        self._used = 0  # rows of _matrix in use (the rest is spare capacity)
        self._pos: dict[int, int] = {}  # key -> row
        self._dead = 0  # rows of removed keys, zeroed, awaiting compaction

    def __len__(self) -> int:
        return len(self._pos)

    def load(self, keys: list[int], blobs: list[bytes]) -> None:
        self._keys = np.array(keys, np.int64)
        self._matrix = (
            np.frombuffer(b"".join(blobs), np.float32).reshape(len(keys), self.dim).copy()
        )
        self._used = len(keys)
        self._pos = {int(k): i for i, k in enumerate(keys)}
        self._dead = 0

    def upsert(self, key: int, vec: np.ndarray) -> None:
        row = self._pos.get(key)
        if row is None:
            if self._used == len(self._keys):
                self._grow()
            row = self._used
            self._used += 1
            self._keys[row] = key
            self._pos[key] = row
        self._matrix[row] = vec

    def _grow(self) -> None:
        capacity = max(64, 2 * len(self._keys))
        keys = np.full(capacity, -1, np.int64)
        matrix = np.zeros((capacity, self.dim), np.float32)
        keys[: self._used] = self._keys[: self._used]
        matrix[: self._used] = self._matrix[: self._used]
        self._keys, self._matrix = keys, matrix

    def remove(self, key: int) -> None:
        row = self._pos.pop(key, None)
        if row is None:
            return
        # A zero row scores 0 and its key -1 is never returned; compact once a quarter is dead.
        self._keys[row] = -1
        self._matrix[row] = 0.0
        self._dead += 1
        if self._dead * 4 > self._used:
            live = self._keys[: self._used] >= 0
            self._keys = self._keys[: self._used][live].copy()
            self._matrix = self._matrix[: self._used][live].copy()
            self._used = len(self._keys)
            self._pos = {int(k): i for i, k in enumerate(self._keys)}
            self._dead = 0

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Dot products of query with every row (removed rows: -inf)."""
        sims = self._matrix[: self._used] @ query.astype(np.float32)
        if self._dead:
            sims[self._keys[: self._used] < 0] = -np.inf
        return sims

    def top(self, sims: np.ndarray, k: int, also: Iterable[int] = ()) -> dict[int, float]:
        """The k best keys by similarity (from `similarities`), plus the keys in `also`.

        `also` lets keyword hits that are not among the k nearest still get their similarity,
        so fusion ranks them on both signals instead of on keywords alone.
        """
        if not self._pos:
            return {}
        n = min(k, len(self._pos))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        found = {int(self._keys[i]): float(sims[i]) for i in top if self._keys[i] >= 0}
        for key in also:
            row = self._pos.get(key)
            if row is not None and key not in found:
                found[key] = float(sims[row])
        return found

    def search(self, query: np.ndarray, k: int, also: Iterable[int] = ()) -> dict[int, float]:
        """The k best keys by dot product with query, plus the scores of the keys in `also`."""
        return self.top(self.similarities(query), k, also)
