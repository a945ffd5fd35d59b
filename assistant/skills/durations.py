"""Spoken durations: "3 hours and 10 minutes", "an hour and a half", "half an hour"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

_UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"
_COUNT = r"(?P<n>\d+(?:\.\d+)?|an?|one|a couple of|a few|couple of)"
_PART = re.compile(
    rf"\b(?:(?P<half>half an? (?P<hunit>hour|minute|day))|"
    rf"(?:an? )?(?P<q>quarter) (?:of an? )?(?P<qunit>hour)|"
    rf"{_COUNT} (?P<ahalf>and a half )?{_UNIT}(?P<andhalf> and a half)?)\b"
)
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _count(word: str) -> float:
    if word in ("a", "an", "one"):
        return 1
    if word in ("a couple of", "couple of"):
        return 2
    if word == "a few":
        return 3
    return float(word)


def find_duration(text: str) -> tuple[timedelta | relativedelta, tuple[int, int]] | None:
    """The first spoken duration in text ("3 hours and 10 minutes") and its span, or None."""
    total = timedelta()
    months = 0
    span: tuple[int, int] | None = None
    pos = 0
    last_size = 0.0  # seconds in the unit of the part before
    while True:
        m = _PART.search(text, pos)
        if not m:
            break
        size = _unit_seconds(m)
        if span is not None:
            between = text[span[1] : m.start()].strip(" ,")
            # "3 hours and 10 minutes"; speech-to-text often hears "3 hours in 10 minutes",
            # which only ever means that when the units get smaller.
            if not (between in ("", "and") or (between == "in" and size < last_size)):
                break
        last_size = size
        if m.group("half"):
            unit = m.group("hunit")[0]
            total += timedelta(seconds=SECONDS[unit] / 2)
        elif m.group("q"):
            total += timedelta(minutes=15)
        else:
            n = _count(m.group("n"))
            if m.group("ahalf") or m.group("andhalf"):
                n += 0.5
            unit = m.group("unit")
            if unit.startswith("mo"):
                months += round(n)
            elif unit.startswith("y"):
                months += round(n * 12)
            else:
                total += timedelta(seconds=n * SECONDS[unit[0]])
        span = (span[0] if span else m.start(), m.end())
        pos = m.end()
    if span is None:
        return None
    if months:
        days = total.days
        return relativedelta(months=months, days=days, seconds=total.seconds), span
    return total, span


def _unit_seconds(m: re.Match[str]) -> float:
    unit = m.group("hunit") or m.group("qunit") or m.group("unit") or "s"
    if unit.startswith("mo"):
        return 30 * 86400
    if unit.startswith("y"):
        return 365 * 86400
    return SECONDS[unit[0]]


def as_timedelta(d: timedelta | relativedelta, now: datetime) -> timedelta:
    """A duration (which may count months) as a plain span of time from now."""
    if isinstance(d, timedelta):
        return d
    return (now + d) - now
