"""The in-memory keyword index scores like SQLite FTS5's bm25() and follows live changes."""

from __future__ import annotations

import random
import sqlite3

import pytest

from assistant.memory import recall
from assistant.memory.keywords import KeywordIndex, tokens

WORDS = (  # noqa: SIM905 - easier to read as text
    "garden tomatoes painting pottery hiking camping mountains guitar concert sister adoption "
    "agency running races marathon dog puppy cooking pasta recipe school teacher book library "
    "beach sunset photos café naïve jogging jogged runs ran"
).split()


def corpus(seed: int, n: int = 120) -> list[tuple[int, str, str, str]]:
    """Rows (key, thread, line, date) of a few threads of random sentences, some unthreaded."""
    rng = random.Random(seed)
    rows = []
    for key in range(1, n + 1):
        thread = rng.choice(["a", "b", "c", "", "d"])
        speaker = rng.choice(["Caroline", "Melanie", "user"])
        text = " ".join(
            rng.choice(WORDS + ["the", "and", "I", "we"]) for _ in range(rng.randint(2, 14))
        )
        day = rng.choice(["8 May 2023", "1 June 2023", "20 January 2024"])
        rows.append((key, thread, f"{speaker}: {text}", day))
    return rows


def fts5_scores(rows: list[tuple[int, str, str, str]], words: list[str]) -> dict[int, float]:
    """What the store's former FTS5 table gave for the same rows and query (higher is better)."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5 (line, neighbours, window, date, owner, "
        "tokenize = 'porter unicode61')"
    )
    threads: dict[str, list[tuple[int, str, str]]] = {}
    for key, thread, line, date in rows:
        threads.setdefault(thread or f"-{key}", []).append((key, line, date))
    for name, items in threads.items():
        threaded = not name.startswith("-")
        for i, (key, line, date) in enumerate(items):
            near = [items[j][1] for j in (i - 1, i + 1) if threaded and 0 <= j < len(items)]
            window = [items[j][1] for j in range(i - 2, i + 3) if 0 <= j < len(items)]
            db.execute(
                "INSERT INTO f (rowid, line, neighbours, window, date, owner) VALUES (?,?,?,?,?,?)",
                (key, line, "\n".join(near), "\n".join(window), date, "powner"),
            )
    w = ", ".join(str(x) for x in recall.COLUMN_WEIGHTS)
    query = "{line neighbours window date} : (" + " OR ".join(f'"{x}"' for x in words) + ")"
    return {
        n: -s
        for n, s in db.execute(f"SELECT rowid, bm25(f, {w}, 0) FROM f WHERE f MATCH ?", (query,))
    }


@pytest.mark.parametrize("seed", range(6))
def test_scores_match_fts5_bm25(seed: int) -> None:
    rows = corpus(seed)
    index = KeywordIndex()
    index.load(rows)
    rng = random.Random(seed)
    for _ in range(5):
        words = rng.sample(WORDS, rng.randint(1, 4))
        want = fts5_scores(rows, words)
        got = index.scores(words, limit=1000)
        assert set(got) == set(want), words
        for key, score in want.items():
            assert got[key] == pytest.approx(score, rel=1e-4), (words, key)


def test_limit_keeps_the_best() -> None:
    rows = corpus(7, 200)
    index = KeywordIndex()
    index.load(rows)
    every = index.scores(["garden", "concert"], limit=10_000)
    best = index.scores(["garden", "concert"], limit=5)
    assert len(best) == 5
    assert sorted(best.values(), reverse=True) == sorted(every.values(), reverse=True)[:5]


def test_live_adds_equal_a_bulk_load() -> None:
    rows = corpus(11)
    bulk, live = KeywordIndex(), KeywordIndex()
    bulk.load(rows)
    live.load(rows[:40])
    for row in rows[40:]:
        live.add(*row)
    for words in (["garden"], ["marathon", "puppy"], ["8", "may"], ["jogging"]):
        assert live.scores(words, 1000) == pytest.approx(bulk.scores(words, 1000))
        assert [live.count(w) for w in words] == [bulk.count(w) for w in words]


def test_forgetting_relinks_the_thread() -> None:
    """After a memory is forgotten, its words are gone and its neighbours neighbour each other."""
    rows = corpus(3)
    gone = {rows[i][0] for i in (5, 6, 30, 31, 32, 77)}
    index = KeywordIndex()
    index.load(rows)
    for key in gone:
        index.remove(key)
    fresh = KeywordIndex()
    fresh.load([r for r in rows if r[0] not in gone])
    for words in (["garden", "sister"], ["photos"], ["pottery", "library", "beach"]):
        got = index.scores(words, 1000)
        assert not gone & set(got)
        assert got == pytest.approx(fresh.scores(words, 1000))
    index.add(*rows[5])  # a key can come back (an import); it joins the end of its thread
    assert rows[5][0] in index


def test_words_fold_case_diacritics_and_stems_like_fts5() -> None:
    assert tokens("Café NAÏVE jogging, jogged! runs") == ["cafe", "naiv", "jog", "jog", "run"]
    assert tokens("don’t_stop 3rd-floor") == ["don", "t", "stop", "3rd", "floor"]
    rows = [(1, "", "user: Le café était naïve", "1 May 2023"), (2, "", "user: coffee", "")]
    index = KeywordIndex()
    index.load(rows)
    assert set(index.scores(["CAFE"], 10)) == {1} == set(fts5_scores(rows, ["cafe"]))


def test_empty_and_unknown() -> None:
    index = KeywordIndex()
    assert index.scores(["anything"], 10) == {}
    index.load([])
    index.load([(1, "t", "user: hello there", "1 May 2023")])
    assert index.scores(["zebra"], 10) == {}
    assert index.count("zebra") == 0
    assert index.count("hello") == 1
    index.remove(1)
    index.remove(1)
    assert index.scores(["hello"], 10) == {}
    assert len(index) == 0
