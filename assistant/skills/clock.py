"""The time and date: now, here or in another place; what day a date falls on."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.skills import times
from assistant.skills.context import Context, Reply
from assistant.skills.intents import Intent

# Places whose name is not the city in an IANA zone name (countries, states, abbreviations).
_ALIASES = {
    "uk": "Europe/London", "england": "Europe/London", "britain": "Europe/London",
    "scotland": "Europe/London", "ireland": "Europe/Dublin", "france": "Europe/Paris",
    "germany": "Europe/Berlin", "spain": "Europe/Madrid", "italy": "Europe/Rome",
    "japan": "Asia/Tokyo", "china": "Asia/Shanghai", "beijing": "Asia/Shanghai",
    "india": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata", "russia": "Europe/Moscow",
    "australia": "Australia/Sydney", "canada": "America/Toronto", "brazil": "America/Sao_Paulo",
    "mexico": "America/Mexico_City", "us": "America/New_York", "usa": "America/New_York",
    "america": "America/New_York", "united states": "America/New_York",
    "california": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "texas": "America/Chicago", "dallas": "America/Chicago", "houston": "America/Chicago",
    "florida": "America/New_York", "miami": "America/New_York", "boston": "America/New_York",
    "washington": "America/New_York", "hawaii": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "arizona": "America/Phoenix", "colorado": "America/Denver", "utah": "America/Denver",
    "egypt": "Africa/Cairo", "south africa": "Africa/Johannesburg", "kenya": "Africa/Nairobi",
    "nigeria": "Africa/Lagos", "israel": "Asia/Jerusalem", "dubai": "Asia/Dubai",
    "korea": "Asia/Seoul", "south korea": "Asia/Seoul", "philippines": "Asia/Manila",
    "thailand": "Asia/Bangkok", "vietnam": "Asia/Ho_Chi_Minh", "new zealand": "Pacific/Auckland",
    "argentina": "America/Argentina/Buenos_Aires", "netherlands": "Europe/Amsterdam",
    "sweden": "Europe/Stockholm", "norway": "Europe/Oslo", "poland": "Europe/Warsaw",
    "turkey": "Europe/Istanbul", "greece": "Europe/Athens", "portugal": "Europe/Lisbon",
    "okinawa": "Asia/Tokyo", "hong kong": "Asia/Hong_Kong", "singapore": "Asia/Singapore",
    "gmt": "Etc/GMT", "utc": "UTC", "greenwich": "Etc/GMT",
    "eastern": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "central": "America/Chicago", "cst": "America/Chicago", "mountain": "America/Denver",
    "pacific": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
}  # fmt: skip


@functools.cache
def _places() -> dict[str, str]:
    """Every IANA zone by its city name ("new york" → America/New_York), plus the aliases."""
    found: dict[str, str] = {}
    for key in zoneinfo.available_timezones():
        if "/" in key and not key.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            found.setdefault(key.rsplit("/", 1)[1].replace("_", " ").lower(), key)
    return found | _ALIASES


def find_zone(place: str) -> ZoneInfo | None:
    """The time zone of a place name, or None when it is unknown."""
    words = re.sub(r"\b(?:the|city of|state of|time|now|right|please|currently)\b", " ", place)
    words = " ".join(words.split())
    places = _places()
    for n in range(len(words.split()), 0, -1):  # longest run of words first: "new york city"
        ws = words.split()
        for i in range(len(ws) - n + 1):
            key = places.get(" ".join(ws[i : i + n]))
            if key:
                return ZoneInfo(key)
    return None


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
        parsed = times.parse(intent.text, now)
        if parsed.when is None or parsed.when.rule:
            return Reply(f"Today is {_date(now)}.")
        at = parsed.when.at
        verb = "is" if at.date() >= now.date() else "was"
        return Reply(f"{at:%B} {at.day}{times.suffix(at.day)}, {at.year} {verb} a {at:%A}.")
    if intent.action == "place":
        zone = find_zone(intent.slots.get("place", ""))
        if zone is None:
            return Reply(f"I don't know the time zone of {intent.slots.get('place')}.")
        there = now.astimezone(zone)
        day = "" if there.date() == now.date() else (
            " tomorrow" if there.date() > now.date() else " yesterday")  # fmt: skip
        return Reply(f"It's {_clock(there)}{day} in {intent.slots['place'].title()}.")
    # Time differences and conversions between places.
    names = re.findall(r"[a-z][a-z .']+", intent.text)
    zones: list[tuple[str, ZoneInfo]] = []
    for chunk in re.split(r"\b(?:and|to|from|between|in|vs|versus)\b", intent.text):
        z = find_zone(chunk)
        if z and all(z.key != o.key for _, o in zones):
            zones.append((chunk.strip(), z))
    if not zones and not names:
        return Reply("Which places?")
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


def _place_name(said: str, zone: ZoneInfo) -> str:
    if said == "here":
        return "here"
    for name, key in _places().items():
        if key == zone.key and name in said:
            return name.title() if len(name) > 3 else name.upper()
    return zone.key.rsplit("/", 1)[1].replace("_", " ")
