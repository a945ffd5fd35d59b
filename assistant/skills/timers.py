"""Timers: start (named, several at once), pause, resume, add or take off time, cancel, status."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.skills import times
from assistant.skills.context import Context, Pending, Reply, capitalise, is_no, join_words, plural
from assistant.skills.intents import Intent
from assistant.skills.store import Timer

MAX_TIMER = timedelta(hours=24)
# A fixed instant for turning a timer's duration into seconds (only a year counts months).
_EPOCH = datetime(2001, 1, 1, tzinfo=ZoneInfo("UTC"))


def label(t: Timer) -> str:
    """How a timer is called aloud: "the pizza timer" or "the 10 minute timer"."""
    if t.name:
        return f"the {t.name} timer"
    return f"the {_length_words(t.length_s)} timer"


def _length_words(seconds: float) -> str:
    words = times.duration_words(timedelta(seconds=round(seconds)))
    # "10 minutes" → "10 minute" as an adjective ("the 10 minute timer").
    return re.sub(r"(\d+ \w+?)s\b", r"\1", words)


def handle(intent: Intent, ctx: Context) -> Reply:
    """Carry out a timer intent and say what happened."""
    action = intent.action
    if action == "start":
        return _start(ctx, intent.slots.get("name", ""), intent.slots.get("duration"))
    timers = ctx.store.timers(ctx.profile)
    if action == "cancel_all":
        for t in timers:
            ctx.store.delete_timer(ctx.profile, t.id)
        ctx.changed()
        if not timers:
            return Reply("You have no timers running.")
        return Reply(
            f"Cancelled {'your timer' if len(timers) == 1 else f'all {len(timers)} timers'}."
        )
    if not timers:
        return Reply("You have no timers running.")
    if action == "status" and not intent.slots.get("name") and not intent.slots.get("start"):
        return Reply(_status(timers, ctx.clock()))
    if action in ("pause", "resume") and intent.slots.get("all"):
        said = [_act(ctx, action, t, intent.slots).text for t in timers]
        return Reply(" ".join(said))
    chosen = _choose(timers, intent.slots, action)
    if chosen is None:
        names = join_words([label(t) for t in timers[:4]])
        question = f"Which one: {names.replace(' and ', ' or ')}?"

        def resolve(answer: str) -> Reply | None:
            if is_no(answer):
                return Reply("OK, I left your timers alone.")
            picked = _choose(ctx.store.timers(ctx.profile), {"name": _answer_name(answer)}, action)
            if not isinstance(picked, Timer):
                return None
            return _act(ctx, action, picked, intent.slots)

        return Reply(question, Pending(resolve, ctx.clock()))
    if chosen == "missing":
        return Reply(f"I can't find a {intent.slots.get('name') or 'matching'} timer.")
    assert isinstance(chosen, Timer)
    return _act(ctx, action, chosen, intent.slots)


def _answer_name(answer: str) -> str:
    return re.sub(r"^(?:the|my)\s+|\s+(?:one|1|timer)$", "", answer.strip())


def _choose(timers: list[Timer], slots: dict, action: str) -> Timer | str | None:
    """The timer the user means; None when it is unclear (ask), "missing" when none fits."""
    name = str(slots.get("name") or "").strip()
    start = slots.get("start")
    if name:
        named = [t for t in timers if t.name and (t.name == name or name in t.name.split())]
        if len(named) == 1:
            return named[0]
        by_length = times.find_duration(name)
        if by_length:
            start = by_length[0]
        elif not named:
            return "missing"
    if start:
        secs = times.as_timedelta(start, _EPOCH).total_seconds()
        same = [t for t in timers if abs(t.length_s - secs) < 1]
        return same[0] if len(same) == 1 else ("missing" if not same else None)
    if len(timers) == 1:
        return timers[0]
    if action == "resume":
        paused = [t for t in timers if t.due is None]
        if len(paused) == 1:
            return paused[0]
    if action == "pause":
        running = [t for t in timers if t.due is not None]
        if len(running) == 1:
            return running[0]
    return None


def _act(ctx: Context, action: str, t: Timer, slots: dict) -> Reply:
    now = ctx.clock()
    left = t.remaining(now)
    if action == "cancel":
        ctx.store.delete_timer(ctx.profile, t.id)
        ctx.changed()
        return Reply(f"Cancelled {label(t)}.")
    if action == "status":
        return Reply(_one_status(t, now))
    if action == "pause":
        if t.due is None:
            return Reply(f"{capitalise(label(t))} is already paused.")
        ctx.store.set_timer(ctx.profile, t.id, None, left)
        ctx.changed()
        return Reply(f"Paused {label(t)} with {_left_words(left)} left.")
    if action == "resume":
        if t.due is not None:
            return Reply(f"{capitalise(label(t))} is already running.")
        ctx.store.set_timer(ctx.profile, t.id, now + left, None)
        ctx.changed()
        return Reply(f"Resumed {label(t)}: {_left_words(left)} to go.")
    delta = slots.get("delta")
    if delta is None:
        return Reply("How much time should I add?")
    secs = times.as_timedelta(delta, _EPOCH).total_seconds()
    if action == "subtract":
        secs = -secs
    new_left = left + secs
    if new_left <= 0:
        return Reply(f"{capitalise(label(t))} only has {_left_words(left)} left.")
    if new_left > MAX_TIMER.total_seconds():
        return Reply("That would make the timer longer than 24 hours; try a reminder instead.")
    # The timer keeps the length it was set with: that is how the user calls it ("the 10 minute
    # timer"), however much time is added or taken off.
    if t.due is None:
        ctx.store.set_timer(ctx.profile, t.id, None, new_left)
    else:
        ctx.store.set_timer(ctx.profile, t.id, now + new_left, None)
    ctx.changed()
    verb = "Added" if secs > 0 else "Took"
    amount = times.duration_words(timedelta(seconds=round(abs(secs))))
    where = "to" if secs > 0 else "off"
    return Reply(f"{verb} {amount} {where} {label(t)}: {_left_words(new_left)} left.")


def _start(ctx: Context, name: str, duration: object) -> Reply:
    if duration is None:

        def resolve(answer: str) -> Reply | None:
            d = times.find_duration(answer)
            return _start(ctx, name, d[0]) if d else None

        return Reply("For how long?", Pending(resolve, ctx.clock()))
    now = ctx.clock()
    length = times.as_timedelta(duration, ctx.now()).total_seconds()  # type: ignore[arg-type]
    if length < 1:
        return Reply("That timer would be over before it started. For how long?")
    if length > MAX_TIMER.total_seconds():
        return Reply(
            "That's too long for a timer; the longest I run is 24 hours. "
            "For something further off, ask me for a reminder."
        )
    ctx.store.add_timer(ctx.profile, name, length, now)
    ctx.changed()
    others = len(ctx.store.timers(ctx.profile)) - 1
    what = f"{capitalise(name)} timer" if name else "Timer"
    extra = f" That makes {plural(others + 1, 'timer')} running." if others else ""
    return Reply(f"{what} set for {times.duration_words(timedelta(seconds=round(length)))}.{extra}")


def _left_words(seconds: float) -> str:
    s = round(seconds)
    if s >= 120:
        s = round(s / 10) * 10 if s < 3600 else round(s / 60) * 60  # no one needs the seconds
    return times.duration_words(timedelta(seconds=s))


def _one_status(t: Timer, now: float) -> str:
    left = _left_words(t.remaining(now))
    if t.due is None:
        return f"{capitalise(label(t))} is paused with {left} left."
    return capitalise(f"{left} left on {label(t)}.")


def _status(timers: list[Timer], now: float) -> str:
    if len(timers) == 1:
        return _one_status(timers[0], now)
    parts = [
        f"{label(t).removeprefix('the ')} {'paused at' if t.due is None else 'has'} "
        f"{_left_words(t.remaining(now))}" + ("" if t.due is None else " left")
        for t in timers
    ]
    return f"You have {len(timers)} timers: " + "; ".join(parts) + "."


def finished_text(t: Timer) -> str:
    """What is said when a timer rings."""
    if t.name:
        return f"Your {t.name} timer is done."
    return f"Time's up: your {_length_words(t.length_s)} timer is done."
