"""Spoken times → absolute times: "tomorrow at 9", "half past six", "every weekday at 8".

Works on normalised text (lower case, number words as digits; see intents.normalise). Clock
phrases and the combining of the parts are here; durations are in durations.py, calendar days in
dates.py (with dateparser for what its rules miss), recurrence in recurrence.py. Every result is
an aware datetime in the user's zone; recurring rules are kept in local wall time and stepped
with zoneinfo, so "every day at 8" stays at 8 across a DST change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from assistant.skills.dates import find_date
from assistant.skills.durations import as_timedelta, find_duration
from assistant.skills.numbers import suffix
from assistant.skills.recurrence import Rule, find_rule
from assistant.skills.wallclock import (
    DEFAULT_HOUR,
    MONTH_RE,
    MONTHS,
    PART_OF_DAY,
    WEEKDAY_WORDS,
    WEEKDAYS,
    clock_words,
    day_words,
    duration_words,
    elapsed,
    later,
    wall_time,
)

__all__ = [  # what the skills use from here (some defined in the modules above)
    "DEFAULT_HOUR", "MONTHS", "PART_OF_DAY", "WEEKDAY_WORDS", "WEEKDAYS", "Parsed", "Question",
    "Rule", "When", "as_timedelta", "clock_words", "day_words", "duration_words", "elapsed",
    "find_duration", "later", "parse", "suffix", "wall_time", "when_words",
]  # fmt: skip

MAX_AHEAD = timedelta(days=366 * 10)
# Clock-like phrases no clock shows: "25 o'clock", "13 pm", "6:75".
_NOT_A_TIME = re.compile(
    r"\b(?:at |for |by )?(?:(?:2[5-9]|[3-9]\d) ?o'? ?clock|(?:1[3-9]|2\d) ?[ap]\.? ?m\b\.?|"
    r"\d{1,2}:[6-9]\d)"
)
_MERIDIEM = (
    r"(?P<mer>a\.?\s?m\.?|p\.?\s?m\.?|in the morning|in the afternoon|in the evening|at night|"
    r"tonight|this morning|this afternoon|this evening)"
)


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
        r"weeks?|months?|years?|st|nd|rd|th|of|" + MONTH_RE + r")\b)\b"
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
            if mins == 0:
                return None  # "0 to 9" is no time of day
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
    found_rule = find_rule(work)
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
    if clock_found is None and _NOT_A_TIME.search(work):
        out.found = True
        out.problem = "That isn't a time of day."
        out.rest = _tidy(_NOT_A_TIME.sub(" ", work))
        return out
    if clock_found:
        work = _blank(work, clock_found[1])
    date_found = find_date(work, now.date())
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
        if what.startswith("bad:"):
            out.problem = f"There is no {what[4:]}."
            return out
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
