"""Turn-taking: a pure state machine over (speech probability, time) that finds turns.

It knows nothing of audio or models, so it replays exactly in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import VadConfig

# Times are sums of 32 ms chunk steps in floating point: five chunks after t come to 0.16 s or
# to 0.15999999 s depending on t (38% of start times), and two silent chunks fall short of 64 ms
# for most of them, so a pause was found one chunk (32 ms) late in over half of all turns.
# Every "has lasted at least" test allows this much.
TIME_SLACK_S = 1e-6


def lasted(duration_s: float, at_least_s: float) -> bool:
    """Whether a duration made of chunk steps reaches `at_least_s` (see TIME_SLACK_S)."""
    return duration_s >= at_least_s - TIME_SLACK_S


@dataclass(frozen=True)
class Started:
    """Speech began at `t` (reported once it has lasted long enough to be real)."""

    t: float


@dataclass(frozen=True)
class Onset:
    """Voice since `t`, for `onset_ms`: maybe speech, not yet long enough to be sure.

    The earliest sign that the user may be talking (over a reply: pause it at once). Reported
    once per stretch of voice that has not become speech; `Started` follows if it goes on.
    """

    t: float


@dataclass(frozen=True)
class Paused:
    """The speech that began at `start` has paused since `end`: the turn may be over.

    Reported once per pause after `speculate_ms` below `pause_release` (Silero falling off
    after the last word counts: `end` is the last chunk at or over it), long before
    `end_silence_ms` below `release` confirms the end, so a reply can be prepared while it is
    not yet sure. Only voice at or over `pause_release` is going on (Resumed).
    """

    start: float
    end: float


@dataclass(frozen=True)
class Resumed:
    """Speech went on at `t` after a pause: the turn was not over."""

    t: float


@dataclass(frozen=True)
class Ended:
    """Speech that began at `start` ended at `end`; `forced` if cut at the maximum length."""

    start: float
    end: float
    forced: bool = False


class Endpointer:
    """Tracks idle → maybe speech → speech → idle from one probability per chunk.

    Speech starts when the probability reaches `threshold` and stays above `release` for
    `min_speech_ms`; it ends after `end_silence_ms` below `release`. Hysteresis between the two
    thresholds keeps soft syllables inside a turn. `onset_ms` into that wait it reports an Onset.
    """

    def __init__(self, config: VadConfig) -> None:
        self.config = config
        # Set while a reply is paused by the voice now being judged (barge-in): that voice is
        # confirmed as speech down to `barge_in_release` (the engine sets and clears it).
        self.reply_paused = False
        self.reset()

    def reset(self) -> None:
        self._state = "idle"
        self._start = 0.0
        self._last_voiced_end = 0.0
        self._last_strong_end = 0.0  # end of the last chunk at or over pause_release
        self._paused = False
        self._onset_told = False
        self._end_silence_s = self.config.end_silence_ms / 1000
        self._fragment: tuple[float, float] | None = None

    @property
    def fragment(self) -> tuple[float, float] | None:
        """(start, end) of the last voice that came to nothing (too short to be speech)."""
        return self._fragment

    def wait_longer(self, end_silence_ms: int) -> None:
        """End the current pause only after end_silence_ms of silence (the words sound unfinished).

        It holds until the speech resumes or ends; a longer configured end silence is kept.
        """
        if self._state == "speech":
            self._end_silence_s = max(self._end_silence_s, end_silence_ms / 1000)

    @property
    def in_speech(self) -> bool:
        return self._state == "speech"

    @property
    def idle(self) -> bool:
        """Whether no voice is being heard (neither maybe-speech nor speech)."""
        return self._state == "idle"

    @property
    def last_voiced_end(self) -> float:
        """End of the last chunk that counted as voice."""
        return self._last_voiced_end

    def update(
        self, prob: float, t: float, duration: float
    ) -> Onset | Started | Paused | Resumed | Ended | None:
        """Advance by one chunk [t, t + duration) whose speech probability is `prob`."""
        c = self.config
        end = t + duration
        if self._state == "idle":
            if prob >= c.threshold:
                self._state, self._start, self._last_voiced_end = "maybe", t, end
                self._last_strong_end = end
                self._onset_told = False
                return self._onset(end)
            return None
        voiced = prob >= c.release
        if self._state == "maybe":
            if self.reply_paused:
                voiced = prob >= min(c.release, c.barge_in_release)
            if not voiced:
                self._state = "idle"
                self._fragment = (self._start, self._last_voiced_end)
                return None
            self._last_voiced_end = self._last_strong_end = end
            if lasted(end - self._start + self._joined_s(), c.min_speech_ms / 1000):
                self._state = "speech"
                return Started(self._start)
            return self._onset(end)
        # speech
        if lasted(end - self._start, c.max_utterance_s):
            return self._finish(end, forced=True)
        if voiced:
            self._last_voiced_end = end
        if prob >= max(c.release, c.pause_release):
            self._last_strong_end = end
            if self._paused:
                self._paused = False
                self._end_silence_s = c.end_silence_ms / 1000
                return Resumed(t)
            return None
        # A chunk between release and pause_release (Silero falling off after the last word)
        # keeps the turn going but starts the pause in which a reply is prepared.
        silent_for = end - self._last_voiced_end
        if not voiced and lasted(silent_for, self._end_silence_s):
            return self._finish(self._last_voiced_end, forced=False)
        quiet_for = end - self._last_strong_end
        if c.speculate_ms and not self._paused and lasted(quiet_for, c.speculate_ms / 1000):
            self._paused = True
            return Paused(self._start, self._last_strong_end)
        return None

    def _joined_s(self) -> float:
        """Voice of the fragment just before this one, which counts toward min_speech_ms.

        A short word said softly can come as two bursts, each too short to be speech ("pause":
        Silero 128 ms, then 96 ms 0.25 s later through PulseAudio): together they are.
        """
        fragment = self.joined_fragment(self._start)
        return 0.0 if fragment is None else fragment[1] - fragment[0]

    def joined_fragment(self, start: float) -> tuple[float, float] | None:
        """The fragment (see `fragment`) close enough before voice at `start` to be part of it."""
        fragment = self._fragment
        if fragment is None or not lasted(self.config.fragment_join_ms / 1000, start - fragment[1]):
            return None
        return fragment

    def _onset(self, end: float) -> Onset | None:
        """An Onset once the voice since self._start has lasted onset_ms (short of speech)."""
        c = self.config
        if self._onset_told or not c.onset_ms or not lasted(end - self._start, c.onset_ms / 1000):
            return None
        self._onset_told = True
        return Onset(self._start)

    def flush(self) -> Ended | None:
        """End speech in progress because the input ended."""
        if self._state == "speech":
            return self._finish(self._last_voiced_end, forced=False)
        self.reset()
        return None

    def _finish(self, end: float, forced: bool) -> Ended:
        ended = Ended(self._start, end, forced)
        self.reset()
        return ended
