"""An in-memory matrix of one profile's memory vectors, for fast exact cosine search."""

from __future__ import annotations

import numpy as np


class VectorIndex:
    """Rows of unit-ish float32 vectors keyed by memory number; brute-force dot products.

    Exact search over 100k × 384 takes a few milliseconds with numpy, so no approximate index.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._keys = np.zeros(0, np.int64)
        self._matrix = np.zeros((0, dim), np.float32)
        self._pending: dict[int, np.ndarray] = {}  # upserts not yet folded into the matrix

    def __len__(self) -> int:
        self._fold()
        return len(self._keys)

    def load(self, keys: list[int], blobs: list[bytes]) -> None:
        self._keys = np.array(keys, np.int64)
        self._matrix = (
            np.frombuffer(b"".join(blobs), np.float32).reshape(len(keys), self.dim).copy()
        )
        self._pending.clear()

    def upsert(self, key: int, vec: np.ndarray) -> None:
        self._pending[key] = vec.astype(np.float32)

    def remove(self, key: int) -> None:
        self._fold()
        keep = self._keys != key
        self._keys, self._matrix = self._keys[keep], self._matrix[keep]

    def _fold(self) -> None:
        if not self._pending:
            return
        pos = {int(k): i for i, k in enumerate(self._keys)}
        new_keys, new_rows = [], []
        for key, vec in self._pending.items():
            if key in pos:
                self._matrix[pos[key]] = vec
            else:
                new_keys.append(key)
                new_rows.append(vec)
        if new_keys:
            self._keys = np.concatenate([self._keys, np.array(new_keys, np.int64)])
            self._matrix = np.vstack([self._matrix, np.stack(new_rows)])
        self._pending.clear()

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        """The k best keys by dot product with query."""
        self._fold()
        if len(self._keys) == 0:
            return {}
        sims = self._matrix @ query.astype(np.float32)
        top = np.argpartition(-sims, k)[:k] if len(sims) > k else np.arange(len(sims))
        return {int(self._keys[i]): float(sims[i]) for i in top}
