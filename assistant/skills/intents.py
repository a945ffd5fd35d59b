"""The deterministic intent layer: a sentence → which skill, which action, and its slots.

Timers, the time and date, and list items use the Home Assistant intent sentences (hassil +
home-assistant-intents, restricted to the intents implemented here); reminders, alarms, notes,
list queries and the phrasings those sentences miss use the patterns below. Anything not
recognised returns None and goes to the language model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.skills import times
from assistant.skills.numbers import words_to_digits
from assistant.skills.places import find_zone
from assistant.skills.wallclock import MONTH_RE

# HA intent → (skill, action). Only these are loaded, so "pause the timer" cannot match a media
# intent and "add oat milk to my shopping list" cannot match a fan.
HA_INTENTS = {
    "HassStartTimer": ("timers", "start"),
    "HassCancelTimer": ("timers", "cancel"),
    "HassCancelAllTimers": ("timers", "cancel_all"),
    "HassIncreaseTimer": ("timers", "add"),
    "HassDecreaseTimer": ("timers", "subtract"),
    "HassTimerStatus": ("timers", "status"),
    "HassPauseTimer": ("timers", "pause"),
    "HassUnpauseTimer": ("timers", "resume"),
    "HassGetCurrentTime": ("time", "now"),
    "HassGetCurrentDate": ("time", "date"),
    "HassShoppingListAddItem": ("lists", "add"),
    "HassListAddItem": ("lists", "add"),
    "HassShoppingListCompleteItem": ("lists", "remove"),
    "HassListCompleteItem": ("lists", "remove"),
    "HassListRemoveItem": ("lists", "remove"),
}

_LEAD = re.compile(
    r"^(?:(?:hey |ok |okay )?(?:siri|alexa|olly|ollie|google|computer|assistant|sam)[, ]+|"
    r"(?:please|kindly|hey|ok|okay|so|now|and|um|uh|let's|let us|we'll|i'll|we will|i will)"
    r"[, ]+|"
    r"(?:can|could|would|will) you(?: please)? |i (?:want|need|would like) you to |"
    r"i'd like you to )+"
)


# Forms speech-to-text writes (or people type) for words the patterns expect.
_SPOKEN_FORMS = {
    "to do's": "to dos", "todo's": "todos", "to-do's": "to dos",
    "tonights": "tonight's", "todays": "today's", "tomorrows": "tomorrow's",
    "g m t": "gmt", "gtm": "gmt", "u t c": "utc", "e s t": "est", "p s t": "pst",
    "anyones": "anyone's", "any ones": "anyone's",
    "dont": "don't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "arent": "aren't",
    "cant": "can't",
}  # fmt: skip
_SPOKEN = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in _SPOKEN_FORMS) + r")\b")


_SIGN = {"+": "plus", "-": "minus"}


def normalise(text: str) -> str:
    """Lower case, plain apostrophes, no punctuation but in numbers, wake words off, digits."""
    t = text.lower().replace("’", "'").replace("‘", "'")
    # A comma in a list of things is an "and" ("eggs, milk and bread"); inside a number it stays.
    t = re.sub(r"(?<!\d),|,(?!\d)", " and ", t)
    t = re.sub(r"[^\w\s':.,/-]|(?<!\d)[.:/](?!\d)|(?<=\d)[.,](?!\d)", " ", t)
    t = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", t)
    # "UTC+2", "GMT-5": the sign is a word, as said ("gmt minus 5"), before punctuation goes.
    t = re.sub(r"\b(gmt|utc) ?([+-]) ?(?=\d)", lambda m: f"{m[1]} {_SIGN[m[2]]} ", t)
    t = " ".join(t.replace("-", " ").split())
    t = _SPOKEN.sub(lambda m: _SPOKEN_FORMS[m.group(0)], t)
    # "remainder" is a common mishearing of "reminder" (but "the remainder of" is itself).
    t = re.sub(r"\bremainder(s?)\b(?! of)", r"reminder\1", t)
    t = _LEAD.sub("", t)
    # Whisper hears a short "timers" after a command verb as "tires" ("cancel all tires").
    t = re.sub(
        r"^((?:cancel|stop|pause|resume|start|reset|delete)(?: all| the| my| all my)?) "
        r"tires?\b",
        r"\1 timers",
        t,
    )
    t = re.sub(r"\b(?:please|for me)\b", " ", t)
    return " ".join(words_to_digits(t).split())


@dataclass(frozen=True)
class Intent:
    """What the user asked for: skill and action, with the slots that were said."""

    skill: str  # time | timers | reminders | lists | notes
    action: str
    slots: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # the normalised sentence


# -- own patterns ------------------------------------------------------------------------------

_ARTICLE = r"(?:(?:my|the|a|an|our|this|that) )?"
# Words before "timer" that point at a timer rather than name it ("cancel that timer", "how long
# is left on this timer", Whisper's "set it timer" for "set a timer").
_NOT_TIMER_NAMES = frozenset(["it", "its", "this", "that", "one", "the", "my"])
_NOT_TIMER_NAME_RE = "|".join(sorted(_NOT_TIMER_NAMES))
_LIST_WORD = r"(?:list|lists|wishlist|to dos|todos)"
# A list's name: words before "list", but never a preposition (so "eggs from my shopping list"
# cannot make "eggs from my shopping" a name).
_NAME = r"(?P<list>to do|(?:(?!\b(?:from|to|on|off|in|into|onto|of|out)\b)[\w' ])+?)"
_NOTES = re.compile(
    r"^(?:(?:take|make|write|jot|add|create|save) (?:a |down a |me a )?(?:note|memo)s?|"
    r"note (?:down|that)|write (?:this |that )?down|jot (?:this |that )?down|"
    r"add (?:a )?note)(?: (?:that|saying|to say|of|about))?[:,]? (?P<text>.+)$"
)
_NOTES_READ = re.compile(
    r"^(?:(?:read|show|tell|give)(?: me)? (?:back )?(?:all )?(?:my|the) notes?|"
    r"what (?:are|were|is) (?:in )?my notes?|(?:my|what) notes(?: do i have)?|"
    r"do i have (?:any )?notes|what did i (?:note|write|jot)(?: down)?)\b"
)
_NOTES_CLEAR = re.compile(
    r"^(?:delete|clear|erase|remove|forget) (?:all )?(?:of )?(?:my|the) notes?\b"
)
_LIST_ADD = re.compile(
    rf"^(?:add|put|include|append|stick|throw(?! away| out))(?: (?P<item>.+?))? "
    rf"(?:to|on|onto|in|into) "
    rf"{_ARTICLE}(?:{_NAME} )?{_LIST_WORD}(?: (?:of|for|called|named) "
    rf"(?P<list2>[\w' ]+))?$"
)
_LIST_REMOVE = re.compile(
    rf"^(?:remove|delete|take|cross|strike|scratch|check|tick|erase|get rid of)(?: (?P<item>.+?))? "
    rf"(?:off|from|out of|on|in) {_ARTICLE}(?:{_NAME} )?{_LIST_WORD}"
    rf"(?: (?:of|for|called|named) (?P<list2>[\w' ]+))?$"
)
_LIST_CLEAR = re.compile(
    rf"^(?:clear|empty|wipe|clean|reset|delete|remove|erase|get rid of|trash|throw away|"
    rf"throw out|scrap|bin|dump)(?: out)? "
    rf"(?:(?:all|everything)(?: (?:from|on|in|of))? )?{_ARTICLE}(?:{_NAME} )?"
    rf"{_LIST_WORD}(?: (?:called|named) (?P<list2>[\w' ]+))?$"
)
_LIST_READ = re.compile(
    rf"(?:what(?:'s| is| are| do i have| items are| things are)? (?:on|in) |read (?:me |out )?|"
    rf"(?:show|tell|give) me |check |what's |what is |list (?:the )?items (?:on|in) |"
    rf"anything (?:else )?(?:left )?on |how many (?:items|things) (?:are )?(?:on|in) ){_ARTICLE}"
    rf"(?:(?P<list>[\w' ]+?) )?{_LIST_WORD}(?: (?:for|of|called|named) (?P<list2>[\w' ]+))?$"
)
_LISTS_WHICH = re.compile(r"\b(?:what|which) lists\b|\bmy lists\b|\ball (?:of )?my lists\b")
_LIST_NEW = re.compile(
    rf"^(?:create|make|start|begin|set up|open)(?: me)? (?:a )?(?:new )?(?:(?P<list>[\w' ]+?) )?"
    rf"{_LIST_WORD}(?: (?:called|named|for|of|about) (?P<list2>.+))?$"
)
_REMIND = re.compile(
    r"\b(?:remind(?:er)?s? (?:me|us|him|her)|set (?:a |an |up a |me a )?(?:new )?reminder|"
    r"add (?:a )?reminder|create (?:a )?reminder|make (?:a )?reminder|"
    r"reminder (?:to|for|about|at)|don't let me forget|make sure i (?:don't forget|remember)|"
    r"(?:can you |could you )?remember to remind|(?:alert|notify|ping|nudge) me|"
    r"let me know (?:when|at|in|before|about)|tell me when (?:it is|it's|it gets|it turns)|"
    r"(?:be|get|being) (?:notified|reminded|alerted)|^remind$)\b"
)
_ALARM_SET = re.compile(
    r"\b(?:(?:set|make|create|add|put|start|turn on|schedule|activate|need|want)(?: me)? "
    r"(?:up )?(?:a |an |my |the |new |an? new )*(?:[\w ]+ )?alarms?|wake me|get me up|"
    r"(?:need|want|have) to (?:get|wake) up|alarm (?:for|at|in|to)|new alarm|ring the .*alarm)\b"
)
_ALARM_CANCEL = re.compile(
    r"\b(?:cancel|delete|remove|turn off|switch off|disable|stop|clear|get rid of|erase|"
    r"deactivate|don't want|silence|snooze|reset)\b.*\balarms?\b|\bno (?:more )?alarms?\b|"
    r"\b(?:do not|don't|never) (?:wake|get) me\b|"
    r"\b(?:set|turn|switch) (?:the |my |all |all my )?(?:\w+ )?alarms? off\b"
)
_ALARM_QUERY = re.compile(
    r"\balarms?\b.*\b(?:set|on|going off|go off|scheduled|settings?|for)\b|"
    r"\b(?:what|which|when|list|show|check|tell|any|do i have|is there|are there|how many|"
    r"review|view|see|display|read)\b.*\balarms?\b|^alarms?$|\balarm settings\b"
)
_REMINDER_CANCEL = re.compile(
    r"\b(?:cancel|delete|remove|clear|erase|drop|get rid of|forget|turn off|stop|scratch|"
    r"call off|undo|wipe)\b.*\b(?:reminders?|calendar|events?|meetings?|appointments?|"
    r"schedule|plans?|activity|activities|dates)\b|"
    r"^(?:delete|remove|cancel|clear) (?:it|that|this)$|"
    r"^(?:cancel|delete|remove|clear|call off|scrap|drop|erase|wipe|get rid of)\b.*"
    r"\b(?:scheduled|planned|booked)\b|"
    r"\b(?:make sure there (?:is|are) no|free up|clear (?:my|the) (?:day|morning|afternoon|"
    r"evening|schedule))\b"
)
_CALENDAR_WORDS = (
    r"(?:reminders?|reminded|calendar|schedule|scheduled|agenda|appointments?|meetings?|events?|"
    r"plans?|planned|booked|diary|engagements?|tasks?|deadlines?)"
)
# Words that make a calendar entry only with a verb and a time ("add lunch with Ann at noon").
_OCCASIONS = (
    r"(?:birthday|anniversary|holiday|concert|party|lunch|dinner|breakfast|brunch|conference|"
    r"call|practice|class|game|date|function|festival|wedding|trip|flight|interview|visit|"
    r"haircut|shower|match|gala|ceremony|recital|reunion|picnic|barbecue|checkup|check up|"
    r"rehearsal|graduation|funeral|dentist|presentation|marriage|exhibition|parade|"
    r"concerts|parties|games|matches)"
)
_WHEN_WORDS = (
    r"(?:(?:at|on|by|for) \d|\d+ ?(?:am|pm|o'?clock)|\d{1,2}(?:st|nd|rd|th)|today|tomorrow|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d|"
    r"tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|afternoon|"
    r"evening|noon|next week|this week|weekend)"
)
# "cancel dinner tonight", "clear haircut today", "delete the breakfast at Ann's".
_OCCASION_CANCEL = re.compile(
    rf"^(?:cancel|delete|remove|clear|call off|scrap|erase|wipe|get rid of|clean)\b"
    rf"(?!.*\bfrom (?:my |the )?(?!calendar|schedule|agenda|diary|reminders)\w)"
    rf".*\b(?:{_OCCASIONS}|{_CALENDAR_WORDS})\b"
)
# A question about an occasion: "is Jessica's birthday on April 12th", "what time does the
# concert begin", "where is Mary's party being held".
_OCCASION_QUERY = re.compile(
    rf"^(?:when|where|what time|at what time|how long|which|what(?:'s| is| are)? "
    rf"(?:the )?(?:upcoming|next))\b.*\b{_OCCASIONS}\b|"
    # "is Jessica's birthday on April 12th" — but not "is the concert worth going to".
    rf"^(?:is|are|was)\b.*\b(?:my|our|[a-z]+'s)\b.*\b{_OCCASIONS}\b|"
    rf"^(?:is|are|was)\b.*\b{_OCCASIONS}\b.*\b{_WHEN_WORDS}"
)
_REMINDER_QUERY = re.compile(
    rf"\b(?:what(?:'s| is| are| do i have)?|when(?:'s| is| are)?|do i have|have i|is there|"
    rf"are there|any|anything|list|show|tell me|check|give me|read|how many|did i|am i|will i|"
    rf"what time|where|open|whats|look(?:s)? like|upcoming|next|remind me what|is my|are my|"
    rf"who|through|pending)\b.*\b{_CALENDAR_WORDS}\b|^(?:what|when|which|do|does|is|are|any|show|"
    rf"list|tell|read|check|give|how|my)\b.*\b{_CALENDAR_WORDS}\b.*\b(?:look like|today|"
    rf"tomorrow|this week|next week|scheduled)\b|\bwhat(?:'s| is| do i have) (?:on (?:for |my "
    rf"(?:plate|calendar|schedule|agenda) )?(?:today|tomorrow|tonight|this|next|on|for|monday|"
    rf"tuesday|wednesday|thursday|friday|saturday|sunday|the \d)|planned|going on|coming up|"
    rf"for today|for tomorrow)\b|\b(?:do i have|have i got) (?:anything|something|any)"
    rf"\b|\b(?:coming up|upcoming|pending)\b.*\b(?:week|today|tomorrow|tasks?|things)\b|"
    rf"\bwhat (?:do i have|is) (?:coming up|next)\b|"
    rf"\b(?:when|what time) is my (?:next )?{_OCCASIONS}\b|\bwhat(?:'s| is) for (?:today|"
    rf"tomorrow)\b|\bwhat (?:do )?i (?:have|need|got) to do\b|\b(?:need|have) to do "
    rf"(?:anything|something)\b|\b(?:do i have|is there|when is|where is) (?:a |an |the |my )?"
    rf"(?:\w+ )?{_OCCASIONS}\b|\b(?:what does|how does|what's|what is) my (?:day|week|morning|"
    rf"afternoon|evening|weekend) look(?:ing)?(?: like)?\b|\bam i (?:busy|free|booked|available)\b|"
    rf"\bdo i have (?:plans|anything on|something on)\b|\bwhat(?:'s| is) happening (?:today|"
    rf"tomorrow|tonight|this|on|next|after|before|between|from|at)\b|"
    rf"\bwhat(?:'s| is) next on my\b|^(?:is|are|was|were)\b.*\b(?:scheduled|planned|booked)\b"
)
_REMINDER_SET_LOOSE = re.compile(
    rf"\b(?:schedule|add|put|set|book|create|make|arrange|plan|organi[sz]e|invite|enter|"
    rf"register|save|mark|block|pencil|note|set up|need|want|would like|modify|repeat|include|"
    rf"send|reschedule|move|postpone|push back|bring forward)\b.*\b{_CALENDAR_WORDS}\b|"
    rf"\b{_CALENDAR_WORDS}\b.*\b(?:at|on|for)\b.*\b{_WHEN_WORDS}|"
    rf"^(?:new |an? )?(?:event|reminder|appointment|meeting)s?\b|\b(?:schedule|add|put|book|"
    rf"plan|mark|block|block off|block out|reserve)\b.*\b{_WHEN_WORDS}|"
    rf"\bmeet(?:ing)? (?:with|up with)\b.*\b{_WHEN_WORDS}|"
    rf"\b{_OCCASIONS}\b.*\b(?:remind|reminder|calendar)\b|\bremind it\b|"
    rf"\bset (?:a |an |my |up )?{_OCCASIONS}\b.*\b{_WHEN_WORDS}|"
    rf"\b(?:add|schedule|book|put)\b.*\b{_OCCASIONS}\b|\bnotifications?\b"
)
# Songs, films and the news: talk about them is not about the user's calendar or lists.
_MEDIA = re.compile(
    r"\b(?:music|songs?|playlists?|movies?|films?|books?|novels?|tv|television|radio|"
    r"podcasts?|news|video|videos|album|episode|series)\b"
)
# "… set it", "… make a note of it on that date": keep what was just said.
_KEEP_IT = re.compile(
    r"\b(?:set|save|mark|add|put|schedule|keep|book|make a note of|note) (?:it|this|that)"
    r"(?: (?:down|in|on|for|to)\b.*)?$"
)
_TIMER = re.compile(r"\btimers?\b")
_TIMER_STATUS = re.compile(
    r"\b(?:how (?:long|much time|much longer|many minutes)|time (?:is )?left|remaining|"
    r"status)\b"
)
_TIME_NOW = re.compile(
    r"\b(?:what(?:'s| is)? (?:the )?(?:current |local |exact |correct )?time(?: is it)?"
    r"(?: (?:now|right now|currently|here|please))?$|what time is it|"
    r"tell me (?:the )?(?:current )?time|(?:current|present|local) time|time is it|"
    r"what (?:time it is|the time is)|"
    r"the time (?:now|right now|please)|time now|(?:say|tell|give|display|show)(?: me)? "
    r"(?:the )?(?:current )?time|is the time (?:currently )?correct)\b|^(?:the )?time$|^is it \d+"
    r"(?: o'?clock| am| pm)?(?: yet| already)?$"
)
_DATE_NOW = re.compile(
    r"\b(?:what(?:'s| is)? (?:the |today's |todays )?date(?= today| now| please| is it|$)|"
    r"what day is (?:it|today)|"
    r"what(?:'s| is) today(?!')|which day is (?:it|today)|today's date|todays date|"
    r"what day of the week is it|what month is it|what year is it|day of the week|"
    r"what (?:month|year|day) is (?:it|today|this)|(?:say|tell|give|display|show)(?: me)? (?:the "
    r")?(?:current |today's |todays )?date|date today|what date|is what date|which date|"
    r"(?:current|today's|this) (?:day|month|year)(?: and| or)? (?:day |month |year |date )*"
    r"(?:and )?(?:day|month|year|date)\b(?! of)|(?:day|date) (?:is it|is today)$)\b|"
    r"^(?:the |today's |todays )?date$"
)
_DAY_OF = re.compile(
    r"\b(?:what|which) day (?:of the week )?(?:is|was|will|does|falls)\b|"
    r"\bis (?:the )?.+ (?:a|on a) (?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)\b|\b(?:lands|falls) on\b|"
    r"\bis what day\b|\bwhat day\b"
)
_TIME_PLACE = re.compile(
    r"\btime (?:is it |now |right now )?(?:in|at|of|for) (?P<place>[a-z .']+?)"
    r"(?: (?:right )?now| at this moment| currently| please)?$|"
    r"\b(?:time difference|time zone|timezone|time between|hours (?:distance|difference|ahead|"
    r"behind)|difference between)\b|\bconvert\b.*\btime\b|\btime\b.*\bconvert\b|"
    r"\bwhat time is it (?:here|there)\b|\bin how many hours\b|\btime (?:in|at) (?P<place2>\w+)"
)


def _list_name(m: re.Match[str]) -> str:
    return canonical_list(m.groupdict().get("list2") or m.groupdict().get("list") or "")


def canonical_list(name: str) -> str:
    """The list a name means: "" or "grocery" → "shopping", "todos" → "to do"."""
    # "read what is on my list": the words before "on my" are not the list's name.
    name = re.sub(r"^(?:.*\s)?(?:on|in) (?:my|the|our)(?:\s+|$)", "", name.strip())
    name = re.sub(r"^(?:my|the|a|an|our|new)\s+", "", name.strip())
    name = re.sub(r"\s+(?:list|lists)$", "", name)
    if name in ("", "shopping", "grocery", "groceries", "things i need to buy", "to buy",
                "things to buy", "buy", "food", "current", "this", "that", "same"):  # fmt: skip
        return "shopping"
    if name in ("to do", "todo", "to dos", "todos", "things to do", "chores", "task", "tasks"):
        return "to do"
    return name


def _item(text: str | None) -> str:
    item = (text or "").strip()
    item = re.sub(r"^(?:some|a few|an|a|the|more)\s+", "", item)
    return item


class Recogniser:
    """Recognises the skill intents in a sentence; thread-safe, hassil loaded on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hassil: Any = None

    def warm_up(self) -> None:
        """Load the intent sentences now (~0.1-0.5 s) rather than on the first command."""
        for text in ("what time is it", "set a timer for 5 minutes", "add milk to my list",
                     "how long is left on my timer"):  # fmt: skip
            self._recognise_ha(text)

    def _intents(self) -> Any:
        with self._lock:
            if self._hassil is None:
                import home_assistant_intents
                from hassil import Intents, TextSlotList, WildcardSlotList

                data = home_assistant_intents.get_intents("en")
                data["intents"] = {k: v for k, v in data["intents"].items() if k in HA_INTENTS}
                self._hassil = (
                    Intents.from_dict(data),
                    {"area": TextSlotList.from_strings([]), "name": WildcardSlotList("name")},
                )
            return self._hassil

    def _recognise_ha(self, text: str) -> Intent | None:
        from hassil import recognize_all

        intents, slot_lists = self._intents()
        best = None
        for r in recognize_all(
            text,
            intents,
            slot_lists=slot_lists,
            intent_context={"domain": "todo"},
            allow_unmatched_entities=True,
        ):
            # A sentence that needed guessing at a number is no match (unmatched ranges have no
            # text); other unmatched slots are free text such as a timer's name.
            if any(not hasattr(e, "text") for e in r.unmatched_entities.values()):
                continue
            unmatched = {k: e.text.strip() for k, e in r.unmatched_entities.items()}
            if any(k in ("hours", "minutes", "seconds") for k in unmatched):
                continue
            score = len(unmatched)
            if best is None or score < best[0]:
                best = (score, r, unmatched)
        if best is None:
            return None
        _, r, unmatched = best
        skill, action = HA_INTENTS[r.intent.name]
        slots: dict[str, Any] = {k: e.value for k, e in r.entities.items()}
        for key in ("area", "name"):
            if key in unmatched:
                slots[key] = unmatched[key]
        if skill == "timers":
            name = str(slots.pop("name", "") or slots.pop("area", "") or "")
            name = re.sub(r"^(?:the|my|a|an)\s+|\s+(?:the|my)$|^(?:the|my)$", "", name.strip())
            # The wildcard can start inside a word ("set an egg timer" → "n egg"): keep whole words.
            while name and not re.search(rf"\b{re.escape(name)}\b", text):
                name = name.partition(" ")[2]
            if name.strip() in _NOT_TIMER_NAMES:  # "cancel that timer": the one there is
                name = ""
            slots = {"name": name.strip(), **_duration_slots(slots), **_start_slots(slots)}
            if "conversation_command" in r.entities:
                return None  # "in 5 minutes turn off the lights": a reminder, handled below
        elif skill == "lists":
            name = str(slots.get("name", "") or "")
            slots = {"item": _item(str(slots.get("item", ""))), "list": canonical_list(name)}
        return Intent(skill, action, slots, text)

    def recognise(self, text: str, normalised: bool = False) -> Intent | None:
        """The intent of a sentence, or None when no skill handles it (the LLM answers)."""
        t = text if normalised else normalise(text)
        if not t or _CONVERSATION.match(t):
            return None
        m = re.match(r"^(?P<when>.+?) (?:i|we) (?:need|have|must|got|should|want) to \w+", t)
        if (
            m
            and _whole_time(m["when"], dated=True)
            and not re.search(r" and (?:i|i'm|we|it)\b| but | so ", t)
        ):
            return Intent("reminders", "set", {}, t)  # "on monday I need to call Greg"
        if (
            _PLAN_TOLD.match(t)
            and re.search(r"\b(?:at|by|from) (?:\d|noon|midnight)|\b\d+(?::\d\d)? ?[ap]m\b", t)
            and times.parse(t, _REFERENCE).found
        ):
            # "I have a meeting at noon today": nothing else said, and a clock time, so it is for
            # the calendar ("I have a date tonight!" is news to talk about).
            return Intent("reminders", "set", {}, t)
        if len(t.split()) > 3 and _STATEMENT.match(t) and not _COMMAND_WORD.search(t):
            return None  # "the meeting went well today", "we had dinner at 8": telling, not asking
        if re.match(r"^remind me (?:of )?(?:what|who|where|how|why|when we)\b", t):
            if re.search(r"\blists\b", t):
                return Intent("lists", "which", {}, t)  # "remind me how many lists I have"
            # "remind me what I'm doing on Sunday" asks the calendar; "remind me what we talked
            # about" asks the memory (the language model).
            if re.search(rf"\b{_CALENDAR_WORDS}\b", t) or (
                times.parse(t, _REFERENCE, purpose="query").when is not None
                and not re.search(r"\b(?:talked|said|told|discussed|spoke)\b", t)
            ):
                return Intent("reminders", "list", {}, t)
            return None
        m = re.match(
            r"^(?:my|the|all my) (?:reminders|alarms|calendar|schedule|agenda|appointments|"
            r"events|meetings)$",
            t,
        )
        if m:
            return Intent("reminders", "list", {"alarm": "alarm" in t}, t)
        for rule in (self._notes, self._reminders, self._lists_own):
            found = rule(t)
            if found:
                return found
        if _TIMER.search(t) or re.search(r"\b(?:time|timers?|date|list)\b", t):
            ha = self._recognise_ha(t)
            if (
                ha is not None
                and ha.skill == "lists"
                and (not ha.slots.get("item") or not re.search(r"\blists?\b", t))
            ):
                ha = None
            if ha is not None:
                return ha
        for rule in (self._timers_own, self._time_own, self._alarms, self._calendar):
            found = rule(t)
            if found:
                return found
        return None

    # -- rules -------------------------------------------------------------------------------

    def _notes(self, t: str) -> Intent | None:
        m = _NOTES.match(t)
        if m and not re.search(r"\b(?:list|reminder|calendar)\b", m.group("text")):
            return Intent("notes", "add", {"text": m.group("text").strip()}, t)
        if _NOTES_READ.search(t):
            return Intent("notes", "read", {}, t)
        if _NOTES_CLEAR.search(t):
            return Intent("notes", "clear", {}, t)
        return None

    def _reminders(self, t: str) -> Intent | None:
        if _REMIND.search(t) and re.match(
            r"^(?:cancel|delete|remove|clear|erase|forget|drop|stop|turn off|get rid of|"
            r"scratch|undo)\b",
            t,
        ):
            return Intent("reminders", "cancel", {}, t)
        if _REMIND.search(t) and not _REMINDER_QUERY_FIRST.search(t):
            return Intent("reminders", "set", {}, t)
        # "give me an update on the election in one hour": a request, and when to do it.
        m = re.match(rf"^(?:{_DELAYABLE}) (?P<what>.+) (?:in|after) (?P<rest>.+)$", t)
        if m and not re.search(r"\b(?:how|what|why|where|which|who|that|can|could)\b", m["what"]):
            # (but "show me how to cook rice in 10 minutes" says how long, not when)
            d = times.find_duration(m.group("rest"))
            if d and d[1] == (0, len(m.group("rest"))):
                return Intent("reminders", "set", {}, t)
        # "in 20 minutes check the oven": a duration first and something to do after it.
        m = re.match(r"^(?:in|after) (?P<rest>.+)$", t)
        if m:
            d = times.find_duration(m.group("rest"))
            if d and d[1][0] == 0 and m.group("rest")[d[1][1] :].strip():
                return Intent("reminders", "set", {}, t)
        return None

    def _lists_own(self, t: str) -> Intent | None:
        # "we're out of coffee", "I need to buy eggs": the shopping list.
        m = re.match(
            r"^(?:we're|we are|i'm|i am|we|i) (?:all )?(?:out of|ran out of|running low on|"
            r"running out of|low on|need to buy|have to buy|must buy|should buy) (?P<item>.+)$",
            t,
        )
        if m and not re.search(
            r"\b(?:time|money|patience|ideas|breath|options|advice|recommend|suggest|should|"
            r"which|what|how|tips)\b",
            t,
        ):
            return Intent("lists", "add", {"item": _item(m.group("item")), "list": "shopping"}, t)
        m = re.match(
            r"^(?:what do i|what else do i|do i) (?:still )?(?:need|have) to (?:buy|get|pick up)\b",
            t,
        )
        if m:
            return Intent("lists", "read", {"list": "shopping"}, t)
        m = re.match(
            r"^(?:delete|remove|erase|undo|scratch) (?:the )?(?:last|that|this|previous)?"
            r"\s*(?:item|entry|phrase|word|thing)s?(?: listed| added)?$",
            t,
        )
        if m:
            return Intent("lists", "remove_last", {"list": "shopping"}, t)
        m = _LIST_NEW.match(t)
        if m and _list_name(m) != "play":
            # "make a list about the concert schedule": a new list, whatever it is about.
            return Intent("lists", "create", {"list": _list_name(m)}, t)
        if re.search(r"\b(?:a|some|any) lists? of\b", t) and not re.search(
            r"\b(?:my|the|our) (?:[\w']+ )*?list\b(?! of)", t
        ):
            return None  # "give me a list of good books": a list to make up, not a kept one
        mine = re.search(r"\b(?:on|in|to|from|off) (?:my|the) (?:[\w']+ )?list\b", t)
        if (
            not re.search(rf"\b{_LIST_WORD}\b", t)
            or re.search(
                r"\b(?:play ?list|playlist|alarms?|schedule|meetings?|appointments?|calendar|"
                r"events?|"
                r"reminders?)\b",
                t,
            )
            and not mine
        ):
            return None
        for pattern, action in ((_LIST_ADD, "add"), (_LIST_REMOVE, "remove"),
                                (_LIST_CLEAR, "clear")):  # fmt: skip
            m = pattern.match(t)
            if m:
                item = _item(m.groupdict().get("item"))
                if action == "remove" and item in ("", "it", "that", "this", "that item",
                                                   "this item", "an item", "item"):  # fmt: skip
                    action = "remove_last" if item else "clear"
                if action == "remove" and re.fullmatch(r"(?:all|everything)(?: items?)?", item):
                    action = "clear"
                if action == "add" and item in ("", "an item", "item", "something", "items"):
                    return Intent("lists", "add", {"item": "", "list": _list_name(m)}, t)
                return Intent("lists", action, {"item": item, "list": _list_name(m)}, t)
        m = re.match(
            rf"^(?:is|are) (?P<item>.+?) (?:on|in) {_ARTICLE}(?:{_NAME} )?{_LIST_WORD}$", t
        )
        if m:
            return Intent(
                "lists", "check", {"item": _item(m.group("item")), "list": _list_name(m)}, t
            )
        m = re.match(rf"^(?P<item>.+?) (?:to|on|onto) (?:my|the) (?:{_NAME} )?{_LIST_WORD}$", t)
        if m and not re.search(
            r"^(?:what|how|is|are|who|which|when|any|anything|list|inform|tell|show|did)\b|"
            r"\b(?:read|what|items|anything)\b",
            m["item"],
        ):
            # "apples to my shopping list": the verb was lost (speech-to-text often drops it).
            return Intent(
                "lists", "add", {"item": _item(m.group("item")), "list": _list_name(m)}, t
            )
        if _LISTS_WHICH.search(t) and not re.search(r"\bon (?:my|the) [\w ]*lists?\b", t):
            return Intent("lists", "which", {}, t)
        m = _LIST_READ.search(t)
        if m:
            return Intent("lists", "read", {"list": _list_name(m)}, t)
        if re.search(r"\b(?:remove|delete|clear|erase|clean|cross|take)\b", t):
            m = re.search(rf"\b(?:my|the|a|our|this) (?:{_NAME} )?{_LIST_WORD}\b", t)
            return Intent("lists", "clear", {"list": _list_name(m) if m else "shopping"}, t)
        if re.search(r"\b(?:add|put|insert|new item|create|make|begin|start|set)\b", t):
            m = re.search(rf"\b(?:my|the|a|our|this) (?:{_NAME} )?{_LIST_WORD}\b", t)
            return Intent(
                "lists", "add", {"item": "", "list": _list_name(m) if m else "shopping"}, t
            )
        return Intent("lists", "read", {"list": "shopping"}, t)

    def _timers_own(self, t: str) -> Intent | None:
        if re.match(r"^how (?:much time|much longer|long)(?: is| do i have)? (?:left|remaining|"
                    r"to go)\b", t):  # fmt: skip
            return Intent("timers", "status", {}, t)
        m = re.match(r"^(?:set|start) (?:a |of |the )?time for (?P<rest>.+)$", t)
        if m and times.find_duration(m.group("rest")):
            # "set of time for 3 hours": a timer as speech-to-text often hears it.
            d = times.find_duration(m.group("rest"))
            return Intent("timers", "start", {"name": "", "duration": d[0] if d else None}, t)
        if not _TIMER.search(t):
            return None
        called = re.search(r"\b(?:called|named|labell?ed) (?P<name>[a-z][\w ]*?)(?: for \d|$)", t)
        name_m = called or re.search(
            r"(?:^|\b(?:a|an|the|my|new|set|start|cancel|stop|pause|resume|on|off|to) )"
            r"(?P<name>[a-z][\w]*(?: [a-z][\w]*)?) timer\b|\btimer (?:called|named|"
            r"for the|for my) (?P<name2>[a-z][\w ]*?)(?: for \d|$)",
            t,
        )
        name = ""
        if name_m:
            name = (name_m.group("name") or name_m.group("name2") or "").strip()
            name = re.sub(
                r"^(?:(?:set|start|create|make|put|cancel|stop|pause|resume|delete|remove|"
                r"add|continue|restart|on|up|me|a|an|new|another|second|other|"
                rf"{_NOT_TIMER_NAME_RE}|"
                r"\d+ (?:minutes?|hours?|seconds?)"
                r"|\d+)\b\s*)+",
                "",
                name,
            ).strip()
            if name in ("", "the", "my", "a", "new", "all", "all my", "all the", "every"):
                name = ""
        length = re.search(r"\b(\d+) (hour|minute|second)s? timer\b", t)
        start = None
        if length:  # "the 10 minute timer" names a timer by its length
            start = timedelta(seconds=int(length.group(1)) * {"h": 3600, "m": 60, "s": 1}[
                length.group(2)[0]])  # fmt: skip
        d = times.find_duration(t)
        duration = d[0] if d else None
        if re.search(r"\b(?:cancel|stop|delete|remove|kill|end|turn off|clear|dismiss)\b", t):
            if re.search(r"\b(?:all|every|both)\b", t):
                return Intent("timers", "cancel_all", {}, t)
            return Intent("timers", "cancel", {"name": name, "start": start}, t)
        every = bool(re.search(r"\b(?:all|every|both)\b", t))
        if re.search(r"\bpause|hold\b", t):
            return Intent("timers", "pause", {"name": name, "all": every, "start": start}, t)
        if re.search(r"\b(?:resume|continue|unpause|restart)\b", t):
            return Intent("timers", "resume", {"name": name, "all": every, "start": start}, t)
        if _TIMER_STATUS.search(t) or re.search(r"\b(?:what|which|any|list|show)\b", t):
            return Intent("timers", "status", {"name": name}, t)
        if re.search(r"\b(?:add|extend|increase|more)\b", t) and duration is not None:
            return Intent("timers", "add", {"name": name, "delta": duration, "start": start}, t)
        if re.search(r"\b(?:take|subtract|decrease|less|remove)\b", t) and duration is not None:
            return Intent("timers", "subtract", {"name": name, "delta": duration, "start": start},
                          t)  # fmt: skip
        if duration is None and not re.search(
            r"^(?:set|start|create|make|begin|run|put on|give me|i need|i want|new|another)\b|"
            r"^(?:a |an )?(?:[\w]+ )?timers?$",
            t,
        ):
            return None  # "tell me about timers in javascript": talk, not a command
        return Intent("timers", "start", {"name": name, "duration": duration}, t)

    def _time_own(self, t: str) -> Intent | None:
        m = re.match(
            r"^(?:how many (?:days|weeks|sleeps)|how long) (?:is it |are there |is there |left )?"
            r"(?:until|till|til|before|to) (?P<what>.+)$",
            t,
        )
        if m and times.parse(m.group("what"), _REFERENCE, purpose="query").found:
            return Intent("time", "until", {}, t)
        m = re.match(
            rf"^how many (?P<wd>{times.WEEKDAY_WORDS})s (?:are )?(?:there )?(?:in|during) "
            rf"(?:the |this )?(?:month of )?(?P<what>{MONTH_RE}|\d{{4}}|month|year)"
            rf"(?: (?P<year>\d{{4}}))?$",
            t,
        )
        if m:
            slots = {"day": m["wd"], "in": m["what"], "year": m["year"]}
            return Intent("time", "count_days", slots, t)
        m = re.match(
            rf"^is (?:it|today) (?:a )?(?P<wd>{times.WEEKDAY_WORDS})(?: today)?$|"
            rf"^is today (?:a )?(?P<wd2>{times.WEEKDAY_WORDS})$",
            t,
        )
        if m:
            return Intent("time", "is_day", {"day": m.group("wd") or m.group("wd2")}, t)
        m = re.match(r"^what(?:'s| is) the date (?:(?:of|for|on) )?(?P<what>.+)$", t)
        if m and not re.match(r"(?:today|now|right now|currently)\b", m["what"]):
            found = times.parse(m.group("what"), _REFERENCE, purpose="query")
            return Intent("time", "day_of", {}, t) if found.when else None
        # "when is easter in 2018", "what day does christmas fall on": a day, named or dated.
        m = re.match(
            r"^(?:when|what day|what date|which day|which date) (?:is|was|will be|does|did) "
            r"(?P<what>.+?)(?: (?:fall|land|be|come)s?)?(?: on)?(?: this year)?$",
            t,
        )
        if m and _whole_day(m["what"]):
            return Intent("time", "day_of", {}, t)
        # "is it the 20th of March today", "is today St Patrick's day": answered with the date.
        m = re.match(r"^is (?:it|today) (?P<what>.+?)(?: today)?$", t)
        if m and _whole_day(m["what"]):
            return Intent("time", "date", {}, t)
        if re.search(r"\b(?:what|which) day\b", t):
            return Intent("time", "day_of", {}, t)
        if re.search(
            r"\b(?:eastern|pacific|central|mountain|atlantic|greenwich|gmt|utc|est|pst|cst)"
            r"\b.*\btime\b|\b(?:gmt|utc)(?: plus| minus)? \d.*\b(?:to|in|into)\b",
            t,
        ):
            return Intent("time", "zones", {}, t)
        if re.search(rf"\b(?:{_CALENDAR_WORDS[3:-1]}|alarms?|{_OCCASIONS[3:-1]})\b", t) and not (
            re.search(r"\bdate\b", t) and _DATE_NOW.search(t)
        ):
            return None
        m = re.match(
            r"^(?:what(?:'s| is)|convert) (?P<a>.*\d.*?) (?:in|to|into) (?P<b>[a-z .']+)$", t
        )
        if m and find_zone(m["a"]) is not None and find_zone(m["b"]) is not None:
            return Intent("time", "zones", {}, t)  # "what is 3 pm GMT in Tokyo"
        if re.search(r"\b(?:if|when) it(?:'s| is) \d", t) and _TIME_PLACE.search(t):
            return Intent("time", "zones", {}, t)  # "if it's 3 pm in London, what time in NY"
        m = _TIME_PLACE.search(t)
        if m:
            place = (m.group("place") or m.group("place2") or "").strip()
            # "time in Cleveland" asks for a place even if unknown (the answer says so); "time
            # of year" is not a place.
            said_in = re.search(rf"\b(?:in|at) {re.escape(place)}", t) if place else None
            if place and (said_in or find_zone(place) is not None):
                return Intent("time", "place", {"place": place}, t)
            if place:
                return None
            if not place:
                return Intent("time", "zones", {}, t)
        if _TIME_NOW.search(t):
            return Intent("time", "now", {}, t)
        if _DATE_NOW.search(t):
            m = re.search(r"\b(?:in|at) (?P<place>[a-z .']+)$", t)
            if m and find_zone(m.group("place")) is not None:
                return Intent("time", "date", {"place": m.group("place")}, t)
            return Intent("time", "date", {}, t)
        if _DAY_OF.search(t):
            return Intent("time", "day_of", {}, t)
        return None

    def _alarms(self, t: str) -> Intent | None:
        if not re.search(r"\b(?:alarms?|wake|get me up|get up)\b", t):
            if re.match(r"^(?:set|make|create|add|schedule|put)(?: me)? (?:up )?(?:an? )?(?:new )?"
                        r"alerts? (?:for|at|in|on)\b", t):  # fmt: skip
                return Intent("reminders", "set", {"alarm": True}, t)  # "set an alert for 2 pm"
            return None
        if _ALARM_CANCEL.search(t):
            return Intent("reminders", "cancel", {"alarm": True}, t)
        if re.search(r"\b(?:see|view|show|list)\b.*\balarms\b|\bset alarms\b", t):
            return Intent("reminders", "list", {"alarm": True}, t)  # "I want to see all set alarms"
        if _ALARM_SET.search(t) and not re.search(
            r"^(?:is|are|do|did|what|when|which|check|list|show|tell)\b", t
        ):
            # "I need to get up at 6" sets an alarm; "I need to wake up earlier" is just talk.
            if not re.search(r"\b(?:need|want|have) to (?:get|wake) up\b", t) or (
                times.parse(t, _REFERENCE).found
            ):
                return Intent("reminders", "set", {"alarm": True}, t)
            return None
        if _ALARM_QUERY.search(t):
            return Intent("reminders", "list", {"alarm": True}, t)
        if re.match(r"^(?:did|do|does|is|are|have|has|was|were|what|which|when|my)\b", t):
            return Intent("reminders", "list", {"alarm": True}, t)  # "did I set an alarm for …"
        if re.search(r"\b(?:alarm|wake me|get me up)\b", t) and not re.match(r"^i\b", t):
            return Intent("reminders", "set", {"alarm": True}, t)
        if times.parse(t, _REFERENCE).found and not re.match(r"^i\b", t):
            return Intent("reminders", "set", {"alarm": True}, t)  # "wake up thursday 7 am"
        return None

    def _calendar(self, t: str) -> Intent | None:
        kept_here = re.search(r"\b(?:calendar|schedule|agenda|reminders?|diary)\b", t)
        if (
            re.search(r"\b(?:i|we) (?:had|went|was|were|met|attended|did)\b", t)
            or re.search(r"\bshould (?:i|we) (?:use|wear|bring|cook|buy|say|get|pick|choose)\b", t)
            or (_MEDIA.search(t) and not kept_here)
            or re.search(
                r"\byour\b|\b(?:do|did|have|are|were|would|could|can) you\b|"
                r"\byou (?:would|could|can|recommend|suggest|think|like)\b",
                t,
            )
            and not re.search(r"\b(?:i|me|my|i'm|i've|mine)\b", t)
            and not kept_here
        ):
            # "today I had a meeting with George" tells, "what have you planned" asks about the
            # assistant, "should I …" asks for advice, "put on music for dinner" is about media:
            # none of them is the user's calendar.
            return None
        if _REMINDER_CANCEL.search(t) or _OCCASION_CANCEL.search(t):
            return Intent("reminders", "cancel", {}, t)
        if (_REMINDER_QUERY.search(t) or _OCCASION_QUERY.search(t)) and not re.search(
            r"^(?:add|set|schedule|put|book)\b", t
        ):
            return Intent("reminders", "list", {}, t)
        if _REMINDER_SET_LOOSE.search(t):
            return Intent("reminders", "set", {}, t)
        if _KEEP_IT.search(t) and times.parse(t, _REFERENCE).found:
            # "June 13th is election day, set it": something said with its day, then kept.
            return Intent("reminders", "set", {}, t)
        # Last: a calendar word with nothing clearer around it ("the event will include Ann") —
        # but not a statement about oneself ("I have a meeting tomorrow and I'm nervous"): that
        # is conversation, for the language model.
        if re.match(r"^(?:i|i'm|i've|i'll|we|we're|my|our)\b", t):
            return None
        if re.search(r"\b(?:calendar|events?|meetings?|appointments?|agenda|remind)\b", t):
            question = re.match(r"^(?:what|which|when|where|who|is|are|do|does|did|any|how)\b", t)
            return Intent("reminders", "list" if question else "set", {}, t)
        return None


