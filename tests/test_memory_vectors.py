"""The vector index: exact when small, projected first pass when large, live changes kept."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.memory import vectors
from assistant.memory.vectors import VectorIndex

DIM = 384


def embeddings(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors shaped like sentence embeddings: most energy in a few dozen directions."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(40, DIM))
    mix = rng.normal(size=(n, 40)) * np.linspace(3, 0.5, 40)
    v = mix @ topics + rng.normal(scale=2.0, size=(n, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def exact_top(m: np.ndarray, keys: list[int], q: np.ndarray, k: int) -> list[int]:
    return [keys[i] for i in np.argsort(-(m @ q))[:k]]


def test_small_index_is_exact() -> None:
    m = embeddings(500)
    keys = list(range(1000, 1500))
    index = VectorIndex(DIM)
    index.load(zip(keys, [r.tobytes() for r in m], strict=True))
    for q in embeddings(5, seed=1):
        got = index.search(q, 10)
        assert sorted(got, key=got.__getitem__, reverse=True) == exact_top(m, keys, q, 10)


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> tuple[VectorIndex, np.ndarray, list[int]]:
    monkeypatch.setattr(vectors, "PROJECT_FROM", 3_000)
    monkeypatch.setattr(vectors, "POOL", 300)
    m = embeddings(6_000)
    keys = list(range(6_000))
    index = VectorIndex(DIM)
    index.load(zip(keys, [r.tobytes() for r in m], strict=True))
    return index, m, keys


def test_large_index_keeps_the_exact_neighbours(large) -> None:
    index, m, keys = large
    assert index._basis is not None  # the projected first pass is on
    overlap = []
    for q in embeddings(30, seed=2):
        got = index.search(q, 20)
        want = exact_top(m, keys, q, 20)
        overlap.append(len(set(got) & set(want)) / 20)
        for key, sim in got.items():  # similarities themselves are exact
            assert sim == pytest.approx(float(m[key] @ q), abs=1e-5)
    assert np.mean(overlap) >= 0.95
    q = embeddings(1, seed=3)[0]
    exact = index.top(index.nearest(q, exact=True), 20)
    assert sorted(exact, key=exact.__getitem__, reverse=True) == exact_top(m, keys, q, 20)


def test_also_keys_get_their_similarity(large) -> None:
    index, m, keys = large
    q = embeddings(1, seed=4)[0]
    far = int(np.argmin(m @ q))
    got = index.search(q, 5, also=[far, 10**9])
    assert got[far] == pytest.approx(float(m[far] @ q), abs=1e-5)
    assert 10**9 not in got and len(got) == 6


def test_live_adds_and_removals_when_large(large) -> None:
    index, m, keys = large
    new = embeddings(50, seed=5)
    for i, v in enumerate(new):  # past the capacity: the projected matrix grows too
        index.upsert(100_000 + i, v)
    for i, v in enumerate(new[:10]):
        assert max(index.search(v, 3).items(), key=lambda kv: kv[1])[0] == 100_000 + i
    gone = set(range(0, 2_000))  # a third of the rows: compaction and a fresh projection
    for key in gone:
        index.remove(key)
    assert len(index) == 6_000 + 50 - 2_000
    for q in list(m[:5]) + list(embeddings(5, seed=6)):
        assert not gone & set(index.search(q, 50))
    assert max(index.search(m[4000], 1).items(), key=lambda kv: kv[1])[0] == 4000
