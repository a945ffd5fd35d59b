"""Reminders and alarms: at a time or after a delay, once or by a rule; listed and cancelled."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.skills import times
from assistant.skills.context import (
    Context,
    Pending,
    Reply,
    capitalise,
    is_no,
    is_yes,
    join_words,
    plural,
    second_person,
)
from assistant.skills.intents import Intent
from assistant.skills.store import Reminder

# The words that ask for a reminder, cut off to leave what to be reminded of.
_TRIGGER = re.compile(
    r"^(?:.*?\b)?(?:remind(?:er)?s? (?:me|us)|set (?:a |an |up a |me a )?(?:new )?reminder|"
    r"(?:add|create|make) (?:a )?reminder|reminder|don't let me forget|make sure i "
    r"(?:don't forget|remember)|(?:alert|notify|ping|nudge) me|let me know)\b"
)
_ALARM_WORDS = re.compile(
    r"\b(?:(?:set|make|create|add|put|start|turn on|schedule|activate)(?: me)?(?: up)? "
    r"(?:a |an |my |the |new )*(?:\w+ )?alarms?|wake me(?: up)?|get me up|alarm|"
    r"i (?:need|want|have) to (?:get|wake) up)\b"
)
_LEADING = re.compile(r"^(?:to|about|that|of|for|me|i need to|i have to|i should|i must)\s+")


def _what(intent: Intent, rest: str) -> str:
    """What to remind of: the sentence without the time and the asking words."""
    text = rest
    if intent.slots.get("alarm"):
        text = _ALARM_WORDS.sub(" ", text)
    m = _TRIGGER.match(text)
    if m:
        text = text[m.end() :]
    elif re.match(r"^(?:in|after) ", intent.text):
        pass  # "in 20 minutes check the oven": all of the rest is what to do
    text = " ".join(text.split())
    for _ in range(3):
        text = _LEADING.sub("", text)
    text = re.sub(r"\b(?:please|for me|again)\b", "", text)
    text = re.sub(r"^(?:set|make|create|add|put|new|up)(?: an?)?\s*$", "", text.strip())
    # "June 13th is election day, set it": what was said before it.
    text = re.sub(
        r"\b(?:set|save|mark|add|put|schedule|keep|book|make a note of|note) (?:it|this|that)\b.*$",
        "",
        text,
    ).strip()
    text = re.sub(r"^(?:is|are) |\s+(?:is|are|was|will be)$", "", text)
    # "I have a meeting at noon", "schedule my dentist appointment": the entry itself.
    text = re.sub(
        r"^(?:(?:i|we) (?:have|have got|'ve got|got)|add|schedule|book|put|plan|set up|create) "
        r"(?=(?:a|an|my|the|our)\b)",
        "",
        text,
    )
    return second_person(" ".join(text.split()))


def handle(intent: Intent, ctx: Context) -> Reply:
    """Carry out a reminder or alarm intent and say what happened."""
    if intent.action == "set":
        return _set(intent, ctx)
    if intent.action == "list":
        return _list(intent, ctx)
    return _cancel(intent, ctx)


def _set(intent: Intent, ctx: Context, what: str | None = None) -> Reply:
    now = ctx.now()
    parsed = times.parse(intent.text, now)
    alarm = bool(intent.slots.get("alarm"))
    if what is None:
        what = _what(intent, parsed.rest)
    if parsed.problem:
        return Reply(f"{parsed.problem} When should I remind you?", _ask_time(intent, ctx, what))
    if parsed.question is not None:
        q = parsed.question

        def resolve(answer: str) -> Reply | None:
            for key, when in q.options.items():
                if re.search(rf"\b{key}\b", answer):
                    return _save(ctx, what or "", when, alarm)
            if is_no(answer):
                return Reply("OK, no reminder.")
            again = times.parse(answer, ctx.now())
            if again.found:
                return _set(Intent("reminders", "set", intent.slots, f"{intent.text} {answer}"),
                            ctx, what)  # fmt: skip
            return None

        return Reply(q.text, Pending(resolve, ctx.clock()))
    if parsed.when is None:
        if alarm:
            return Reply("What time should the alarm go off?", _ask_time(intent, ctx, what))
        if not what:
            return Reply("What should I remind you about, and when?", _ask_all(ctx))
        return Reply(f"When should I remind you to {what}?", _ask_time(intent, ctx, what))
    if not what and not alarm:

        def resolve(answer: str) -> Reply | None:
            if is_no(answer):
                return Reply("OK, no reminder.")
            text = second_person(_LEADING.sub("", answer))
            return _save(ctx, text, parsed.when, alarm) if parsed.when else None

        return Reply("What should I remind you about?", Pending(resolve, ctx.clock()))
    return _save(ctx, what, parsed.when, alarm)


def _ask_time(intent: Intent, ctx: Context, what: str) -> Pending:
    def resolve(answer: str) -> Reply | None:
        if is_no(answer):
            return Reply("OK, no reminder.")
        if not times.parse(answer, ctx.now()).found:
            return None
        return _set(Intent("reminders", "set", intent.slots, answer), ctx, what)

    return Pending(resolve, ctx.clock())


def _ask_all(ctx: Context) -> Pending:
    def resolve(answer: str) -> Reply | None:
        if is_no(answer):
            return Reply("OK, no reminder.")
        intent = Intent("reminders", "set", {}, answer)
        parsed = times.parse(answer, ctx.now())
        return _set(intent, ctx, _what(intent, parsed.rest) or None)

    return Pending(resolve, ctx.clock())


def _save(ctx: Context, what: str, when: times.When, alarm: bool) -> Reply:
    now = ctx.now()
    zone = ctx.zone.key
    rule = when.rule.encode() if when.rule else None
    text = what or ("alarm" if alarm else "reminder")
    ctx.store.add_reminder(
        ctx.profile, text, when.at.timestamp(), zone, rule, alarm, now.timestamp()
    )
    ctx.changed()
    said = times.when_words(when, now)
    # The time said back always names what was chosen for an ambiguous "at 6" ("today at 6 pm").
    chose = ""
    if not when.has_time:
        chose = f" I'll say it at {times.clock_words(when.at.hour, when.at.minute)}."
    if alarm:
        return Reply(f"Alarm set for {said}.{chose}".replace("for in ", "in "))
    # "OK." on its own is the first spoken chunk: heard while the rest is being synthesised.
    return Reply(
        f"OK. I'll remind you {_to(what)} {what} {said}.{chose}".replace(" to to ", " to ")
    )


def _to(what: str) -> str:
    """An entry ("your meeting") is reminded about; an errand ("call mom") is reminded to do."""
    return "about" if re.match(r"(?:a|an|your|the|our)\b", what) else "to"


def describe(r: Reminder, now: datetime) -> str:
    """A reminder said aloud: "call your mom tomorrow at 9 am"."""
    zone = ZoneInfo(r.zone)
    at = datetime.fromtimestamp(r.due, zone)
    rule = times.Rule.decode(r.rule) if r.rule else None
    when = times.when_words(times.When(at, rule=rule), now.astimezone(zone))
    if r.alarm:
        return f"an alarm {when}" if r.text == "alarm" else f"an alarm {when} to {r.text}"
    return f"{r.text} {when}"


def _list(intent: Intent, ctx: Context) -> Reply:
    now = ctx.now()
    items = ctx.store.reminders(ctx.profile)
    alarm = bool(intent.slots.get("alarm"))
    kind = "alarm" if alarm else "reminder"
    if alarm:
        items = [r for r in items if r.alarm]
    parsed = times.parse(intent.text, now, purpose="query")
    day = parsed.when.at.date() if parsed.when and not parsed.when.rule else None
    if day is not None:
        items = [r for r in items if datetime.fromtimestamp(r.due, ctx.zone).date() == day]
    when = f" {times.day_words(parsed.when.at, now)}" if day and parsed.when else ""
    if not items:
        return Reply(f"You have no {kind}s{when}.")
    said = [describe(r, now) for r in items[:5]]
    more = f", and {len(items) - 5} more" if len(items) > 5 else ""
    return Reply(f"You have {plural(len(items), kind)}{when}: " + "; ".join(said) + more + ".")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text) if len(w) > 2} - {
        "the", "and", "for", "you", "your", "my", "remind", "reminder", "reminders", "alarm",
        "alarms", "cancel", "delete", "remove", "about", "that", "this", "all", "off", "turn",
        "please", "clear", "event", "events", "calendar", "from", "with", "erase", "get", "rid",
    }  # fmt: skip


def _rule_words(r: Reminder) -> set[str]:
    """Words of a reminder's rule ("weekday", "monday"), so "my weekday alarm" finds it."""
    if not r.rule:
        return set()
    return _words(times.Rule.decode(r.rule).describe().lower()) - {"every", "at"}