# A fixed instant, only for asking the time parser whether a phrase names a time at all.
_REFERENCE = datetime(2001, 1, 1, 12, 0, tzinfo=ZoneInfo("UTC"))


def _whole_time(phrase: str, dated: bool = False) -> bool:
    """Whether the phrase is nothing but a day and/or time ("on monday the 20th", "at 9").

    dated: and more precise than "today" or "tomorrow" alone (a clock time, a weekday or a
    date), and not a repeating rule — "tomorrow I need to relax" is talk.
    """
    parsed = times.parse(phrase, _REFERENCE, purpose="query")
    if dated and (
        parsed.when is None
        or parsed.when.rule
        or not parsed.when.has_time
        and re.fullmatch(r"(?:today|tomorrow|tonight|this \w+|in the \w+)", phrase.strip())
    ):
        return False
    return parsed.found and not re.sub(r"\b(?:the|on|at|in|by|so|and|then)\b", "",
                                       parsed.rest).strip()  # fmt: skip


def _whole_day(phrase: str) -> bool:
    """Whether the phrase is nothing but a calendar day ("easter in 2018", "the 20th of march")."""
    parsed = times.parse(phrase, _REFERENCE, purpose="query")
    when = parsed.when
    day = parsed.day is not None or bool(when and not when.rule and not when.has_time)
    return day and not re.sub(r"\b(?:the|a|an|in|of|year|day)\b", "", parsed.rest).strip()


