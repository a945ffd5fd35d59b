"""How a question becomes a memory search: keyword query, time window, and score fusion.

Pure functions, no database: the store (store.py) runs the searches and hands the raw scores here.
The design was chosen on the LoCoMo benchmark (scripts/bench_memory.py): BM25 over each memory
with its ±1 neighbours, its ±2 window and its date as extra columns (the question's commonest
words left out), one MiniLM vector per memory averaged over its context windows, scores fused
linearly after normalising each list by its best score (keyword hits also get their cosine, so
they are ranked on both), then boosts for a named speaker, an explicit time, and a matching
conversation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "what's",
        "who's",
        "how's",
        "where's",
        "when's",
        "kind",
        "type",
        "sort",
        "likely",
        "might",
        "ever",
        "get",
        "got",
        "go",
        "went",
        "tell",
        "remember",
        "know",
    ]
)
_WORD = re.compile(r"[A-Za-z0-9]+")
_DATE = re.compile(
    r"(?:(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?(" + "|".join(MONTHS) + r")"
    # \b after a day: "July 2023" must not read as July 20 (then "23").
    r"(?:\s+(\d{1,2})(?:st|nd|rd|th)?\b)?,?\s*(\d{4})?|\b(\d{4})\b",
    re.IGNORECASE,
)
_AGO = re.compile(
    r"\b(\d+|a|an|one|two|three|four|five|six)\s+(day|week|month|year)s?\s+ago\b", re.I
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

# Fusion and boost weights (tuned on LoCoMo; see scripts/bench_memory.py).
# BM25 weights of the columns: the memory's own line, its ±1 neighbours, its ±2 window, its date.
COLUMN_WEIGHTS = (1.0, 0.5, 0.2, 0.5)
CANDIDATES = 100
# Keyword words in more than COMMON_SHARE of a profile's memories are left out of the BM25 query
# while MIN_TERMS rarer ones remain; at most MAX_TERMS words. 0.02 or MIN_TERMS=1 lost 2–9
# points of recall@10 on LoCoMo; 0.05/2/6 costs 0.2 points and trims the slowest searches.
COMMON_SHARE = 0.05
MIN_TERMS = 2
MAX_TERMS = 6
SPEAKER_BOOST = 1.6
TIME_BOOST = 2.0
THREAD_WEIGHT = 0.3


def date_text(when: datetime) -> str:
    """A timestamp as words BM25 can match: "8 May 2023" (English whatever the locale)."""
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def keywords(question: str, drop: list[str] = ()) -> list[str]:
    """The question's content words, lower-cased, once each (names in `drop` removed)."""
    for name in drop:
        question = re.sub(r"\b" + re.escape(name) + r"(?:'s)?\b", " ", question, flags=re.I)
    words = [w.lower() for w in _WORD.findall(question)]
    content = [w for w in words if w not in STOPWORDS] or words[:3]
    return list(dict.fromkeys(content))


def keyword_query(question: str, drop: list[str] = ()) -> str:
    """An FTS5 OR-query of the question's content words (names in `drop` removed), or ""."""
    return or_query(keywords(question, drop))


def or_query(words: list[str]) -> str:
    return " OR ".join(f'"{w}"' for w in words)


def rarest(words: list[str], counts: list[int], total: int) -> list[str]:
    """The words worth a keyword search: those found at all, minus the most common ones.

    A word in more than COMMON_SHARE of the memories adds little to BM25 (low idf) but makes
    the search score every memory that has it, which dominated search time in large stores;
    such words are dropped while at least MIN_TERMS rarer ones remain, and at most MAX_TERMS of
    the rarest are kept. The vector search still sees the whole question.
    """
    found = sorted((c, i) for i, c in enumerate(counts) if c > 0)
    keep = [i for c, i in found if c <= COMMON_SHARE * total]
    if len(keep) < MIN_TERMS:
        keep = [i for _, i in found[:MIN_TERMS]]
    keep = sorted(keep[:MAX_TERMS])  # back in question order (stable queries)
    return [words[i] for i in keep]


def _month_window(year: int, month: int) -> tuple[datetime, datetime]:
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return datetime(year, month, 1), end


def time_window(question: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period a question is about, if it names one: a date, a month, a year, or a relative time.

    "on 8 May 2023" → that day ±1; "in March" → the latest March up to now; "in 2022" → that
    year; "yesterday", "last week", "last month", "three days ago" → around then.
    """
    q = question.lower()
    day = timedelta(days=1)
    today = datetime(now.year, now.month, now.day)
    if "yesterday" in q:
        return today - day, today
    if "today" in q or "this morning" in q or "tonight" in q:
        return today, today + day
    if "last week" in q:
        return today - 14 * day, today - 6 * day
    if "this week" in q:
        return today - 7 * day, today + day
    if "last month" in q:
        first = datetime(now.year, now.month, 1)
        prev = first - day
        return _month_window(prev.year, prev.month)
    if "last year" in q:
        return datetime(now.year - 1, 1, 1), datetime(now.year, 1, 1)
    if m := _AGO.search(q):
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1).lower()]
        span = {"day": 1, "week": 7, "month": 30, "year": 365}[m.group(2).lower()] * n
        centre = today - span * day
        slack = max(1, span // 4) * day
        return centre - slack, centre + slack + day
    for m in _DATE.finditer(question):
        d1, month, d2, year, year_only = m.groups()
        if month:
            mi = MONTHS.index(month.lower()) + 1
            y = int(year) if year else (now.year if mi <= now.month else now.year - 1)
            if d := d1 or d2:
                try:
                    centre = datetime(y, mi, int(d))
                except ValueError:
                    continue
                return centre - day, centre + 2 * day
            return _month_window(y, mi)
        if year_only and 1900 < int(year_only) < 2100:
            y = int(year_only)
            return datetime(y, 1, 1), datetime(y + 1, 1, 1)
    return None


def named_speaker(question: str, speakers: list[str]) -> str | None:
    """The one known speaker the question names, if exactly one."""
    named = [s for s in speakers if re.search(r"\b" + re.escape(s) + r"\b", question, re.I)]
    return named[0] if len(named) == 1 else None


def fuse(bm25: dict[int, float], cosine: dict[int, float]) -> dict[int, float]:
    """Linear fusion: each list divided by its best score, then summed (missing = 0)."""
    scores: dict[int, float] = {}
    top_b = max(bm25.values(), default=0.0)
    if top_b > 0:
        for n, s in bm25.items():
            scores[n] = s / top_b
    top_c = max(cosine.values(), default=0.0)
    if top_c > 0:
        for n, s in cosine.items():
            scores[n] = scores.get(n, 0.0) + max(0.0, s) / top_c
    return scores
