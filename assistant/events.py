"""The small, closed vocabulary of things that happen in the assistant, loggable as JSON lines.

The engine emits these; the terminal, the `--events` file and the window observe them.
Times called `t` are seconds on the session timeline (0 = the first microphone sample).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, Protocol


@dataclass(frozen=True)
class Event:
    """Base of all events; `type` names the event on the wire."""

    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict with its type first."""
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Ready(Event):
    """Models are loaded; `load_ms` is how long that took."""

    type: ClassVar[str] = "ready"
    load_ms: float = 0.0


@dataclass(frozen=True)
class Listening(Event):
    """The assistant is waiting for the user to speak."""

    type: ClassVar[str] = "listening"
    t: float = 0.0


@dataclass(frozen=True)
class SpeechStarted(Event):
    """The user started speaking at `t`."""

    type: ClassVar[str] = "speech_started"
    t: float = 0.0


@dataclass(frozen=True)
class SpeechEnded(Event):
    """The user stopped speaking at `t` (confirmed after the end-of-turn silence)."""

    type: ClassVar[str] = "speech_ended"
    t: float = 0.0


@dataclass(frozen=True)
class Transcript(Event):
    """What the user said; empty text means nothing intelligible (no turn follows)."""

    type: ClassVar[str] = "transcript"
    text: str = ""
    stt_ms: float = 0.0


@dataclass(frozen=True)
class PartialTranscript(Event):
    """What the user has said so far, heard at a pause while they may still go on."""

    type: ClassVar[str] = "partial_transcript"
    text: str = ""


@dataclass(frozen=True)
class Thinking(Event):
    """The language model started on a reply to `user_text`."""

    type: ClassVar[str] = "thinking"
    user_text: str = ""


@dataclass(frozen=True)
class ReplySentence(Event):
    """One sentence of the reply, sent to the voice."""

    type: ClassVar[str] = "reply_sentence"
    text: str = ""


@dataclass(frozen=True)
class SpeakingStarted(Event):
    """The first reply audio of a turn starts playing at `t`."""

    type: ClassVar[str] = "speaking_started"
    t: float = 0.0


@dataclass(frozen=True)
class SpeakingEnded(Event):
    """The reply audio of a turn finishes playing at `t`."""

    type: ClassVar[str] = "speaking_ended"
    t: float = 0.0


@dataclass(frozen=True)
class SpeakingPaused(Event):
    """The reply went silent at `t`: voice was heard over it (barge-in), maybe the user's.

    SpeakingEnded follows if it was their speech, SpeakingResumed if it came to nothing.
    """

    type: ClassVar[str] = "speaking_paused"
    t: float = 0.0


@dataclass(frozen=True)
class SpeakingResumed(Event):
    """A paused reply plays on from where it paused, at `t`."""

    type: ClassVar[str] = "speaking_resumed"
    t: float = 0.0


@dataclass(frozen=True)
class Turn(Event):
    """One finished exchange, with where the time went."""

    type: ClassVar[str] = "turn"
    user_text: str = ""
    reply_text: str = ""
    interrupted: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Announcement(Event):
    """The assistant speaks up unprompted (a timer ended, a reminder is due)."""

    type: ClassVar[str] = "announcement"
    text: str = ""


@dataclass(frozen=True)
class ListeningChanged(Event):
    """The microphone is now heard (`on`) or ignored (muted, push-to-talk released)."""

    type: ClassVar[str] = "listening_changed"
    on: bool = True


@dataclass(frozen=True)
class MicLevel(Event):
    """The microphone's loudness in dBFS, about ten times a second while listening."""

    type: ClassVar[str] = "mic_level"
    db: float = -120.0


@dataclass(frozen=True)
class Error(Event):
    """Something went wrong; the message is one line for the user."""

    type: ClassVar[str] = "error"
    message: str = ""


class Sink(Protocol):
    """Anything that receives events."""

    def __call__(self, event: Event) -> None: ...


class JsonLinesWriter:
    """An event sink that appends one JSON object per line to a file, flushed per event."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = json.dumps(event.to_dict(), ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class Fanout:
    """An event sink that forwards each event to several sinks."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = list(sinks)

    def __call__(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)