# Openings of conversation, never of a command ("do you think I should go to the meeting?").
_CONVERSATION = re.compile(
    r"^(?:do you (?:think|know|like|remember|feel)|what do you (?:think|remember|know)|should i|"
    r"would you|could i|how do you feel|i (?:wish|hate|love|feel|think|guess|hope|like|miss|"
    r"fear)|tell me (?:a story|a joke|about(?! (?:my|the|all|all my|any) (?:alarms|reminders|"
    r"timers|lists|notes|appointments|meetings|events|schedule|calendar)\b| (?:alarms|reminders|"
    r"timers)\b))|why|how come|what if|what's your|"
    r"what is your|are you|who are you|i'm (?:going|so|really|feeling|tired|happy|sad|"
    r"worried|nervous|excited|not))\b"
)

# Sentences that tell rather than ask: about oneself, or about what happened.
_STATEMENT = re.compile(
    r"^(?:my|our|the|we|we're|we've|i|i've|i'd|it|it's|this|that|there|tomorrow|today|yesterday|"
    r"every|in the|last|he|she|they|his|her|their)\b"
)
_COMMAND_WORD = re.compile(
    r"\b(?:remind|reminder|set|add|put|cancel|delete|remove|schedule|book|wake me|get me up|"
    r"start|pause|resume|clear|create|make|note|read|show|list me|what|when|how|which|timer|"
    r"alarm for|alarm at|need to buy|out of|running low|mark|send me|notify|notification|"
    r"confirm|want to know|don't want|dont want|do not want|include|invite|notified|reminded|"
    r"(?:want|need|would like) (?:a|an) (?:meeting|appointment|reminder|alarm)|block|"
    r"(?:standard|daylight) time|"
    r"(?:need|have|want|got) to (?:get|wake) up at)\b"
)

