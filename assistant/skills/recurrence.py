"""Recurring wall-clock rules ("every weekday at 8") and finding them in a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.skills.durations import SECONDS
from assistant.skills.numbers import suffix
from assistant.skills.wallclock import (
    DAY_INDEX,
    DAY_RE,
    DEFAULT_HOUR,
    MONTHS,
    PART_OF_DAY,
    WEEKDAYS,
    clock_words,
    duration_words,
    elapsed,
    wall_time,
)


@dataclass(frozen=True)
class Rule:
    """A recurring wall-clock rule, evaluated in the zone it was made in.

    kind "weekly": on `days` (0 = Monday) at hour:minute; "monthly": on day `day`; "yearly": on
    month/day; "interval": every `seconds` (no wall clock).
    """

    kind: str
    days: tuple[int, ...] = ()
    month: int = 0
    day: int = 0
    hour: int = DEFAULT_HOUR
    minute: int = 0
    seconds: int = 0

    def encode(self) -> str:
        """The rule as a short string for the database."""
        days = ",".join(map(str, self.days))
        return (
            f"{self.kind};{days};{self.month};{self.day};{self.hour};{self.minute};{self.seconds}"
        )

    @staticmethod
    def decode(text: str) -> Rule:
        """The rule a string from encode() stands for."""
        kind, days, month, day, hour, minute, seconds = text.split(";")
        return Rule(kind, tuple(int(d) for d in days.split(",") if d), int(month), int(day),
                    int(hour), int(minute), int(seconds))  # fmt: skip

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first time strictly after `after` that the rule fires, as an aware local time."""
        if self.kind == "interval":
            return elapsed(after, timedelta(seconds=self.seconds))
        local = after.astimezone(zone)
        day = local.date()
        for _ in range(3 * 366 + 2):
            if self._matches(day):
                at = wall_time(day, time(self.hour, self.minute), zone)
                if at > after:
                    return at
            day += timedelta(days=1)
        raise ValueError(f"rule {self.encode()} never fires")

    def _matches(self, day: date) -> bool:
        if self.kind == "weekly":
            return day.weekday() in self.days
        if self.kind == "monthly":
            return day.day == self.day
        return (day.month, day.day) == (self.month, self.day)

    def describe(self) -> str:
        """The rule in words: "every weekday at 8 am"."""
        at = f"at {clock_words(self.hour, self.minute)}"
        if self.kind == "interval":
            return f"every {duration_words(timedelta(seconds=self.seconds))}"
        if self.kind == "monthly":
            return f"on the {self.day}{suffix(self.day)} of every month {at}"
        if self.kind == "yearly":
            return f"every year on {MONTHS[self.month - 1].title()} {self.day} {at}"
        days = set(self.days)
        if days == set(range(7)):
            return f"every day {at}"
        if days == set(range(5)):
            return f"every weekday {at}"
        if days == {5, 6}:
            return f"every weekend {at}"
        names = [WEEKDAYS[d].title() for d in sorted(days)]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"every {joined} {at}"


_RECUR = re.compile(
    r"\b(?:(?P<every>every|each) (?P<what>(?:(?:" + DAY_RE + r"|weekday|weekend)(?:,? (?:and )?|"
    r" ))*(?:" + DAY_RE + r"|weekday|weekend|day|morning|evening|night|afternoon|year|month)|"
    r"(?P<n>\d+ )?(?P<unit>minutes?|hours?|days?|weeks?))|"
    r"(?P<daily>daily|everyday|nightly|hourly|annually|yearly|monthly)|"
    r"(?:on )?(?P<plural>weekdays|weekends|(?:mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"saturdays|sundays)(?:,? (?:and )?(?:mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"saturdays|sundays))*))\b"
)


def find_rule(text: str) -> tuple[dict, tuple[int, int]] | None:
    """The first recurrence phrase in text ("every weekday", "daily") as a spec, and its span."""
    m = _RECUR.search(text)
    if not m:
        return None
    g = m.groupdict()
    spec: dict = {}
    if g.get("unit"):
        n = int((g.get("n") or "1").strip())
        unit = g["unit"][0]
        if unit in "dw":
            spec = (
                {"kind": "weekly", "days": tuple(range(7))}
                if n == 1 and unit == "d"
                else {"kind": "interval", "seconds": n * SECONDS[unit]}
            )
            if unit == "w" and n == 1:
                spec = {"kind": "weekly", "days": "same"}
        else:
            spec = {"kind": "interval", "seconds": n * SECONDS[unit]}
    elif g.get("daily"):
        word = g["daily"]
        spec = {
            "daily": {"kind": "weekly", "days": tuple(range(7))},
            "everyday": {"kind": "weekly", "days": tuple(range(7))},
            "nightly": {"kind": "weekly", "days": tuple(range(7)), "hour": 20},
            "hourly": {"kind": "interval", "seconds": 3600},
            "annually": {"kind": "yearly"},
            "yearly": {"kind": "yearly"},
            "monthly": {"kind": "monthly"},
        }[word]
    else:
        words = g.get("what") or g.get("plural") or ""
        days: set[int] = set()
        for w in re.findall(r"[a-z]+", words):
            if w.startswith("weekday"):
                days |= set(range(5))
            elif w.startswith("weekend"):
                days |= {5, 6}
            elif w in ("day", "morning", "evening", "night", "afternoon"):
                days |= set(range(7))
                if w != "day":
                    spec["hour"] = PART_OF_DAY[w]
            elif w == "year":
                spec["kind"] = "yearly"
            elif w == "month":
                spec["kind"] = "monthly"
            elif w not in ("and",):
                key = w.rstrip("s") if w.rstrip("s") in DAY_INDEX else w
                key = key if key in DAY_INDEX else key[:3]
                if key in DAY_INDEX:
                    days.add(DAY_INDEX[key])
        if "kind" not in spec:
            spec.update(kind="weekly", days=tuple(sorted(days)))
    return spec, m.span()