def _best_matches(items: list[Reminder], wanted: set[str]) -> list[Reminder]:
    """The reminders sharing the most words with what was said (none when nothing is shared)."""
    if not wanted:
        return []
    scored = [(len(wanted & (_words(r.text) | _rule_words(r))), r) for r in items]
    best = max((n for n, _ in scored), default=0)
    return [r for n, r in scored if n == best and n > 0]


def _cancel(intent: Intent, ctx: Context) -> Reply:
    now = ctx.now()
    alarm = bool(intent.slots.get("alarm"))
    items = [r for r in ctx.store.reminders(ctx.profile) if r.alarm or not alarm]
    kind = "alarm" if alarm else "reminder"
    if not items:
        return Reply(f"You have no {kind}s to cancel.")
    t = intent.text
    parsed = times.parse(t, now, purpose="query")
    if re.search(r"\b(?:all|every|everything|any)\b", t):
        if parsed.when is not None and not parsed.when.rule:
            # "cancel all my meetings on March 2nd": all of that day's, not all of them.
            day = parsed.when.at.date()
            items = [r for r in items if datetime.fromtimestamp(r.due, ctx.zone).date() == day]
            if not items:
                return Reply(f"You have no {kind}s {times.day_words(parsed.when.at, now)}.")
        for r in items:
            ctx.store.delete_reminder(ctx.profile, r.id)
        ctx.changed()
        return Reply(f"Cancelled {plural(len(items), kind)}.")
    wanted = _words(second_person(parsed.rest))
    matches = _best_matches(items, wanted)
    if not matches and not wanted and parsed.when is not None and not parsed.when.rule:
        at = parsed.when
        same = [r for r in items if abs(r.due - at.at.timestamp()) < 60]
        if not same and not at.has_time:
            same = [r for r in items
                    if datetime.fromtimestamp(r.due, ctx.zone).date() == at.at.date()]  # fmt: skip
        matches = same
    if not matches and re.search(r"\b(?:it|that|last|latest|just)\b", t):
        matches = [max(items, key=lambda r: r.id)]
    if not matches and len(items) == 1 and not wanted:
        matches = items  # "cancel my reminder": the only one (but never one about other things)
    if len(matches) == 1:
        r = matches[0]
        ctx.store.delete_reminder(ctx.profile, r.id)
        ctx.changed()
        what = describe(r, now) if r.alarm else f"the reminder {_to(r.text)} {describe(r, now)}"
        return Reply(f"Cancelled {what}.")
    options = matches or items
    listed = join_words([describe(r, now) for r in options[:3]]).replace(" and ", " or ")

    def resolve(answer: str) -> Reply | None:
        if is_no(answer):
            return Reply(f"OK, I kept your {kind}s.")
        if is_yes(answer) and len(options) == 1:
            ctx.store.delete_reminder(ctx.profile, options[0].id)
            ctx.changed()
            return Reply("Cancelled.")
        words = _words(second_person(answer))
        picked = [r for r in options if words & _words(describe(r, now))]
        if re.search(r"\b(?:first|1st)\b", answer):
            picked = options[:1]
        elif re.search(r"\b(?:second|2nd)\b", answer) and len(options) > 1:
            picked = options[1:2]
        elif re.search(r"\b(?:all|both|every)\b", answer):
            picked = options
        if not picked:
            return None
        for r in picked:
            ctx.store.delete_reminder(ctx.profile, r.id)
        ctx.changed()
        return Reply(f"Cancelled {plural(len(picked), kind)}.")

    # Something was named that no reminder mentions: say so rather than cancel a guess.
    none = f"I have no {kind} like that. " if wanted and not matches else ""
    return Reply(f"{none}Which {kind} should I cancel: {listed}?", Pending(resolve, ctx.clock()))


