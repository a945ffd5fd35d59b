"""Wall-clock time in a zone, and times said aloud: the shared vocabulary of the time parser."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from assistant.memory.recall import MONTHS  # one list of month names for the whole app

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_WORDS = "|".join(WEEKDAYS)
DAY_INDEX = {d: i for i, d in enumerate(WEEKDAYS)} | {d[:3]: i for i, d in enumerate(WEEKDAYS)}
DAY_INDEX |= {"tues": 1, "thur": 3, "thurs": 3, "weds": 2}
MONTH_INDEX = {m: i + 1 for i, m in enumerate(MONTHS)}
MONTH_INDEX |= {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
MONTH_INDEX["sept"] = 9
# Hours that a part of the day stands for when no clock time is said.
PART_OF_DAY = {"morning": 9, "noon": 12, "midday": 12, "afternoon": 15, "evening": 18,
               "tonight": 20, "night": 20}  # fmt: skip
DEFAULT_HOUR = 9  # a reminder for a day with no time of day rings at 9 am

DAY_RE = r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day)?s?|monday|tuesday|wednesday|thursday|friday|saturday|sunday"  # noqa: E501
MONTH_RE = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"  # noqa: E501


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
