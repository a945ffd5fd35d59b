"""What the window shows, derived from engine events: the app's state and the conversation.

Qt-free, so the rules are tested directly; the window only renders what these objects hold.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant import events as ev


class State(enum.Enum):
    """The state shown in the window's indicator and the tray icon."""

    LOADING = "loading"
    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    PAUSED = "paused"  # a reply went silent: voice was heard over it (barge-in), maybe the user's
    ERROR = "error"

    @property
    def label(self) -> str:
        return {
            State.LOADING: "Loading…",
            State.IDLE: "Idle",
            State.LISTENING: "Listening",
            State.THINKING: "Thinking",
            State.SPEAKING: "Speaking",
            State.PAUSED: "Paused",
            State.ERROR: "Not ready",
        }[self]


# A reply that ends within this of where it paused was cut there (the user talked over it).
_SAME_S = 0.05


def _name(event: ev.Event) -> str:
    # By class name, so events added to assistant.events later need no import-time coupling.
    return type(event).__name__


class StateTracker:
    """Follows engine events and says which State the app is in and how loud the mic is."""

    FLOOR_DB = -60.0  # the level meter's bottom

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.ready = False
        self.failed = False
        self.listening = False
        self.busy: State | None = None  # THINKING, SPEAKING or PAUSED while a turn is under way
        self.level_db = self.FLOOR_DB
        self._speech_started: tuple[float, float] | None = None  # (session t, wall time)
        self._speaking_until: float | None = None
        self._paused_at: float | None = None  # session t the reply went silent, while paused

    def feed(self, event: ev.Event) -> None:
        """Update the state from one event."""
        name = _name(event)
        if name == "Ready":
            self.ready, self.failed = True, False
        elif name == "Error" and not self.ready:
            self.failed = True
        elif name == "ListeningChanged":
            self.listening = bool(event.on)  # type: ignore[attr-defined]
            if not self.listening:
                self.level_db = self.FLOOR_DB
        elif name == "MicLevel":
            self.level_db = max(self.FLOOR_DB, min(0.0, float(event.db)))  # type: ignore[attr-defined]
        elif name in ("SpeechEnded", "Thinking"):
            self.busy = State.THINKING
            self._speaking_until = self._paused_at = None
        elif name == "SpeakingStarted":
            self.busy = State.SPEAKING
            self._speech_started = (event.t, self.clock())  # type: ignore[attr-defined]
        elif name == "SpeakingPaused" and self.busy is State.SPEAKING:
            self.busy, self._paused_at = State.PAUSED, event.t  # type: ignore[attr-defined]
        elif name == "SpeakingResumed" and self._paused_at is not None:
            # It plays on from where it paused: its audio ends as much later as it was silent.
            shift = max(0.0, event.t - self._paused_at)  # type: ignore[attr-defined]
            if self._speaking_until is not None:
                self._speaking_until += shift
            self.busy, self._paused_at = State.SPEAKING, None
        elif (
            name == "SpeakingEnded"
            and self._paused_at is not None
            and event.t <= self._paused_at + _SAME_S  # type: ignore[attr-defined]
        ):
            # Cut where it paused: it was the user talking over it, and nothing more plays.
            self.busy, self._speaking_until, self._paused_at = None, None, None
        elif name == "SpeakingEnded" and self._speech_started is not None:
            # The event comes when the last chunk is queued; the audio ends t - t0 after it began
            # (t counts any pause it was resumed from).
            t0, wall0 = self._speech_started
            self._speaking_until = wall0 + max(0.0, event.t - t0)  # type: ignore[attr-defined]
        elif name == "Turn":
            if self._paused_at is not None or (
                self.busy is State.SPEAKING and self._speaking_until is not None
            ):
                pass  # stays SPEAKING (or PAUSED) until the audio has played (see tick)
            else:
                self.busy = None
        elif name == "Listening":
            # The voice loop emits this once a turn's audio has finished playing.
            self.busy, self._speaking_until, self._paused_at = None, None, None

    def tick(self) -> None:
        """Let time pass: a reply whose audio has finished playing is no longer SPEAKING."""
        if self._paused_at is not None:
            return  # a paused reply's audio is not running out
        if self._speaking_until is not None and self.clock() >= self._speaking_until:
            self.busy, self._speaking_until = None, None

    @property
    def state(self) -> State:
        """The state to show now."""
        if not self.ready:
            return State.ERROR if self.failed else State.LOADING
        if self.busy is not None:
            return self.busy
        return State.LISTENING if self.listening else State.IDLE

    @property
    def level(self) -> float:
        """The mic level as a fraction of the meter (0 = silence or not listening, 1 = full)."""
        if not self.listening:
            return 0.0
        return (self.level_db - self.FLOOR_DB) / -self.FLOOR_DB


