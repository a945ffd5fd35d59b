"""Spoken numbers, durations and times → absolute times, with "now" and the zone pinned."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.skills import times
from assistant.skills.intents import normalise
from assistant.skills.numbers import words_to_digits

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 11, 10, 30, tzinfo=NY)  # a Wednesday


def parse(text: str, now: datetime = NOW, purpose: str = "reminder") -> times.Parsed:
    return times.parse(normalise(text), now, purpose)


def at(text: str, now: datetime = NOW) -> str:
    p = parse(text, now)
    assert p.when is not None, (text, p)
    return p.when.at.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("three hours and twenty five minutes", "3 hours and 25 minutes"),
        ("one thousand two hundred and thirty", "1230"),
        ("six thirty am", "6 30 am"),
        ("the twenty second of june", "the 22nd of june"),
        ("wait a second", "wait a second"),
        ("the second of march", "the 2nd of march"),
        ("one hundred and five", "105"),
        ("ninety nine", "99"),
        ("a quarter to two", "a quarter to 2"),
    ],
)
def test_words_to_digits(spoken, digits):
    assert words_to_digits(spoken) == digits


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = [
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
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _say(n: int) -> str:
    """An independent speller for 0-9999, to check the reader against."""
    parts = []
    if n >= 1000:
        parts += [_say(n // 1000), "thousand"]
        n %= 1000
        if n:
            parts.append("and" if n < 100 else "")
    if n >= 100:
        parts += [_ONES[n // 100], "hundred"]
        n %= 100
        if n:
            parts.append("and")
    if n >= 20:
        parts.append(_TENS[n // 10])
        if n % 10:
            parts.append(_ONES[n % 10])
    elif n >= 10:
        parts.append(_TEENS[n - 10])
    elif n or not parts:
        parts.append(_ONES[n])
    return " ".join(p for p in parts if p)


@given(st.integers(min_value=0, max_value=9999))
def test_every_spoken_number_reads_back(n):
    assert words_to_digits(_say(n)) == str(n)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3 hours and 10 minutes", 3 * 3600 + 600),
        ("an hour and a half", 5400),
        ("half an hour", 1800),
        ("90 seconds", 90),
        ("2 and a half hours", 9000),
        ("a quarter of an hour", 900),
        ("10 mins", 600),
        ("1 hour 20 minutes and 5 seconds", 4805),
    ],
)
def test_durations(text, seconds):
    found = times.find_duration(text)
    assert found is not None
    assert times.as_timedelta(found[0], NOW).total_seconds() == seconds


@settings(max_examples=200)
@given(
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_spoken_durations_add_up(h, m, s):
    parts = [f"{_say(n)} {unit}{'s' if n != 1 else ''}" for n, unit in
             ((h, "hour"), (m, "minute"), (s, "second")) if n]  # fmt: skip
    if not parts:
        return
    text = " and ".join(parts)
    found = times.find_duration(normalise(f"set a timer for {text}"))
    assert found is not None
    assert times.as_timedelta(found[0], NOW).total_seconds() == h * 3600 + m * 60 + s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind me tomorrow at 9 am to call mom", "2026-03-12 09:00"),
        ("in twenty minutes check the oven", "2026-03-11 10:50"),
        ("next friday evening", "2026-03-13 18:00"),
        ("at half past six", "2026-03-11 18:30"),  # the next half past six
        ("at quarter to nine in the morning", "2026-03-12 08:45"),
        ("at twenty past three pm", "2026-03-11 15:20"),
        ("at 6:45 am", "2026-03-12 06:45"),
        ("at noon", "2026-03-11 12:00"),
        ("at midnight", "2026-03-12 00:00"),
        ("on june third", "2026-06-03 09:00"),
        ("on the fourth of july at 8 pm", "2026-07-04 20:00"),
        ("on march 2nd", "2027-03-02 09:00"),  # this year's has passed
        ("the day after tomorrow at 7 am", "2026-03-13 07:00"),
        ("in an hour and a half", "2026-03-11 12:00"),
        ("in 2 days at 9 am", "2026-03-13 09:00"),
        ("three hours from now", "2026-03-11 13:30"),
        ("this afternoon", "2026-03-11 15:00"),
        ("tonight", "2026-03-11 20:00"),
        ("on christmas", "2026-12-25 09:00"),
        ("at 530 am", "2026-03-12 05:30"),
        ("from 4 to 6 pm tomorrow", "2026-03-12 16:00"),
    ],
)
def test_times(text, expected):
    assert at(text) == expected


def test_a_bare_hour_today_is_the_next_one_and_says_so():
    p = parse("remind me at 6 to cook")
    assert p.when and p.when.at.hour == 18 and "6 pm" in p.when.assumed
    early = datetime(2026, 3, 11, 4, 0, tzinfo=NY)
    p = parse("remind me at 6 to cook", early)
    assert p.when and p.when.at.hour == 6 and p.when.at.date() == early.date()
    late = datetime(2026, 3, 11, 19, 0, tzinfo=NY)
    p = parse("remind me at 6 to cook", late)
    assert p.when and (p.when.at.hour, p.when.at.day) == (6, 12)  # tomorrow morning


def test_truly_ambiguous_asks_and_the_answer_settles_it():
    p = parse("remind me tomorrow at 6 to run")
    assert p.when is None and p.question is not None
    assert "morning or in the evening" in p.question.text
    assert p.question.options["evening"].at == datetime(2026, 3, 12, 18, 0, tzinfo=NY)
    assert p.question.options["morning"].at == datetime(2026, 3, 12, 6, 0, tzinfo=NY)


def test_context_settles_am_pm():
    assert at("wake me up tomorrow at 6") == "2026-03-12 06:00"
    assert at("remind me about dinner tomorrow at 6") == "2026-03-12 18:00"


@pytest.mark.parametrize(
    "text", ["remind me yesterday to call", "remind me last night", "remind me in 900 years"]
)
def test_past_and_absurd_times_are_problems_not_guesses(text):
    p = parse(text)
    assert p.when is None and p.problem


def test_a_passed_time_today_asks_about_tomorrow():
    p = parse("remind me today at 6 am to stretch")
    assert p.when is None and p.question and "tomorrow" in p.question.text
    assert p.question.options["yes"].at == datetime(2026, 3, 12, 6, 0, tzinfo=NY)


def test_queries_accept_the_past():
    p = parse("what day was december 4 1982", purpose="query")
    assert p.when and p.when.at.date() == date(1982, 12, 4)


def test_the_words_left_are_what_to_do():
    assert parse("remind me to call my mom tomorrow at 9 am").rest == "remind me to call my mom"
    assert parse("in 20 minutes check the oven").rest == "check the oven"


@pytest.mark.parametrize(
    ("text", "days", "hour"),
    [
        ("every weekday at 8", (0, 1, 2, 3, 4), 8),
        ("every day at noon", tuple(range(7)), 12),
        ("every tuesday thursday and saturday at 7 pm", (1, 3, 5), 19),
        ("on weekends at 10 am", (5, 6), 10),
        ("every monday", (0,), 9),
        ("every morning", tuple(range(7)), 9),
    ],
)
def test_recurring_rules(text, days, hour):
    p = parse(text)
    assert p.when and p.when.rule
    assert p.when.rule.days == days and p.when.rule.hour == hour
    assert p.when.at > NOW and p.when.at.weekday() in days and p.when.at.hour == hour


def test_rule_round_trips_through_its_encoding():
    rule = times.Rule("weekly", (0, 2, 4), hour=7, minute=30)
    assert times.Rule.decode(rule.encode()) == rule


def test_every_weekday_stays_at_8_local_across_dst():
    # US clocks go forward on Sunday 2026-03-08 and back on Sunday 2026-11-01.
    rule = times.Rule("weekly", (0, 1, 2, 3, 4), hour=8)
    friday = datetime(2026, 3, 6, 8, 0, tzinfo=NY)
    monday = rule.next_after(friday, NY)
    assert (monday.month, monday.day, monday.hour, monday.minute) == (3, 9, 8, 0)
    # Real time between them is an hour short of three days (same-zone subtraction in Python
    # ignores the offsets, so compare in UTC).
    utc = ZoneInfo("UTC")
    assert monday.astimezone(utc) - friday.astimezone(utc) == timedelta(days=3, hours=-1)
    before_back = datetime(2026, 10, 30, 8, 0, tzinfo=NY)
    after_back = rule.next_after(before_back, NY)
    assert (after_back.day, after_back.hour) == (2, 8)
    assert after_back.astimezone(utc) - before_back.astimezone(utc) == timedelta(days=3, hours=1)


def test_a_time_in_the_spring_forward_gap_moves_forward():
    # 02:30 does not exist in New York on 2026-03-08: it becomes 03:30 EDT.
    at_ = times.wall_time(date(2026, 3, 8), datetime(2000, 1, 1, 2, 30).time(), NY)
    assert (at_.hour, at_.minute) == (3, 30) and at_.utcoffset() == timedelta(hours=-4)


def test_tomorrow_at_9_across_the_dst_night_is_9_local():
    saturday = datetime(2026, 3, 7, 22, 0, tzinfo=NY)
    p = parse("remind me tomorrow at 9 am", saturday)
    assert p.when and p.when.at.hour == 9 and p.when.at.utcoffset() == timedelta(hours=-4)
    # 11 hours of wall clock but only 10 of real time: the night lost an hour.
    assert p.when.at.timestamp() - saturday.timestamp() == 10 * 3600


def test_same_wall_time_in_other_zones():
    london = datetime(2026, 3, 11, 10, 30, tzinfo=ZoneInfo("Europe/London"))
    p = parse("remind me tomorrow at 9 am", london)
    assert p.when and p.when.at.utcoffset() == timedelta(0) and p.when.at.hour == 9
    tokyo = datetime(2026, 3, 11, 10, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    p = parse("remind me tomorrow at 9 am", tokyo)
    assert p.when and p.when.at.utcoffset() == timedelta(hours=9)


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=59),
    st.sampled_from(["am", "pm"]),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC"]),
)
def test_a_clock_time_is_always_the_next_one_in_the_future(naive, hour, minute, mer, zone):
    z = ZoneInfo(zone)
    now = times.wall_time(naive.date(), naive.time(), z)
    p = times.parse(f"remind me at {hour}:{minute:02d} {mer} to stretch", now)
    assert p.when is not None
    got = p.when.at
    assert got > now and got - now <= timedelta(days=1, hours=1)
    want_hour = hour % 12 + (12 if mer == "pm" else 0)
    # Only a time skipped by DST may differ (it moves forward by the gap).
    if got.hour != want_hour or got.minute != minute:
        assert got.dst() != (got - timedelta(hours=2)).dst()


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sets(st.integers(min_value=0, max_value=6), min_size=1),
    st.integers(min_value=0, max_value=23),
    st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney"]),
)
def test_rules_fire_on_their_days_in_order(naive, days, hour, zone):
    z = ZoneInfo(zone)
    rule = times.Rule("weekly", tuple(sorted(days)), hour=hour)
    t = times.wall_time(naive.date(), naive.time(), z)
    for _ in range(5):
        nxt = rule.next_after(t, z)
        assert nxt > t and nxt.weekday() in days
        assert nxt - t <= timedelta(days=7, hours=1)
        t = nxt


def test_in_two_hours_is_two_real_hours_across_the_spring_forward_night():
    night = datetime(2026, 3, 8, 1, 30, tzinfo=NY)  # EST; at 2:00 the clocks jump to 3:00
    p = parse("remind me in 2 hours to check", night)
    assert p.when and p.when.at.timestamp() - night.timestamp() == 2 * 3600
    assert (p.when.at.hour, p.when.at.minute) == (4, 30)
    p = parse("remind me in 1 day to check", night)
    assert p.when and (p.when.at.day, p.when.at.hour, p.when.at.minute) == (9, 1, 30)
    assert p.when.at.timestamp() - night.timestamp() == 23 * 3600
