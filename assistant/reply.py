"""A reply as it is prepared, played and heard, and the word cues that steer turn-taking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant import events as ev


@dataclass
class Chunk:
    """One spoken piece of a reply and when its audio plays on the session timeline."""

    text: str
    start: float | None
    end: float | None


@dataclass
class Reply:
    """A reply being generated or played, and what of it the user has heard."""

    user_text: str
    announcement: bool = False
    chunks: list[Chunk] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)
    command: bool = False
    failed: bool = False
    first_audio_at: float | None = None
    until: float = 0.0  # when its audio ends
    cut_at: float | None = None  # when the user cut it off
    cancelled: bool = False  # cut off while still being generated
    # A reply prepared at a pause in the user's speech (speculation): its audio is held back
    # until the turn is confirmed over, and it is thrown away if the user goes on.
    hold: bool = False
    held: list[tuple[str, list[np.ndarray]]] = field(default_factory=list)
    utterance_start: float | None = None
    said: str = ""
    carried: str = ""  # words carried into this turn from one the user talked over
    confirmed: bool = False  # the utterance it answers is over (not just paused)
    commit_at: float | None = None  # plays early once the pause has lasted until then
    # Voice heard after its pause while it was held, in blips each too short to be speech:
    # together they are the user going on once they reach min_speech_ms.
    voice_after_s: float = 0.0
    speech_end: float | None = None
    discarded: bool = False
    # A skill's answer rehearsed at the pause (nothing done yet): voiced like any prepared
    # reply, acted on only once the turn is confirmed over.
    answer: str | None = None
    rehearsed: bool = False
    turn: ev.Turn | None = None

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.chunks)

    def shift(self, since: float, by: float) -> None:
        """Move the times at or after `since` `by` seconds later (it was paused, then resumed).

        A chunk that was playing at the pause keeps its start, so a cut later in it counts the
        pause as played: at most a few words more than were heard.
        """
        if self.first_audio_at is not None and self.first_audio_at >= since:
            self.first_audio_at += by  # paused before its first sound
        for c in self.chunks:
            if c.start is not None and c.start >= since:
                c.start += by
            if c.end is not None and c.end >= since:
                c.end += by
        if self.until >= since:
            self.until += by

    def heard(self, cut_at: float | None) -> str:
        """The reply as far as it was played before `cut_at` (all of it if None)."""
        if cut_at is None:
            return self.text
        out = []
        for c in self.chunks:
            if c.start is None or c.end is None or c.start >= cut_at:
                break
            if c.end <= cut_at:
                out.append(c.text)
            else:  # cut inside this chunk: keep the share of its words that was played
                words = c.text.split()
                share = (cut_at - c.start) / max(c.end - c.start, 1e-6)
                out.append(" ".join(words[: int(len(words) * share)]))
        return " ".join(w for w in out if w)


_STOP = {
    "stop",
    "stop it",
    "stop talking",
    "be quiet",
    "quiet",
    "shut up",
    "enough",
    "hush",
    "okay stop",
    "ok stop",
    "please stop",
    "stop please",
    "that's enough",
}


# Words a sentence does not end on: after them the speaker is only pausing.
_GOES_ON_WORDS = """and but or so because um uh er erm hmm the a an to of with for from like if
then that this my your our their his her its is are was were be in on at about which who when
where than as into onto by not also just very really"""
_GOES_ON = frozenset(_GOES_ON_WORDS.split())


def sounds_unfinished(said: str) -> bool:
    """Whether an utterance sounds cut short: it ends on a comma or dash, or on "and", "um"...

    Stricter than `not sounds_finished`: words without a final stop are neither (the speech
    recogniser often leaves it off a short command).
    """
    text = said.strip()
    words = re.findall(r"[a-z']+", text.lower())
    if not words:
        return False
    return text.endswith(("...", "…", ",", "-", "—")) or (
        text[-1].isalpha() and words[-1] in _GOES_ON
    )


def sounds_finished(said: str) -> bool:
    """Whether an utterance sounds complete (an end-of-turn cue, besides the silence)."""
    text = said.strip()
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 2 or text.endswith(("...", "…", ",", "-")):
        return False
    return text[-1] in ".?!" and words[-1] not in _GOES_ON


def is_stop(text: str) -> bool:
    """Whether the user only told it to stop talking."""
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split()) in _STOP
