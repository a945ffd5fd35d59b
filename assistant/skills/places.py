"""Places to time zones: "London" → Europe/London, "Japan" → Asia/Tokyo (IANA database)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from zoneinfo import ZoneInfo

# Places whose name is not the city in an IANA zone name (countries, states, abbreviations):
# each zone once, with every name that means it.
_ZONE_NAMES = {
    "Europe/London": "uk, england, britain, scotland",
    "Europe/Dublin": "ireland",
    "Europe/Paris": "france",
    "Europe/Berlin": "germany",
    "Europe/Madrid": "spain",
    "Europe/Rome": "italy",
    "Asia/Tokyo": "japan, okinawa",
    "Asia/Shanghai": "china, beijing",
    "Asia/Kolkata": "india, delhi, new delhi, mumbai, bombay",
    "Europe/Moscow": "russia",
    "Australia/Sydney": "australia",
    "America/Toronto": "canada",
    "America/Sao_Paulo": "brazil",
    "America/Mexico_City": "mexico",
    "America/New_York": (
        "us, usa, america, united states, florida, miami, boston, washington, eastern, est, edt"
    ),
    "America/Los_Angeles": "california, san francisco, seattle, las vegas, pacific, pst, pdt",
    "America/Chicago": "texas, dallas, houston, central, cst",
    "Pacific/Honolulu": "hawaii",
    "America/Anchorage": "alaska",
    "America/Phoenix": "arizona",
    "America/Denver": "colorado, utah, mountain",
    "Africa/Cairo": "egypt",
    "Africa/Johannesburg": "south africa",
    "Africa/Nairobi": "kenya",
    "Africa/Lagos": "nigeria",
    "Asia/Jerusalem": "israel",
    "Asia/Dubai": "dubai",
    "Asia/Seoul": "korea, south korea",
    "Asia/Manila": "philippines",
    "Asia/Bangkok": "thailand",
    "Asia/Ho_Chi_Minh": "vietnam",
    "Pacific/Auckland": "new zealand",
    "America/Argentina/Buenos_Aires": "argentina",
    "Europe/Amsterdam": "netherlands",
    "Europe/Stockholm": "sweden",
    "Europe/Oslo": "norway",
    "Europe/Warsaw": "poland",
    "Europe/Istanbul": "turkey",
    "Europe/Athens": "greece",
    "Europe/Lisbon": "portugal",
    "Asia/Hong_Kong": "hong kong",
    "Asia/Singapore": "singapore",
    "Etc/GMT": "gmt, greenwich",
    "UTC": "utc",
}
_ALIASES = {name: zone for zone, names in _ZONE_NAMES.items() for name in names.split(", ")}


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
