"""The time and date: now, here or in another place; what day a date falls on."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone, tzinfo

from assistant.skills import times
from assistant.skills.context import Context, Reply
from assistant.skills.intents import Intent
from assistant.skills.places import find_zone, place_names
from assistant.skills.wallclock import DAY_INDEX, MONTH_INDEX, WEEKDAYS


def _clock(at: datetime) -> str:
    return times.clock_words(at.hour, at.minute).replace("noon", "12 noon")


def _date(at: datetime) -> str:
    return f"{at:%A}, {at:%B} {at.day}{times.suffix(at.day)}"


def handle(intent: Intent, ctx: Context) -> Reply:
    """Answer a time or date question."""
    now = ctx.now()
    if intent.action == "now":
        return Reply(f"It's {_clock(now)}.")
    if intent.action == "date":
        place = intent.slots.get("place")
        zone = find_zone(place) if place else None
        if zone is not None:
            there = now.astimezone(zone)
            return Reply(f"In {place.title()} it's {_date(there)}, {there.year}.")
        return Reply(f"Today is {_date(now)}, {now.year}.")
    if intent.action == "is_day":
        asked = intent.slots["day"]
        if now.strftime("%A").lower() == asked:
            return Reply(f"Yes, today is {now:%A}.")
        return Reply(f"No, today is {now:%A}.")
    if intent.action == "until":
        parsed = times.parse(intent.text, now, purpose="query")
        if parsed.when is None or parsed.when.rule:
            return Reply("Until when?")
        days = (parsed.when.at.date() - now.date()).days
        at = parsed.when.at
        said = f"{at:%A}, {at:%B} {at.day}{times.suffix(at.day)}"
        if days < 0:
            return Reply(f"{said} was {-days} days ago.")
        if days == 0:
            return Reply("That's today.")
        if days == 1:
            return Reply(f"That's tomorrow, {said}.")
        return Reply(f"It's {days} days away: {said}.")
    if intent.action == "day_of":
        parsed = times.parse(intent.text, now, purpose="query")
        day = parsed.when.at.date() if parsed.when and not parsed.when.rule else parsed.day
        if day is None:
            return Reply(f"Today is {_date(now)}.")
        verb = "is" if day >= now.date() else "was"
        return Reply(f"{day:%B} {day.day}{times.suffix(day.day)}, {day.year} {verb} a {day:%A}.")
    if intent.action == "count_days":
        return Reply(_count_days(intent, now.date()))
    if intent.action == "place":
        zone = find_zone(intent.slots.get("place", ""))
        if zone is None:
            return Reply(f"I don't know the time zone of {intent.slots['place'].title()}.")
        there = now.astimezone(zone)
        day = "" if there.date() == now.date() else (
            " tomorrow" if there.date() > now.date() else " yesterday")  # fmt: skip
        return Reply(f"It's {_clock(there)}{day} in {intent.slots['place'].title()}.")
    # Time differences and conversions between places (or UTC offsets: "gmt plus 5 30").
    names = re.findall(r"[a-z][a-z .']+", intent.text)
    zones: list[tuple[str, tzinfo]] = []
    for chunk in re.split(r"\b(?:and|to|from|between|in|vs|versus)\b", intent.text):
        z = _offset_zone(chunk) or find_zone(chunk)
        if z and all(str(z) != str(o) for _, o in zones):
            zones.append((chunk.strip(), z))
    if not zones and not names:
        return Reply("Which places?")
    # The offsets' numbers are not clock times.
    parsed = times.parse(_OFFSET.sub(" ", intent.text), now, purpose="query")
    if zones and parsed.when and parsed.when.has_time and not parsed.when.rule:
        # "what is 7 am pacific time in eastern time", "it's 3 pm in London": convert the time.
        (na, za), (nb, zb) = zones[0], (zones[1] if len(zones) > 1 else ("here", ctx.zone))
        at = datetime.combine(now.astimezone(za).date(), parsed.when.at.time(), tzinfo=za)
        there = at.astimezone(zb)
        shift = (there.date() - at.date()).days
        day = {1: " the next day", -1: " the day before"}.get(shift, "")
        where = "here" if nb == "here" else f"in {_place_name(nb, zb)}"
        return Reply(f"{_clock(at)} in {_place_name(na, za)} is {_clock(there)}{day} {where}.")
    if len(zones) == 1:
        zones.insert(0, ("here", ctx.zone))
    if len(zones) < 2:
        return Reply(f"It's {_clock(now)} here. Which place do you mean?")
    (na, za), (nb, zb) = zones[:2]
    offset = (now.astimezone(zb).utcoffset() - now.astimezone(za).utcoffset()).total_seconds()
    hours = abs(offset) / 3600
    amount = f"{hours:g} hour{'s' if hours != 1 else ''}"
    b = _place_name(nb, zb)
    a = _place_name(na, za)
    if offset == 0:
        return Reply(f"{b} and {a} are on the same time: {_clock(now.astimezone(za))}.")
    rel = "ahead of" if offset > 0 else "behind"
    return Reply(f"{b} is {amount} {rel} {a}; it's {_clock(now.astimezone(zb))} there.")


# A UTC offset as said: "gmt 4", "utc minus 7", "gmt plus 5 30" (normalised from "GMT+5:30").
_OFFSET = re.compile(
    r"\b(?:gmt|utc) (?:(?P<sign>plus|minus) )?(?P<h>\d{1,2})(?:[: ](?P<m>[0-5]\d))?\b"
)


def _offset_zone(said: str) -> timezone | None:
    m = _OFFSET.search(said)
    if m is None or int(m["h"]) > 14:
        return None
    offset = timedelta(hours=int(m["h"]), minutes=int(m["m"] or 0))
    sign = "-" if m["sign"] == "minus" else "+"
    hours = f"{m['h']}:{m['m']}" if m["m"] else m["h"]
    return timezone(-offset if sign == "-" else offset, f"GMT{sign}{hours}")


def _place_name(said: str, zone: tzinfo) -> str:
    if said == "here":
        return "here"
    zone_key = getattr(zone, "key", None)
    if zone_key is None:  # a UTC offset
        return str(zone)
    for name, key in place_names().items():
        if key == zone_key and name in said:
            return name.title() if len(name) > 3 else name.upper()
    return zone_key.rsplit("/", 1)[1].replace("_", " ")


def _count_days(intent: Intent, today: date) -> str:
    """How many of a weekday a month or year has: "how many saturdays are in march"."""
    weekday = DAY_INDEX[intent.slots["day"]]
    said, year = intent.slots["in"], intent.slots.get("year")
    if said == "year" or said.isdigit():
        first = date(int(said) if said.isdigit() else today.year, 1, 1)
        last = date(first.year, 12, 31)
        where = str(first.year)
    else:
        month = today.month if said == "month" else MONTH_INDEX[said]
        # A month without a year is the next one of that name (this one if it is now).
        y = int(year) if year else today.year + (month < today.month and said != "month")
        first = date(y, month, 1)
        last = date(y, month, calendar.monthrange(y, month)[1])
        where = f"{first:%B} {y}"
    n = sum(1 for d in range((last - first).days + 1)
            if (first + timedelta(days=d)).weekday() == weekday)  # fmt: skip
    return f"{where} has {n} {WEEKDAYS[weekday].title()}s."
