"""Spoken times → absolute times: "tomorrow at 9", "half past six", "every weekday at 8".

Works on normalised text (lower case, number words as digits; see intents.normalise). Clock
phrases, relative times and recurrence are parsed here; calendar dates the rules below do not cover
("the fourth of july", "december 4 1982") fall back to dateparser. Every result is an aware
datetime in the user's zone; recurring rules are kept in local wall time and stepped with zoneinfo,
so "every day at 8" stays at 8 across a DST change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_WORDS = "|".join(WEEKDAYS)
_DAY = {d: i for i, d in enumerate(WEEKDAYS)} | {d[:3]: i for i, d in enumerate(WEEKDAYS)}
_DAY |= {"tues": 1, "thur": 3, "thurs": 3, "weds": 2}
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
_MONTH = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
_MONTH["sept"] = 9
# Hours that a part of the day stands for when no clock time is said.
PART_OF_DAY = {"morning": 9, "noon": 12, "midday": 12, "afternoon": 15, "evening": 18,
               "tonight": 20, "night": 20}  # fmt: skip
DEFAULT_HOUR = 9  # a reminder for a day with no time of day rings at 9 am
MAX_AHEAD = timedelta(days=366 * 10)

_DAY_RE = r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day)?s?|monday|tuesday|wednesday|thursday|friday|saturday|sunday"  # noqa: E501
_MONTH_RE = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"  # noqa: E501
_ORD = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_MERIDIEM = (
    r"(?P<mer>a\.?\s?m\.?|p\.?\s?m\.?|in the morning|in the afternoon|in the evening|at night|"
    r"tonight|this morning|this afternoon|this evening)"
)
_UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"
_COUNT = r"(?P<n>\d+(?:\.\d+)?|an?|one|a couple of|a few|couple of)"
_PART = re.compile(
    rf"\b(?:(?P<half>half an? (?P<hunit>hour|minute|day))|"
    rf"(?:an? )?(?P<q>quarter) (?:of an? )?(?P<qunit>hour)|"
    rf"{_COUNT} (?P<ahalf>and a half )?{_UNIT}(?P<andhalf> and a half)?)\b"
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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
            return f"on the {self.day}{_suffix(self.day)} of every month {at}"
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


@dataclass(frozen=True)
class When:
    """A resolved time: when it first fires, whether a clock time was said, and any rule."""

    at: datetime
    rule: Rule | None = None
    has_time: bool = True
    assumed: str = ""  # what was chosen for an ambiguous time, said back to the user


@dataclass(frozen=True)
class Question:
    """A short clarifying question and the answers that settle it."""

    text: str
    options: dict[str, When] = field(default_factory=dict)


@dataclass
class Parsed:
    """What a sentence says about time: a When, a Question, or a problem; and the words left."""

    when: When | None = None
    question: Question | None = None
    problem: str = ""
    rest: str = ""
    found: bool = False  # some time expression was present
    query: bool = False  # asking about a time (past allowed), not setting one
    day: date | None = None  # the calendar day that was said, even when a question follows


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def wall_time(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """day at clock in zone; a time skipped by a DST change moves forward by the gap."""
    naive = datetime.combine(day, clock)
    at = naive.replace(tzinfo=zone)
    # A nonexistent local time does not survive a round trip through UTC; the trip lands it
    # after the gap (02:30 on a spring-forward night → 03:30), which is what a person expects.
    return at.astimezone(ZoneInfo("UTC")).astimezone(zone)


def elapsed(start: datetime, span: timedelta) -> datetime:
    """start plus a span of real time, in start's zone (Python's aware + timedelta adds wall
    time, which is an hour off across a DST change)."""
    utc = ZoneInfo("UTC")
    return (start.astimezone(utc) + span).astimezone(start.tzinfo)


def later(now: datetime, span: timedelta | relativedelta) -> datetime:
    """now plus a spoken span: hours and minutes are real time; whole days, weeks and months
    keep the wall-clock time ("in 2 days" is the same time of day)."""
    if isinstance(span, timedelta) and span.days == 0:
        return elapsed(now, span)
    wall = now.replace(tzinfo=None) + span
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    return wall_time(wall.date(), wall.time(), zone)


def clock_words(hour: int, minute: int) -> str:
    """A time as said aloud: 18:30 → "6:30 pm", 12:00 → "noon", 0:00 → "midnight"."""
    if (hour, minute) == (12, 0):
        return "noon"
    if (hour, minute) == (0, 0):
        return "midnight"
    h = hour % 12 or 12
    mer = "am" if hour < 12 else "pm"
    return f"{h} {mer}" if minute == 0 else f"{h}:{minute:02d} {mer}"


def duration_words(d: timedelta) -> str:
    """A duration as said aloud: 3h10m → "3 hours and 10 minutes"."""
    total = round(d.total_seconds())
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n} {name}{'s' if n != 1 else ''}")
    if not parts:
        return "0 seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def day_words(at: datetime, now: datetime) -> str:
    """A day relative to now: "today", "tomorrow", "on Friday", "on Friday, March 20"."""
    days = (at.date() - now.date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if 1 < days < 7:
        return f"on {at:%A}"
    return f"on {at:%A}, {at:%B} {at.day}" + (f", {at.year}" if at.year != now.year else "")


def when_words(when: When, now: datetime) -> str:
    """A When said aloud: "tomorrow at 9 am", "every weekday at 8 am", "on Friday"."""
    if when.rule:
        return when.rule.describe()
    at = when.at
    if not when.has_time:
        return day_words(at, now)
    if at - now < timedelta(hours=1) and at.date() == now.date():
        secs = max(1, round((at - now).total_seconds()))
        return f"in {duration_words(timedelta(seconds=secs))}"
    return f"{day_words(at, now)} at {clock_words(at.hour, at.minute)}"


# -- durations ---------------------------------------------------------------------------------


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
    while True:
        m = _PART.search(text, pos)
        if not m:
            break
        if span is not None:
            between = text[span[1] : m.start()]
            if between.strip(" ,") not in ("", "and"):
                break
        if m.group("half"):
            unit = m.group("hunit")[0]
            total += timedelta(seconds=_SECONDS[unit] / 2)
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
                total += timedelta(seconds=n * _SECONDS[unit[0]])
        span = (span[0] if span else m.start(), m.end())
        pos = m.end()
    if span is None:
        return None
    if months:
        days = total.days
        return relativedelta(months=months, days=days, seconds=total.seconds), span
    return total, span


def as_timedelta(d: timedelta | relativedelta, now: datetime) -> timedelta:
    """A duration (which may count months) as a plain span of time from now."""
    if isinstance(d, timedelta):
        return d
    return (now + d) - now


# -- clock times -------------------------------------------------------------------------------

_CLOCK_PATTERNS = [
    # "from 4 to 6", "between 2 and 4 pm": a range is measured by its start
    re.compile(
        r"\b(?:from|between) (?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?: ?" + _MERIDIEM + r")? "
        r"(?:to|till|until|and|-) \d{1,2}(?:[:.]\d{2})?(?: ?(?P<mer2>a\.?\s?m\.?|p\.?\s?m\.?))?\b"
    ),
    # "half past 6", "a quarter to 9", "20 past 3", "10 minutes to 5"
    re.compile(
        r"\b(?:(?P<half>half)|(?:a )?(?P<quarter>quarter)|(?P<mins>\d{1,2})(?: minutes?)?) "
        r"(?P<rel>past|after|to|till|before) (?P<h>\d{1,2})(?: o'? ?clock)?(?: "
        + _MERIDIEM
        + r")?\b"
    ),
    # "6:30 pm", "6.30", "18:45"
    re.compile(r"\b(?P<h>\d{1,2})[:.](?P<m>\d{2})(?: ?" + _MERIDIEM + r")?\b"),
    # "530 am", "1230 pm" (spoken "five hundred and thirty am")
    re.compile(r"\b(?P<hm>\d{3,4}) ?" + _MERIDIEM + r"\b"),
    # "6 30 pm", "6 oh 5", "at 6 30"
    re.compile(
        r"\b(?:(?P<at>at|for|by|until|till) )?(?P<h>\d{1,2}) (?:oh |o )?(?P<m>[0-5]\d|[1-9](?= ?"
        r"(?:a\.?m|p\.?m)))(?: ?" + _MERIDIEM + r")?(?! ?(?:minutes?|mins?|hours?|seconds?|days?|"
        r"weeks?|months?|years?|st|nd|rd|th|of|" + _MONTH_RE + r")\b)\b"
    ),
    # "6 pm", "6 o'clock", "6 in the evening"
    re.compile(r"\b(?P<h>\d{1,2})(?: ?o'? ?clock)?(?: ?" + _MERIDIEM + r")\b"),
    re.compile(r"\b(?P<h>\d{1,2}) ?o'? ?clock\b"),
    # "at 6", "for 6" (alarms), "by 6"
    re.compile(
        r"\b(?P<at>at|for|by|until|till|around|from) (?P<h>\d{1,2})"
        r"(?! ?(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?|months?|years?|st|nd|"
        r"rd|th|people|of|items?|things?|%|"
        r"percent|degrees?)\b)(?![\d:.])"
    ),
    re.compile(r"\b(?P<word>noon|midday|midnight)\b"),
]


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    meridiem: str  # "am", "pm" or "" (not said)


def _meridiem(text: str | None) -> str:
    if not text:
        return ""
    t = text.replace(".", "").replace(" ", "")
    if t in ("am", "inthemorning", "thismorning"):
        return "am"
    return "pm"


def find_clock(text: str) -> tuple[_Clock, tuple[int, int]] | None:
    """The first clock time in text and its span, or None."""
    best: tuple[_Clock, tuple[int, int]] | None = None
    for pattern in _CLOCK_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        clock = _clock(m)
        if clock is None:
            continue
        if best is None or m.start() < best[1][0]:
            best = clock, m.span()
        break  # patterns are in order of specificity: the first that matches wins
    return best


def _clock(m: re.Match[str]) -> _Clock | None:
    g = m.groupdict()
    mer = _meridiem(g.get("mer") or g.get("mer2"))
    if g.get("word"):
        return _Clock(12, 0, "pm") if g["word"] in ("noon", "midday") else _Clock(0, 0, "am")
    if g.get("hm"):
        hm = int(g["hm"])
        h, mi = divmod(hm, 100)
        if h > 23 or mi > 59:
            return None
        return _Clock(h, mi, mer if h <= 12 else "")
    h = int(g["h"])
    if g.get("rel"):
        mins = 30 if g.get("half") else 15 if g.get("quarter") else int(g["mins"])
        if mins >= 60 or not 0 <= h <= 24:
            return None
        if g["rel"] in ("to", "till", "before"):
            h, mins = (h - 1) % 24 if h else 23, 60 - mins
            if h == 0 and mer == "" and int(g["h"]) == 1:
                h = 0
        return _Clock(h % 24, mins, mer if h <= 12 else "")
    mi = int(g.get("m") or 0)
    if h > 24 or mi > 59:
        return None
    if h in (0, 24) or h > 12:
        return _Clock(h % 24, mi, "")
    return _Clock(h, mi, mer)


# -- dates -------------------------------------------------------------------------------------

_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("after_tomorrow", re.compile(r"\b(?:the )?day after tomorrow\b")),
    ("tomorrow", re.compile(r"\b(?:tomorrow|tomorrows|tomorrow's|tmrw|tomorow)\b")),
    ("today", re.compile(r"\b(?:today|todays|today's)\b")),
    ("yesterday", re.compile(r"\b(?:yesterday|last night)\b")),
    (
        "month_day",
        re.compile(
            rf"\b(?:on )?(?:the )?(?:{_ORD} (?:of )?(?P<mon>{_MONTH_RE})|(?P<mon2>{_MONTH_RE}) "
            rf"(?:the )?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?:,? (?P<y>(?:19|20)\d\d))?\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<which>this|next|coming|this coming|on|on next|on this) )?(?P<wd>{_DAY_RE})"
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


def _find_date(text: str, today: date) -> tuple[date | str, tuple[int, int]] | None:
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
    if re.search(rf"\b{_MONTH_RE}\b|\b\d{{1,2}}/\d{{1,2}}\b", text):
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
        if re.search(rf"\b{_MONTH_RE}\b|/", phrase):
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
        wd = _DAY.get(m.group("wd").rstrip("s").removesuffix("day")) or _DAY.get(m.group("wd"))
        if wd is None:
            wd = _DAY.get(m.group("wd")[:3])
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
        mon = _MONTH[(m.group("mon") or m.group("mon2"))[:3]]
        d = int(m.group("d") or m.group("d2"))
        year = int(m.group("y")) if m.group("y") else None
        if year:
            try:
                return date(year, mon, d)
            except ValueError:
                return None
        for k in range(0, 9):  # this year, or the next year that has the day (29 February)
            try:
                cand = date(today.year + k, mon, d)
            except ValueError:
                continue
            if cand >= today:
                return cand
        return None
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


# -- recurrence --------------------------------------------------------------------------------

_RECUR = re.compile(
    r"\b(?:(?P<every>every|each) (?P<what>(?:(?:" + _DAY_RE + r"|weekday|weekend)(?:,? (?:and )?|"
    r" ))*(?:" + _DAY_RE + r"|weekday|weekend|day|morning|evening|night|afternoon|year|month)|"
    r"(?P<n>\d+ )?(?P<unit>minutes?|hours?|days?|weeks?))|"
    r"(?P<daily>daily|everyday|nightly|hourly|annually|yearly|monthly)|"
    r"(?:on )?(?P<plural>weekdays|weekends|(?:mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"saturdays|sundays)(?:,? (?:and )?(?:mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"saturdays|sundays))*))\b"
)


def _find_rule(text: str) -> tuple[dict, tuple[int, int]] | None:
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
                else {"kind": "interval", "seconds": n * _SECONDS[unit]}
            )
            if unit == "w" and n == 1:
                spec = {"kind": "weekly", "days": "same"}
        else:
            spec = {"kind": "interval", "seconds": n * _SECONDS[unit]}
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
                key = w.rstrip("s") if w.rstrip("s") in _DAY else w
                key = key if key in _DAY else key[:3]
                if key in _DAY:
                    days.add(_DAY[key])
        if "kind" not in spec:
            spec.update(kind="weekly", days=tuple(sorted(days)))
    return spec, m.span()


# -- putting it together -----------------------------------------------------------------------

_CONNECTORS = {"at", "on", "in", "for", "by", "from", "the", "this", "of", "to", "and", "after"}


def _blank(text: str, span: tuple[int, int]) -> str:
    """text with the span (and a preposition just before it: "at", "on"…) blanked out."""
    start = span[0]
    m = re.search(r"\b(?:at|on|by|for|around|from|this|the)\s+$", text[:start])
    if m:
        start = m.start()
    return text[:start] + " " * (span[1] - start) + text[span[1] :]


def _tidy(text: str) -> str:
    words = text.split()
    while words and words[-1] in _CONNECTORS:
        words.pop()
    while words and words[0] in _CONNECTORS - {"the", "to"}:
        words.pop(0)
    return " ".join(words)


def _part_of_day(text: str) -> tuple[str, tuple[int, int]] | None:
    m = re.search(
        r"\b(?:(?:in|on|at|during) )?(?:the |this |tomorrow |today )?(?P<p>morning|noon|midday|"
        r"afternoon|evening|tonight|night)s?\b",
        text,
    )
    return (m.group("p"), m.span()) if m else None


def _context_meridiem(text: str) -> str:
    if re.search(r"\b(?:wake|get up|up|breakfast|morning|alarm)\b", text):
        return "am"
    if re.search(r"\b(?:dinner|supper|evening|night|tonight|bed|party|drinks)\b", text):
        return "pm"
    return ""


def parse(text: str, now: datetime, purpose: str = "reminder") -> Parsed:
    """Find the time a normalised sentence speaks of, relative to now (aware, user's zone).

    purpose "reminder" resolves a bare clock time to the next one; every past time is a problem,
    not a guess. purpose "query" (what day was…, what is on…) accepts past times. The words that
    are not part of the time are returned in `rest`.
    """
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo), "now must carry a ZoneInfo"
    out = Parsed(query=purpose == "query")
    work = f" {text} "
    rule_spec: dict | None = None
    rel: timedelta | relativedelta | None = None
    found_rule = _find_rule(work)
    if found_rule:
        rule_spec, span = found_rule
        work = _blank(work, span)
    m = re.search(r"\b(?P<pre>in|after|within) (?P<body>.+)", work)
    rel_span = None
    if m:
        d = find_duration(m.group("body"))
        if d and m.start("body") + d[1][0] == m.start("body"):
            rel = d[0]
            rel_span = (m.start(), m.start("body") + d[1][1])
    if rel is None:
        m = re.search(r"\b(?P<body>.+?) (?P<dir>from now|later|ago|back)\b", work)
        if m:
            d = find_duration(m.group("body"))
            if d:
                rel = d[0] if m.group("dir") not in ("ago", "back") else -d[0]
                rel_span = (m.start("body") + d[1][0], m.end())
    if rel_span:
        work = _blank(work, rel_span)
    clock_found = find_clock(work)
    if clock_found:
        work = _blank(work, clock_found[1])
    date_found = _find_date(work, now.date())
    if date_found:
        work = _blank(work, date_found[1])
        if clock_found and isinstance(date_found[0], str) and date_found[0].startswith("fuzzy"):
            date_found = None  # "at 5 am this week": the clock time says enough
        if isinstance(date_found and date_found[0], date):
            out.day = date_found[0]  # type: ignore[index]
    part = _part_of_day(work)
    if part:
        work = _blank(work, part[1])
    out.rest = _tidy(work)
    out.found = any(x is not None for x in (rule_spec, rel, clock_found, date_found, part))
    if not out.found:
        return out
    clock = clock_found[0] if clock_found else None
    part_name = part[0] if part else None
    if clock is None and date_found is None and part_name in ("noon", "midday"):
        clock, part_name = _Clock(12, 0, "pm"), None
    if rule_spec is not None:
        return _with_rule(out, rule_spec, clock, part_name, date_found, now, text)
    if rel is not None:
        at = later(now, rel)
        if clock and as_timedelta(rel, now) >= timedelta(days=1):
            # "in 2 days at 9": the day from the delay, the time from the clock. With a shorter
            # delay the clock time belongs to something else ("in 2 hours, before my 4 pm class").
            return _at_clock(out, at.date(), clock, part_name, now, text, explicit_day=True)
        out.when = When(at, has_time=as_timedelta(rel, now) < timedelta(days=1) or bool(clock))
        return _checked(out, now)
    if date_found is not None and isinstance(date_found[0], str):
        what = date_found[0]
        if what == "past" and out.query:
            out.when = When(wall_time(now.date() - timedelta(days=1), time(DEFAULT_HOUR), zone),
                            has_time=False)  # fmt: skip
            return out
        if what == "past":
            out.problem = "That day has already passed."
            return out
        out.question = Question(f"Which day {what.removeprefix('fuzzy:')}?")
        return out
    day = date_found[0] if date_found else None
    if clock is not None:
        return _at_clock(out, day, clock, part_name, now, text, explicit_day=day is not None)
    if part_name is not None:
        hour = PART_OF_DAY[part_name]
        d = day or now.date()
        at = wall_time(d, time(hour), zone)
        if day is None and at <= now:
            at = wall_time(d + timedelta(days=1), time(hour), zone)
        out.when = When(at, assumed=clock_words(hour, 0))
        return _checked(out, now)
    assert isinstance(day, date)
    if day == now.date() and not out.query:
        out.question = Question("At what time today?")
        return out
    out.when = When(wall_time(day, time(DEFAULT_HOUR), zone), has_time=False)
    return _checked(out, now)


def _checked(out: Parsed, now: datetime) -> Parsed:
    if out.when is not None:
        if out.when.at <= now - timedelta(seconds=1) and not out.query:
            out.problem = "That time has already passed."
            out.when = None
        elif out.when.at - now > MAX_AHEAD:
            out.problem = "That's more than ten years away; I can't keep a reminder that long."
            out.when = None
    return out


def _hour24(clock: _Clock, meridiem: str) -> int:
    h = clock.hour % 12
    return h + 12 if meridiem == "pm" else h


def _at_clock(
    out: Parsed,
    day: date | None,
    clock: _Clock,
    part: str | None,
    now: datetime,
    text: str,
    explicit_day: bool,
) -> Parsed:
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    mer = clock.meridiem
    if not mer and part:
        mer = "am" if part == "morning" else "pm"
    if clock.hour > 12 or clock.hour == 0:
        mer = "24"
    if mer:
        hour = clock.hour if mer == "24" else _hour24(clock, mer)
        t = time(hour, clock.minute)
        d = day or now.date()
        at = wall_time(d, t, zone)
        if day is None and at <= now:
            at = wall_time(d + timedelta(days=1), t, zone)
        if explicit_day and at <= now and day == now.date():
            tomorrow = wall_time(d + timedelta(days=1), t, zone)
            out.question = Question(
                f"{clock_words(hour, clock.minute)} today has already passed. Do you mean "
                "tomorrow?",
                {"yes": When(tomorrow), "tomorrow": When(tomorrow)},
            )
            return out
        out.when = When(at)
        return _checked(out, now)
    # A bare hour from 1 to 12: morning or evening?
    d = day or now.date()
    am = wall_time(d, time(_hour24(clock, "am"), clock.minute), zone)
    pm = wall_time(d, time(_hour24(clock, "pm"), clock.minute), zone)
    if day is None or day == now.date():
        options = [x for x in (am, pm) if x > now]
        if day is None:
            options.append(wall_time(d + timedelta(days=1), am.timetz().replace(tzinfo=None), zone))
        if not options:
            out.problem = "That time has already passed today."
            return out
        at = options[0]
        out.when = When(at, assumed=f"{clock_words(at.hour, at.minute)}"
                        + (" tomorrow" if at.date() != now.date() else ""))  # fmt: skip
        return _checked(out, now)
    guess = _context_meridiem(text)
    if guess:
        out.when = When(am if guess == "am" else pm)
        return _checked(out, now)
    if clock.hour != 6:
        # Another day and no am/pm: 7-11 is most likely the morning, 12-5 the afternoon; say so.
        at = am if 7 <= clock.hour <= 11 else pm
        out.when = When(at, assumed=clock_words(at.hour, at.minute))
        return _checked(out, now)
    said = clock_words(clock.hour % 12 or 12, clock.minute).replace(" am", "")
    out.question = Question(
        f"{said} in the morning or in the evening?",
        {
            "morning": When(am),
            "am": When(am),
            "evening": When(pm),
            "pm": When(pm),
            "night": When(pm),
            "afternoon": When(pm),
        },  # fmt: skip
    )
    return out


def _with_rule(
    out: Parsed,
    spec: dict,
    clock: _Clock | None,
    part: str | None,
    date_found: tuple | None,
    now: datetime,
    text: str,
) -> Parsed:
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    kind = spec["kind"]
    if kind == "interval":
        rule = Rule("interval", seconds=int(spec["seconds"]))
        out.when = When(elapsed(now, timedelta(seconds=rule.seconds)), rule=rule)
        return out
    hour, minute = spec.get("hour", DEFAULT_HOUR), 0
    assumed = ""
    if clock is not None:
        mer = clock.meridiem or ("am" if part == "morning" else "pm" if part else "")
        if clock.hour > 12 or clock.hour == 0:
            hour = clock.hour
        elif mer:
            hour = _hour24(clock, mer)
        elif "hour" in spec:
            hour = _hour24(clock, "am" if spec["hour"] < 12 else "pm")
        else:
            mer = _context_meridiem(text) or ("am" if 7 <= clock.hour <= 11 else "pm")
            hour = _hour24(clock, mer)
            assumed = clock_words(hour, clock.minute)
        minute = clock.minute
    elif part is not None:
        hour = PART_OF_DAY[part]
    day = date_found[0] if date_found and isinstance(date_found[0], date) else now.date()
    days = spec.get("days", ())
    if days == "same" or (kind == "weekly" and not days):
        days = (day.weekday(),)
    rule = Rule(kind, tuple(days), month=day.month, day=day.day, hour=hour, minute=minute)
    start = now if day <= now.date() else wall_time(day, time(0), zone)
    first = rule.next_after(start - timedelta(seconds=0), zone)
    out.when = When(first, rule=rule, assumed=assumed)
    return out
