"""An in-memory matrix of one profile's memory vectors, for fast cosine search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

# Past this many vectors a search first ranks every row by a 96-dimensional projection (a quarter
# of the memory traffic of the 384-d matrix, which bounds the dot products' speed), then scores
# the best POOL rows exactly. Below it every row is scored exactly.
PROJECT_FROM = 20_000
PROJECTED_DIM = 96
POOL = 1_000


class VectorIndex:
    """Rows of unit-ish float32 vectors keyed by memory number; brute-force dot products.

    Large indexes keep a second matrix of the rows projected on the top principal directions of
    the vectors (an uncentred PCA of a sample, which preserves dot products best); a search ranks
    all rows there and re-scores the best POOL exactly. At 100k memories this reads 38 MB per
    query instead of 154 MB (~5 instead of ~20 ms); scripts/bench_memory.py measures how much of
    the exact top 100 it keeps. The matrix grows by doubling its capacity, so adding one live
    turn to a large profile does not copy the whole matrix (a 100k copy is ~150 MB and tens of
    milliseconds); removal marks a row dead instead of compacting, for the same reason.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._keys = np.zeros(0, np.int64)
        self._matrix = np.zeros((0, dim), np.float32)
        self._used = 0  # rows of _matrix in use (the rest is spare capacity)
        self._pos: dict[int, int] = {}  # key -> row
        self._dead = 0  # rows of removed keys, zeroed, awaiting compaction
        self._basis: np.ndarray | None = None  # dim x PROJECTED_DIM, once the index is large
        self._small = np.zeros((0, PROJECTED_DIM), np.float32)  # rows @ basis

    def __len__(self) -> int:
        return len(self._pos)

    def load(self, rows: Iterable[tuple[int, bytes]], count: int | None = None) -> None:
        """Replace the contents with (key, float32 vector bytes) rows (`count`: how many).

        Blobs are copied straight into the matrix, so opening a big profile holds no second
        copy of every vector.
        """
        rows = iter(rows)
        if count is None:
            listed = list(rows)
            rows, count = iter(listed), len(listed)
        keys = np.zeros(count, np.int64)
        self._matrix = np.zeros((count, self.dim), np.float32)
        used, extra = 0, []
        for key, blob in rows:
            if used < count:
                keys[used] = key
                self._matrix[used] = np.frombuffer(blob, np.float32)
                used += 1
            else:  # rows added since they were counted
                extra.append((key, np.frombuffer(blob, np.float32)))
        self._keys = keys[:used]
        self._matrix = self._matrix[:used]
        self._used = used
        self._pos = {int(k): i for i, k in enumerate(self._keys)}
        self._dead = 0
        self._basis = None
        self._project()
        for key, vec in extra:
            self.upsert(key, vec)

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
        if self._basis is not None:
            self._small[row] = vec @ self._basis
        elif self._used >= PROJECT_FROM:
            self._project()

    def _grow(self) -> None:
        capacity = max(64, 2 * len(self._keys))
        keys = np.full(capacity, -1, np.int64)
        matrix = np.zeros((capacity, self.dim), np.float32)
        keys[: self._used] = self._keys[: self._used]
        matrix[: self._used] = self._matrix[: self._used]
        self._keys, self._matrix = keys, matrix
        if self._basis is not None:
            small = np.zeros((capacity, PROJECTED_DIM), np.float32)
            small[: self._used] = self._small[: self._used]
            self._small = small

    def _project(self) -> None:
        """Fit the projection on a sample of the rows and project them all (~0.2 s at 100k)."""
        if self._used < PROJECT_FROM:
            return
        rows = self._matrix[: self._used]
        sample = rows[np.random.default_rng(0).choice(self._used, min(self._used, 4_000), False)]
        # The top eigenvectors of the sample's (uncentred) Gram matrix: the directions of most
        # energy (the right singular vectors, for a fraction of an SVD's time).
        _, vecs = np.linalg.eigh(sample.T.astype(np.float64) @ sample)
        top = vecs[:, ::-1][:, :PROJECTED_DIM]
        self._basis = np.ascontiguousarray(top, dtype=np.float32)
        self._small = np.zeros((len(self._matrix), PROJECTED_DIM), np.float32)
        self._small[: self._used] = rows @ self._basis

    def remove(self, key: int) -> None:
        row = self._pos.pop(key, None)
        if row is None:
            return
        # A zero row scores 0 and its key -1 is never returned; compact once a quarter is dead.
        self._keys[row] = -1
        self._matrix[row] = 0.0
        if self._basis is not None:
            self._small[row] = 0.0
        self._dead += 1
        if self._dead * 4 > self._used:
            live = self._keys[: self._used] >= 0
            self._keys = self._keys[: self._used][live].copy()
            self._matrix = self._matrix[: self._used][live].copy()
            self._used = len(self._keys)
            self._pos = {int(k): i for i, k in enumerate(self._keys)}
            self._dead = 0
            self._basis = None
            self._project()

    def nearest(self, query: np.ndarray, exact: bool = False) -> Nearest:
        """The rows most similar to the query, with their exact similarities.

        Every row when the index is small (or `exact`); else the POOL best by the projection.
        """
        query = query.astype(np.float32)
        used = self._used
        if self._basis is None or exact or used <= POOL:
            rows = np.arange(used)
            sims = self._matrix[:used] @ query
        else:
            rough = self._small[:used] @ (query @ self._basis)
            rows = np.argpartition(-rough, POOL - 1)[:POOL]
            sims = self._matrix[rows] @ query
        live = self._keys[rows] >= 0
        return Nearest(query, rows[live], sims[live])

    def top(self, near: Nearest, k: int, also: Iterable[int] = ()) -> dict[int, float]:
        """The k best keys of `nearest`'s answer, plus the similarities of the keys in `also`.

        `also` lets keyword hits that are not among the k nearest still get their similarity,
        so fusion ranks them on both signals instead of on keywords alone.
        """
        n = min(k, len(near.rows))
        best = np.argpartition(-near.sims, n - 1)[:n] if n < len(near.rows) else range(n)
        found = {int(self._keys[near.rows[i]]): float(near.sims[i]) for i in best}
        rest = [self._pos[key] for key in also if key in self._pos and key not in found]
        if rest:
            sims = self._matrix[rest] @ near.query
            found.update((int(self._keys[r]), float(s)) for r, s in zip(rest, sims, strict=True))
        return found

    def search(self, query: np.ndarray, k: int, also: Iterable[int] = ()) -> dict[int, float]:
        """The k best keys by dot product with query, plus the scores of the keys in `also`."""
        return self.top(self.nearest(query), k, also)


class Nearest(NamedTuple):
    """A search's query vector and its candidate rows with their exact similarities."""

    query: np.ndarray
    rows: np.ndarray
    sims: np.ndarray