LATE_S = 60.0  # a reminder said more than this after its time was missed (app closed)


def is_late(r: Reminder, now: float) -> bool:
    """Whether a reminder's time passed while nobody could hear it (the app was closed)."""
    return now - r.due > LATE_S


def due_text(r: Reminder, now: float) -> str:
    """What is said when a reminder comes due; for a late one, what it was and when."""
    zone = ZoneInfo(r.zone)
    at = datetime.fromtimestamp(r.due, zone)
    if is_late(r, now):
        when = (f"{times.day_words(at, datetime.fromtimestamp(now, zone))} at "
                f"{times.clock_words(at.hour, at.minute)}")  # fmt: skip
        if r.alarm:
            return f"an alarm {when}" + (f" to {r.text}" if r.text != "alarm" else "")
        return f"a reminder to {r.text} {when}"
    if r.alarm:
        clock = times.clock_words(at.hour, at.minute)
        return f"It's {clock}: your alarm." + (
            f" {capitalise(r.text)}." if r.text != "alarm" else ""
        )
    return f"Reminder: {r.text}."


def late_text(missed: list[str]) -> str:
    """One announcement for everything that came due while the app was closed."""
    if len(missed) == 1:
        item = missed[0]
        return f"While I was off, {item if item.startswith('the ') else 'you had ' + item}."
    return "While I was off: " + "; ".join(missed) + "."
