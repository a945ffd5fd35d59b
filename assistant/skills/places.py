"""Places to time zones: "London" → Europe/London, "Japan" → Asia/Tokyo (IANA database)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from zoneinfo import ZoneInfo

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
def place_names() -> dict[str, str]:
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
    places = place_names()
    for n in range(len(words.split()), 0, -1):  # longest run of words first: "new york city"
        ws = words.split()
        for i in range(len(ws) - n + 1):
            key = places.get(" ".join(ws[i : i + n]))
            if key:
                return ZoneInfo(key)
    return None
