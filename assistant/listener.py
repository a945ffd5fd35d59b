"""The listener: microphone frames → VAD probabilities → endpointing → whole utterances."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from assistant.audio.echo_guard import EchoGuard
from assistant.audio.frames import RATE
from assistant.audio.ports import Frame
from assistant.config import VadConfig
from assistant.endpointing import Ended, Endpointer, Onset, Paused, Resumed, Started
from assistant.stages.vad import CHUNK, VoiceDetector

_CHUNK_S = CHUNK / RATE
# With an echo guard: voiced chunks in a row it must not explain before the voice is the user's.
USER_CHUNKS = 2
_DIGITAL_SILENCE = 1e-4  # peak level (-80 dBFS, ~3 LSB of 16-bit audio) of no sound at all


@dataclass(frozen=True)
class Utterance:
    """One spoken turn: the audio (with pre- and post-roll) and when speech began and ended."""

    pcm: np.ndarray
    start: float
    end: float
    forced: bool = False
    tentative: bool = False  # a pause, not yet the confirmed end (the user may go on)


class Listener:
    """Finds utterances in a stream of frames of any size.

    Keeps a short history so an utterance includes `pre_roll_ms` before speech was detected
    (first syllables are quiet and the VAD is late on them).
    """

    def __init__(self, vad: VoiceDetector, config: VadConfig) -> None:
        self.vad = vad
        self.config = config
        self.endpointer = Endpointer(config)
        # Enough for the pre-roll before a fragment of voice that may join the speech (_event).
        keep_s = (
            config.pre_roll_ms + config.fragment_join_ms + 2 * config.min_speech_ms
        ) / 1000 + 4 * _CHUNK_S
        self._history: deque[tuple[float, np.ndarray]] = deque(maxlen=int(keep_s / _CHUNK_S) + 1)
        self._pending = np.zeros(0, np.float32)
        self._pending_t = 0.0
        self._utterance: list[tuple[float, np.ndarray]] | None = None
        self.level_db = -120.0  # loudness of the latest chunk, for a level meter
        # With barge-in where the mic hears the speaker (an echo canceller's residual): voice the
        # guard explains as our own echo is not speech (see _step). None: every voice counts.
        self.guard: EchoGuard | None = None
        self._user = False  # the current stretch of voice was found to be the user's
        self._user_chunks = 0  # voiced chunks in a row the guard did not explain
        self._held: list[tuple[float, float]] = []  # their (probability, time), held back

    @property
    def in_speech(self) -> bool:
        """Whether the user is in the middle of a turn."""
        return self.endpointer.in_speech

    @property
    def heard_until(self) -> float:
        """End of the audio judged so far (the session time of the next chunk)."""
        return self._pending_t

    @property
    def voiced_until(self) -> float:
        """End of the last chunk of the speech in progress heard as voice (0 outside speech).

        A pause in which a reply is prepared may start while Silero still hears some voice
        (see VadConfig.pause_release); silence is counted from here.
        """
        e = self.endpointer
        return e.last_voiced_end if e.in_speech else 0.0

    def quiet_for(self, t: float) -> float:
        """How long before `t` the last voice was heard (0 while voice may be speech)."""
        e = self.endpointer
        return max(0.0, t - e.last_voiced_end) if e.idle else 0.0

    def reset(self) -> None:
        """Forget all audio and state (after the assistant has spoken, in half-duplex)."""
        self.vad.reset()
        self.endpointer.reset()
        self._history.clear()
        self._pending = np.zeros(0, np.float32)
        self._utterance = None
        self._user = False
        self._user_chunks = 0
        self._held = []

    def feed(self, frame: Frame) -> list[Onset | Started | Resumed | Utterance]:
        """Add a frame; return the onsets, speech starts and finished utterances it completed."""
        if len(self._pending) == 0:
            self._pending_t = frame.t
        self._pending = np.concatenate([self._pending, frame.pcm.astype(np.float32, copy=False)])
        out: list[Onset | Started | Resumed | Utterance] = []
        while len(self._pending) >= CHUNK:
            chunk, self._pending = self._pending[:CHUNK], self._pending[CHUNK:]
            t = self._pending_t
            self._pending_t += _CHUNK_S
            out.extend(self._step(chunk, t))
        return out

    def flush(self) -> Utterance | None:
        """Finish speech in progress at the end of the input."""
        ended = self.endpointer.flush()
        return self._cut(ended) if ended else None

    def _step(self, chunk: np.ndarray, t: float) -> list[Onset | Started | Resumed | Utterance]:
        self._history.append((t, chunk))
        if self._utterance is not None:
            self._utterance.append((t, chunk))
        self.level_db = float(20 * np.log10(max(float(np.sqrt(np.mean(chunk**2))), 1e-6)))
        # Digital silence (a file's, or a virtual device's with nothing playing) is not speech,
        # and is kept from Silero: seconds of it left the model deaf to a soft word that
        # followed ("nevermind" peaked at 0.50 after 3 s of zeros, 0.83 without them).
        silent = float(np.max(np.abs(chunk), initial=0.0)) < _DIGITAL_SILENCE
        prob = 0.0 if silent else self.vad.probability(chunk)
        voiced = prob >= self.config.release
        if self.guard is not None:
            self.guard.observe(chunk, t)
        replay: list[tuple[float, float]] = []
        if not voiced:
            self._user_chunks, self._user, self._held = 0, False, []
        elif self.guard is not None and not self._user:
            # Voice the reply's echo explains is held below `release`, so it never makes an
            # Onset, Started or Resumed. It is the user's once USER_CHUNKS voiced chunks in a row
            # are not explained (one is not enough: the canceller now and then lets a 32 ms burst
            # of the reply through nearly whole); then the rest of that stretch of voice is
            # theirs (the echo goes on under their words and must not break them up). After a
            # pause it is judged again: an early reply may have begun to play in it.
            echo = self.guard.is_echo(chunk, t)
            self._user_chunks = 0 if echo else self._user_chunks + 1
            # (While no reply is audible there is no echo to fear: at once.)
            self._user = self._user_chunks >= USER_CHUNKS or not self.guard.reply_audible
            if self._user:
                # The unexplained chunks held back before this one were theirs too: given to the
                # endpointer now, so the wait for a second chunk costs no latency.
                replay, self._held = self._held, []
            else:
                self._held = [] if echo else [*self._held, (prob, t)]
                prob = 0.0
        updates = [*replay, (prob, t)]
        events = [self._event(self.endpointer.update(p, ct, _CHUNK_S)) for p, ct in updates]
        return [e for e in events if e is not None]

    def _event(
        self, event: Onset | Started | Paused | Resumed | Ended | None
    ) -> Onset | Started | Resumed | Utterance | None:
        """What an endpointer event means for the listener (an utterance cut, or passed on)."""
        if isinstance(event, Started):
            start = event.t
            fragment = self.endpointer.joined_fragment(start)
            if fragment is not None:
                # Voice just before, too short to count on its own, is the start of what they
                # say ("ask … not"): without it Whisper heard nothing in "not". The pre-roll
                # goes before it, as before any speech (Silero is as late on it).
                start = fragment[0]
            since = start - self.config.pre_roll_ms / 1000
            self._utterance = [(ct, c) for ct, c in self._history if ct + _CHUNK_S > since]
            return event
        if isinstance(event, Ended):
            # Judge what comes next afresh: after a long utterance Silero's recurrent state kept
            # a soft short word said 3 s later ("nevermind") under the threshold (peak 0.13 vs
            # 0.83 from a fresh state), so a user talking over the reply went unheard.
            self.vad.reset()
            return self._cut(event)
        if isinstance(event, Paused):
            return self._cut(event, keep=True)
        return event  # Onset, Resumed or None

    def _cut(self, ended: Ended | Paused, keep: bool = False) -> Utterance:
        until = ended.end + self.config.post_roll_ms / 1000
        chunks = [c for ct, c in (self._utterance or []) if ct < until]
        if not keep:
            self._utterance = None
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        if isinstance(ended, Paused):
            return Utterance(pcm, ended.start, ended.end, tentative=True)
        return Utterance(pcm, ended.start, ended.end, ended.forced)
