"""Spoken numbers as digits: "three hours and twenty five minutes" → "3 hours and 25 minutes".

Speech-to-text writes numbers either way ("ten" or "10"), so every parser downstream works on one
form. Ordinals become "21st" style; "second" stays a word unless it is clearly a date ordinal.
"""

from __future__ import annotations

from assistant.memory.recall import MONTHS

_UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if i >= 2
}
_TENS["fourty"] = 40  # a common misspelling in transcripts
_ORDINAL_UNITS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
        ]
    )
}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
_MONTHS = (
    *MONTHS,
    *["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"],
)


def suffix(n: int) -> str:
    """The ordinal suffix of n: 1 → "st", 12 → "th", 22 → "nd"."""
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _ordinal_ok(words: list[str], i: int) -> bool:
    """Whether words[i] ("second") is a date ordinal rather than the unit of time."""
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    return before in ("the", *_TENS, *_MONTHS) or after in ("of", *_MONTHS)


def words_to_digits(text: str) -> str:
    """text with every run of English number words replaced by digits (lower-cased input)."""
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        # Ordinals, simple and compound ("twenty first").
        if w in _TENS and i + 1 < len(words) and words[i + 1] in _ORDINAL_UNITS:
            n = _TENS[w] + _ORDINAL_UNITS[words[i + 1]]
            out.append(f"{n}{suffix(n)}")
            i += 2
            continue
        if w in _ORDINAL_TENS:
            n = _ORDINAL_TENS[w]
            out.append(f"{n}{suffix(n)}")
            i += 1
            continue
        if w in _ORDINAL_UNITS and (w != "second" or _ordinal_ok(words, i)):
            n = _ORDINAL_UNITS[w]
            out.append(f"{n}{suffix(n)}")
            i += 1
            continue
        if not (w in _UNITS or w in _TENS):
            out.append(w)
            i += 1
            continue
        value, i = _read_number(words, i)
        out.append(str(value))
    return " ".join(out)


def _read_number(words: list[str], i: int) -> tuple[int, int]:
    """Read one cardinal number starting at words[i]; return it and the index after it."""
    total = current = 0
    last = ""  # the kind of the previous token: unit, tens, hundred or thousand
    while i < len(words):
        w = words[i]
        if w in _UNITS and (
            last in ("", "hundred", "thousand") or (last == "tens" and _UNITS[w] < 10)
        ):
            current += _UNITS[w]
            last = "unit"
        elif w in _TENS and last in ("", "hundred", "thousand"):
            current += _TENS[w]
            last = "tens"
        elif w == "hundred" and last in ("unit", "tens") and 0 < current < 100:
            current *= 100
            last = "hundred"
        elif w == "thousand" and last in ("unit", "tens", "hundred") and current:
            total += current * 1000
            current = 0
            last = "thousand"
        elif not (
            w == "and"
            and last in ("hundred", "thousand")
            and i + 1 < len(words)
            and (words[i + 1] in _UNITS or words[i + 1] in _TENS)
        ):
            break
        i += 1
    return total + current, i