# "I have a meeting at noon today", and nothing else: a plan to keep, not a conversation.
_PLAN_TOLD = re.compile(
    rf"^(?:i|we) (?:have|have got|'ve got|got) (?:a|an|my|the|our) (?:[\w']+ ){{0,2}}?"
    rf"(?:{_CALENDAR_WORDS}|{_OCCASIONS}) (?:at|on|in|by|this|next|today|tonight|tomorrow|"
    rf"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b(?:(?! and | but | so ).)*$"
)
# Requests that can be asked for later ("… in an hour"): a reminder to do them.
_DELAYABLE = (
    r"give me|tell me|send me|show me|let me know|call me|text me|check|ask me|notify me|"
    r"warn me|ping me"
)

_REMINDER_QUERY_FIRST = re.compile(
    r"^(?:what|which|when|do i have|did i|have i|is there|are there|any|how many|list|show|"
    r"read|tell me (?:my|about|what))\b.*\b(?:reminders?|reminded)\b"
)


def _duration_slots(slots: dict[str, Any]) -> dict[str, Any]:
    secs = 0.0
    found = False
    for key, size in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        if key in slots and slots[key] not in (None, ""):
            secs += float(slots[key]) * size
            found = True
    if not found:
        return {}
    return {"duration": timedelta(seconds=secs), "delta": timedelta(seconds=secs)}


def _start_slots(slots: dict[str, Any]) -> dict[str, Any]:
    secs = 0.0
    for key, size in (("start_hours", 3600), ("start_minutes", 60), ("start_seconds", 1)):
        if slots.get(key):
            secs += float(slots[key]) * size
    return {"start": timedelta(seconds=secs)} if secs else {}