@dataclass
class Entry:
    """One bubble of the conversation."""

    role: str  # "user", "assistant" or "note"
    text: str = ""
    done: bool = False  # False while the words are still coming
    interrupted: bool = False
    kind: str = ""  # "announcement" or "error" for special entries


class Conversation:
    """The conversation as the window shows it, built from events.

    `on_change(index)` is called for each entry added or changed (index == len-1 when added), and
    with -1 when an entry was removed (the view redraws all).
    """

    def __init__(self, on_change: Callable[[int], None] | None = None) -> None:
        self.entries: list[Entry] = []
        self.on_change = on_change or (lambda i: None)
        self._announcing = ""  # an announcement's text, whose spoken sentences are not new words

    def _open(self, role: str) -> int | None:
        """The index of the last entry if it has this role and is still open."""
        if self.entries and self.entries[-1].role == role and not self.entries[-1].done:
            return len(self.entries) - 1
        return None

    def _add(self, entry: Entry) -> int:
        self.entries.append(entry)
        self.on_change(len(self.entries) - 1)
        return len(self.entries) - 1

    def _changed(self, i: int) -> None:
        self.on_change(i)

    def add_user_text(self, text: str) -> None:
        """The user typed this (shown at once, before the engine picks it up)."""
        self._add(Entry("user", text, done=True))

    def feed(self, event: ev.Event) -> None:
        """Update the conversation from one event."""
        name = _name(event)
        if name == "ReplySentence" and self._announcing:
            text = event.text  # type: ignore[attr-defined]
            if text in self._announcing:
                self._announcing = self._announcing.replace(text, "", 1)
                return
        if name not in ("ReplySentence", "MicLevel"):
            self._announcing = ""
        if name == "SpeechStarted":
            if self._open("user") is None:
                self._add(Entry("user"))
        elif name == "PartialTranscript":
            i = self._open("user")
            if i is not None:  # the words so far, while the user may still go on
                self.entries[i].text = event.text  # type: ignore[attr-defined]
                self._changed(i)
        elif name == "Transcript":
            i = self._open("user")
            text = event.text  # type: ignore[attr-defined]
            last = self.entries[-1] if self.entries else None
            if i is None and last is not None and last.role == "user" and last.text == text:
                return  # the same words again: a reply begun at a pause was dropped
            if i is None and text:
                self._add(Entry("user", text, done=True))
            elif i is not None and text:
                self.entries[i].text, self.entries[i].done = text, True
                self._changed(i)
            elif i is not None:  # nothing intelligible: the placeholder goes
                del self.entries[i]
                self.on_change(-1)
        elif name == "Thinking":
            text = event.user_text  # type: ignore[attr-defined]
            last = self.entries[-1] if self.entries else None
            if last is not None and last.role == "user" and last.text == text:
                return  # already shown (typed, or transcribed)
            i = self._open("user")
            if i is not None:
                self.entries[i].text, self.entries[i].done = text, True
                self._changed(i)
            else:
                self._add(Entry("user", text, done=True))
        elif name == "ReplySentence":
            text = event.text  # type: ignore[attr-defined]
            i = self._open("assistant")
            if i is None:
                self._add(Entry("assistant", text))
            else:
                self.entries[i].text = f"{self.entries[i].text} {text}".strip()
                self._changed(i)
        elif name == "Announcement":
            text = event.text  # type: ignore[attr-defined]
            self._add(Entry("assistant", text, done=True, kind="announcement"))
            self._announcing = text
        elif name == "Turn":
            i = self._open("assistant")
            interrupted = bool(event.interrupted)  # type: ignore[attr-defined]
            if i is None:
                if event.reply_text or interrupted:  # type: ignore[attr-defined]
                    self._add(Entry("assistant", event.reply_text, True, interrupted))  # type: ignore[attr-defined]
                return
            entry = self.entries[i]
            entry.done, entry.interrupted = True, interrupted
            if not interrupted and event.reply_text:  # type: ignore[attr-defined]
                entry.text = event.reply_text  # type: ignore[attr-defined]
            self._changed(i)
        elif name == "Error":
            self._add(Entry("note", event.message, done=True, kind="error"))  # type: ignore[attr-defined]
