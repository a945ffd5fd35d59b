"""The skills as the engine sees them: answer a command without the LLM, speak up when due."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.errors import AssistantError
from assistant.memory.facts import parse_command
from assistant.memory.recall import STOPWORDS
from assistant.skills import clock, lists, notes, reminders, timers, times
from assistant.skills.context import Context, Pending, Reply, join_words, plural
from assistant.skills.intents import Intent, Recogniser, normalise
from assistant.skills.scheduler import Scheduler
from assistant.skills.store import SkillStore

_HANDLERS: dict[str, Callable[[Intent, Context], Reply]] = {
    "time": clock.handle,
    "timers": timers.handle,
    "reminders": reminders.handle,
    "lists": lists.handle,
    "notes": notes.handle,
}
PENDING_S = 120.0  # an unanswered question is forgotten after this long
# A skill's own erasing ("delete my notes", "clear my list") also parses as "forget <topic>":
# the skill answers it (it asks before deleting), not the memory command.
_ERASING = ("clear", "cancel", "remove", "remove_last")
# Commands nothing is added to once said ("cancel all timers", "read my shopping list"): unlike
# "set a timer for 3 hours" (… "and 10 minutes") or "what time is it" (… "in Tokyo"), their words
# are finished even where Whisper wrote no full stop.
_CLOSED = frozenset(
    [("timers", "cancel_all"), ("lists", "read"), ("lists", "which"), ("notes", "read"),
     ("reminders", "list")]
)  # fmt: skip
_SKILL_NOUN = re.compile(r"\b(?:notes?|lists?|reminders?|alarms?|timers?)\b")
_EVERYTHING = ("everything", "all", "me", "about me")
_QUESTION = re.compile(
    r"^(?:what|who|why|how|where|which|do|does|did|is|are|was|were|can|could|would|will|"
    r"should|tell me|i think|i feel|i'm|let me)\b"
)


def local_zone(name: str = "") -> ZoneInfo:
    """The named IANA zone, or the system's own ("" = system)."""
    if not name:
        import tzlocal

        name = tzlocal.get_localzone_name() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AssistantError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London"
        ) from None


