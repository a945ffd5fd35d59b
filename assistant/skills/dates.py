"""Calendar days in a sentence: "tomorrow", "next friday", "the 4th of july", "christmas"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from assistant.skills.numbers import suffix
from assistant.skills.wallclock import DAY_INDEX, DAY_RE, MONTH_INDEX, MONTH_RE, MONTHS

_ORD = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"

_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("after_tomorrow", re.compile(r"\b(?:the )?day after tomorrow\b")),
    ("tomorrow", re.compile(r"\b(?:tomorrow|tomorrows|tomorrow's|tmrw|tomorow)\b")),
    ("today", re.compile(r"\b(?:today|todays|today's)\b")),
    ("yesterday", re.compile(r"\b(?:yesterday|last night)\b")),
    (
        "month_day",
        re.compile(
            rf"\b(?:on )?(?:the )?(?:{_ORD} (?:of )?(?P<mon>{MONTH_RE})|(?P<mon2>{MONTH_RE}) "
            rf"(?:the )?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?:,? (?P<y>(?:19|20)\d\d))?\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<which>this|next|coming|this coming|on|on next|on this) )?(?P<wd>{DAY_RE})"
            rf"(?:'s)?(?: (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th))?\b"
        ),
    ),
    (
        "day_of_month",
        re.compile(
            r"\b(?:on )?the (?P<d>\d{1,2})(?:st|nd|rd|th)(?: of (?:this|the) month|(?! of))\b"
        ),
    ),
    ("bare_ordinal", re.compile(r"\b(?:on )(?P<d>\d{1,2})(?:st|nd|rd|th)\b")),
]
_HOLIDAYS = re.compile(
    r"\b(?P<h>christmas eve|christmas(?: day)?|xmas|new year'?s eve|new year'?s(?: day)?|"
    r"halloween|valentine'?s(?: day)?|st\.? patrick'?s(?: day)?|saint patrick'?s(?: day)?|"
    r"independence day|easter(?: sunday)?|thanksgiving|mother'?s day|father'?s day)"
    r"(?: (?:in (?:the year )?)?(?P<y>(?:19|20)\d\d))?\b"
)
_FIXED_HOLIDAYS = {"christmas eve": (12, 24), "christmas": (12, 25), "xmas": (12, 25),
                   "new years eve": (12, 31), "new years": (1, 1), "halloween": (10, 31),
                   "valentines": (2, 14), "st patricks": (3, 17), "saint patricks": (3, 17),
                   "independence day": (7, 4)}  # fmt: skip


def _holiday(name: str, year: int) -> date:
    """The date of a holiday in a year (US customs for the movable ones)."""
    from dateutil.easter import easter

    key = re.sub(r"['.]|(?<=s) day$| day$| sunday$", "", name).strip()
    if key in _FIXED_HOLIDAYS:
        return date(year, *_FIXED_HOLIDAYS[key])
    if key == "easter":
        return easter(year)
    # Nth weekday of a month: thanksgiving (4th Thu Nov), mother's day (2nd Sun May),
    # father's day (3rd Sun June).
    month, weekday, nth = {"thanksgiving": (11, 3, 4), "mothers": (5, 6, 2),
                           "fathers": (6, 6, 3)}[key]  # fmt: skip
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


_FUZZY_DAYS = re.compile(
    r"\b(?:this|next|coming|upcoming) (?:week|weekend|month|year)(?:'s|s)?\b|\bweekend\b"
)


def find_date(text: str, today: date) -> tuple[date | str, tuple[int, int]] | None:
    """The first calendar day in text (or "past" / "fuzzy:<phrase>") and its span."""
    found: list[tuple[int, date | str, tuple[int, int]]] = []
    for name, pattern in _DATE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        day = _date(name, m, today)
        if day is not None:
            found.append((m.start(), day, m.span()))
    if found:
        found.sort(key=lambda f: f[0])
        return found[0][1], found[0][2]
    m = _HOLIDAYS.search(text)
    if m:
        name = m.group("h").replace("xmas", "christmas")
        if m.group("y"):
            return _holiday(name, int(m.group("y"))), m.span()
        day = _holiday(name, today.year)
        return (day if day >= today else _holiday(name, today.year + 1)), m.span()
    if re.search(rf"\b{MONTH_RE}\b|\b\d{{1,2}}/\d{{1,2}}\b", text):
        found_dp = _dateparser_date(text, today)
        if found_dp:
            return found_dp
    m = _FUZZY_DAYS.search(text)
    if m:
        return f"fuzzy:{m.group(0)}", m.span()
    return None


def _dateparser_date(text: str, today: date) -> tuple[date, tuple[int, int]] | None:
    """A calendar date the rules above missed, found by dateparser (e.g. "3/18", "may 2027")."""
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": datetime.combine(today, time(12)), "PREFER_DATES_FROM": "future",
                "REQUIRE_PARTS": ["day", "month"]}  # fmt: skip
    try:
        found = search_dates(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None
    for phrase, at in found or []:
        if re.search(rf"\b{MONTH_RE}\b|/", phrase):
            start = text.find(phrase)
            return at.date(), (start, start + len(phrase))
    return None


def _date(name: str, m: re.Match[str], today: date) -> date | str | None:
    if name == "tomorrow":
        return today + timedelta(days=1)
    if name == "after_tomorrow":
        return today + timedelta(days=2)
    if name == "today":
        return today
    if name == "yesterday":
        return "past"
    if name == "weekday":
        said = m.group("wd")
        wd = DAY_INDEX.get(said.rstrip("s").removesuffix("day")) or DAY_INDEX.get(said)
        if wd is None:
            wd = DAY_INDEX.get(m.group("wd")[:3])
        if wd is None:
            return None
        ahead = (wd - today.weekday()) % 7 or 7
        if m.group("d"):
            # "monday the 20th": the next such date that falls on that day of the week.
            d = int(m.group("d"))
            for k in range(0, 24):
                cand = _month_day(today, (today.month - 1 + k) % 12 + 1, d, year_ahead=k // 12)
                if cand and cand >= today and cand.weekday() == wd:
                    return cand
        return today + timedelta(days=ahead)
    if name == "month_day":
        mon = MONTH_INDEX[(m.group("mon") or m.group("mon2"))[:3]]
        d = int(m.group("d") or m.group("d2"))
        year = int(m.group("y")) if m.group("y") else None
        bad = f"bad:{MONTHS[mon - 1].title()} {d}{suffix(d)}"  # "February 30": no such day
        if year:
            try:
                return date(year, mon, d)
            except ValueError:
                return bad
        for k in range(0, 9):  # this year, or the next year that has the day (29 February)
            try:
                cand = date(today.year + k, mon, d)
            except ValueError:
                continue
            if cand >= today:
                return cand
        return bad
    if name in ("day_of_month", "bare_ordinal"):
        d = int(m.group("d"))
        for k in range(0, 13):
            cand = _month_day(
                today, (today.month - 1 + k) % 12 + 1, d, year_ahead=(today.month - 1 + k) // 12
            )
            if cand and cand >= today:
                return cand
    return None


def _month_day(today: date, month: int, day: int, year_ahead: int) -> date | None:
    try:
        return date(today.year + year_ahead, month, day)
    except ValueError:
        return None