class Skills:
    """Everyday skills for one profile: time, timers, reminders, lists and notes."""

    def __init__(
        self,
        store: SkillStore,
        profile: str = "default",
        zone: ZoneInfo | None = None,
        clock: Callable[[], float] = time.time,
        recogniser: Recogniser | None = None,
    ) -> None:
        self.store = store
        self.recogniser = recogniser or Recogniser()
        self._scheduler: Scheduler | None = None
        self._announce: Callable[[str], None] | None = None
        self._lock = threading.RLock()
        self._pending: Pending | None = None
        self.ctx = Context(store, profile, zone or local_zone(), clock, self._changed)

    # -- answering -----------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load what the first turn would otherwise wait for: intent sentences, dateparser, regexes.

        Every turn asks `claims` whether a skill answers it, and an ordinary sentence goes
        through all of the recogniser's rules: the first time, Python compiles their ~40
        regular expressions (5-8 ms of the first reply's delay). Asked here once, they are
        compiled before the user speaks.
        """
        self.recogniser.warm_up()
        times.parse("remind me on 3/18 at noon", self.ctx.now())
        self.store.next_due(self.ctx.profile)
        for text in ("lock the front door", "tell me a story about the sea"):
            self.claims(text)  # closed() runs the same recogniser: nothing more to compile

    def intent(self, text: str) -> Intent | None:
        """The skill intent of a sentence, or None."""
        return self.recogniser.recognise(text)

    def claims(self, text: str) -> bool:
        """Whether answer(text) or memory_command(text) would answer text (not the LLM).

        Side-effect free, so a reply prepared while the user may still be speaking can leave
        commands alone until the turn is over.
        """
        t = normalise(text)
        with self._lock:
            pending = self._pending
            if (
                pending
                and self.ctx.clock() - pending.asked_at < PENDING_S
                and not _QUESTION.match(t)
            ):
                return True
        if self.recogniser.recognise(t, normalised=True) is not None:
            return True
        return parse_command(text) is not None  # memory_command's, when memory is off

    def closed(self, text: str) -> bool:
        """Whether text is a command nothing is added to once said (see _CLOSED)."""
        intent = self.recogniser.recognise(normalise(text), normalised=True)
        return intent is not None and (intent.skill, intent.action) in _CLOSED

    def erases(self, text: str) -> bool:
        """Whether a "forget …" memory command is really a skill's own erasing ("delete my notes").

        Such sentences ("clear my list", "delete my reminder") must be the skill's, which asks
        before it deletes; the memory command would look for memories "about my notes".
        """
        cmd = parse_command(text)
        if cmd is None or not _SKILL_NOUN.search(cmd.topic):
            return False  # "forget what I said about the dentist" is for memory (cheap: no intent)
        intent = self.intent(text)
        return intent is not None and intent.action in _ERASING

    def memory_command(self, text: str) -> tuple[str, list[str]] | None:
        """With memory turned off: "what do you remember about me", "forget …" over skills data.

        Lists, notes, reminders and timers are kept even then, so they are what is told or
        erased. Returns (spoken answer, forgotten words, ["*"] for everything) as
        MemoryKeeper.command does, or None when text is no such command.
        """
        cmd = parse_command(text)
        if cmd is None:
            return None
        if self.erases(text):
            return None  # "delete my notes": the notes skill's own, which asks first
        try:
            return self._forget(cmd.action, cmd.topic.strip())
        except AssistantError as e:  # e.g. the database is locked: say so, keep talking
            return f"Sorry, I couldn't do that: {e}.", []

    def _forget(self, action: str, topic: str) -> tuple[str, list[str]]:
        profile = self.ctx.profile
        with self._lock:
            kept = self._kept()
            if action == "recall_all":
                if not kept:
                    return "Memory is turned off, so I keep nothing about you.", []
                return (
                    f"Memory is turned off, so I keep nothing about you except {kept}.",
                    [],
                )
            self._pending = None  # an open question may be about what goes now
            if topic in _EVERYTHING:
                n = self.store.forget_profile(profile)
                self.ctx.changed()
                if not n:
                    return "Memory is turned off, so there was nothing about you to forget.", ["*"]
                said = f"Done. I've erased {kept}. Memory is turned off, so I kept nothing else."
                return said, ["*"]
            words = [w for w in re.findall(r"\w+", topic.lower()) if w not in STOPWORDS]
            n = self.store.forget_about(profile, words)
            self.ctx.changed()
            if not n:
                return f"Memory is turned off, so I have nothing about {topic} to forget.", words
            return f"Done. I've erased {plural(n, 'thing')} about {topic}.", words

    def kept(self) -> str:
        """What the skills keep for the profile, in words ("your note and your 2 timers")."""
        with self._lock:
            return self._kept()

    def _kept(self) -> str:
        """What the profile has in the skills' tables, in words ("2 notes and 1 timer"), or ""."""
        p = self.ctx.profile
        items = sum(n for _, n in self.store.lists(p))
        counts = [
            (len(self.store.notes(p)), "note"),
            (items, "list item"),
            (len(self.store.reminders(p)), "reminder"),
            (len(self.store.timers(p)), "timer"),
        ]
        return join_words(
            [f"your {plural(n, w)}" if n != 1 else f"your {w}" for n, w in counts if n]
        )

    def rehearse(self, text: str) -> str | None:
        """What answer(text) would say now, with nothing changed (no timer set, no item added).

        The engine voices this at a pause in the user's speech and calls answer() once the turn
        is confirmed over; the two agree unless something changed in between (a timer fired).
        A "forget …" is not rehearsed (None): the engine answers it as a memory command first.
        """
        if parse_command(text) is not None and not self.erases(text):
            return None
        with self._lock, self.store.rehearsal():
            pending = self._pending
            try:
                return self.answer(text)
            finally:
                self._pending = pending

    def answer(self, text: str) -> str | None:
        """The spoken answer to a command, or None when it is not one (the LLM answers)."""
        t = normalise(text)
        with self._lock:
            intent = self.recogniser.recognise(t, normalised=True)
            pending, self._pending = self._pending, None
            # A short answer settles an open question; a new command, or a question of the
            # user's own ("what's your favourite…?"), replaces it.
            if (
                intent is None
                and pending
                and self.ctx.clock() - pending.asked_at < PENDING_S
                and not _QUESTION.match(t)
            ):
                reply = pending.resolve(t)
                if reply is not None:
                    self._pending = reply.pending
                    return reply.text
            if intent is None:
                return None
            if (
                (intent.skill, intent.action) == ("timers", "status")
                and "timer" not in t
                and not self.store.timers(self.ctx.profile)
            ):
                return None  # "how much time do I have left…" with no timer: not about timers
            try:
                reply = _HANDLERS[intent.skill](intent, self.ctx)
            except AssistantError as e:  # e.g. the database is locked: say so, keep talking
                return f"Sorry, I couldn't do that: {e}."
            self._pending = reply.pending
            return reply.text

    # -- speaking up ---------------------------------------------------------------------------

    def start(self, announce: Callable[[str], None],
              on_error: Callable[[Exception], None] | None = None) -> None:  # fmt: skip
        """Speak up from now on: what came due while closed is said at once, the rest on time."""
        self._announce = announce
        self._scheduler = Scheduler(
            lambda: self.store.next_due(self.ctx.profile), self.fire_due, self.ctx.clock, on_error
        )
        self._scheduler.start()

    def stop(self) -> None:
        """Stop speaking up."""
        if self._scheduler:
            self._scheduler.stop()
            self._scheduler = None

    def _changed(self) -> None:
        if self._scheduler:
            self._scheduler.poke()

    def fire_due(self, now: float) -> list[str]:
        """Announce every timer and reminder due at now; step recurring ones to their next time.

        What is due is read first and announced at once; the database is written after, so a
        slow disk (every write is synced) never delays the announcement. A crash in between
        can only repeat an announcement at the next start, never lose one.
        """
        said: list[str] = []
        writes: list = []
        with self._lock:
            profile = self.ctx.profile
            late: list[str] = []
            for t in self.store.timers(profile):
                if t.due is not None and t.due <= now:
                    writes.append(lambda t=t: self.store.delete_timer(profile, t.id))
                    if now - t.due > reminders.LATE_S:
                        at = datetime.fromtimestamp(t.due, self.ctx.zone)
                        late.append(
                            f"{timers.label(t)} ended at {times.clock_words(at.hour, at.minute)}"
                        )
                    else:
                        said.append(timers.finished_text(t))
            for r in self.store.reminders(profile):
                if r.due > now:
                    continue
                text = reminders.due_text(r, now)
                (late if reminders.is_late(r, now) else said).append(text)
                if r.rule:
                    rz = ZoneInfo(r.zone)
                    after = datetime.fromtimestamp(max(now, r.due), rz)
                    nxt = times.Rule.decode(r.rule).next_after(after, rz).timestamp()
                    writes.append(lambda r=r, nxt=nxt: self.store.move_reminder(profile, r.id, nxt))
                else:
                    writes.append(lambda r=r: self.store.delete_reminder(profile, r.id))
            if late:
                said.append(reminders.late_text(late))
            for text in said:
                if self._announce:
                    self._announce(text)
            for write in writes:
                write()
        return said

    # -- listing -------------------------------------------------------------------------------

    def pending_lines(self) -> list[str]:
        """Pending timers and reminders, soonest first: ISO-8601 local time, then the text."""
        now = self.ctx.clock()
        rows: list[tuple[float, str]] = []
        for t in self.store.timers(self.ctx.profile):
            left = t.remaining(now)
            state = f"{timers.label(t)}" + (f", paused with {round(left)} s left"
                                            if t.due is None else "")  # fmt: skip
            rows.append((now + left if t.due is None else t.due, f"timer: {state}"))
        for r in self.store.reminders(self.ctx.profile):
            rule = f" ({times.Rule.decode(r.rule).describe()})" if r.rule else ""
            kind = "alarm" if r.alarm else "reminder"
            text = "" if r.alarm and r.text == "alarm" else f": {r.text}"
            rows.append((r.due, f"{kind}{text}{rule}"))
        rows.sort(key=lambda row: row[0])
        zone = self.ctx.zone
        return [
            f"{datetime.fromtimestamp(due, zone).isoformat(timespec='seconds')}  {text}"
            for due, text in rows
        ]
