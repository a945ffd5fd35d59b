"""The echo guard: is the voice in a microphone chunk the user, or what is left of our own reply?

An echo canceller (PulseAudio/PipeWire module-echo-cancel) removes most of the reply from the
microphone, but not all: measured on a looped-back speaker (tests/test_echo_loop.py) its residual
reaches -30..-40 dBFS now and then (17-40 dB under the reply), enough for Silero to call it speech
and, with barge-in on, for the reply to cut itself off. The user talking over the reply is not much
louder there: the canceller's double-talk suppression brings them down to -22..-38 dBFS too.

So level alone cannot tell them apart. Two tests can, and a voiced chunk is the user's only when
both say so:

- the spectrum: the residual echo only has energy where the reply had it a moment before, while
  the user's voice has its own pitch and formants. The mic's power in 20 bands is compared with
  the loudest the reply was in each band over the echo path (`before_s` back to `after_s` ahead:
  the devices and the canceller delay the echo by 60-90 ms on the looped-back test speaker; the
  window allows ~300 ms more either way, as the two devices' time stamps can jump under load);
  a band is unexplained when it is louder than `echo_gain_db` below the reply plus `margin_db`,
  and at least `share` of the chunk's power must be in unexplained bands (a Geigel-style
  double-talk detector, per band);
- the envelope: a canceller starved of CPU at the start of a reply removed only 0-10 dB, and
  then the spectrum is explained by nothing, but the mic's level still follows the reply's: if
  its level over the last `follow_chunks` chunks correlates with the reply's at `follows` or
  more (at 0 to `follow_lag_chunks` chunks of delay), it is the echo however loud it is.

When the reply was silent all along the echo path, any voice is the user's. The listener
(assistant.listener) adds the last rule: two such chunks in a row, since a fresh canceller now and
then lets a single 32 ms burst of the reply through nearly whole.

Measured on a full-scale looped-back speaker through module-echo-cancel (webrtc), see README,
"Checking the set-up, barge-in and echo cancellation".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from assistant.audio.frames import RATE
from assistant.config import AudioConfig

_N = 512  # the VAD's chunk: 32 ms at 16 kHz
_HOP = _N // 2
# Band edges (Hz): about a third of an octave apart over the speech range, wider at the top.
_EDGES = (100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150)
_EDGES += (3700, 4400, 5300, 6400, 7700)


def _band_matrix() -> np.ndarray:
    """A (bands, bins) 0/1 matrix that sums an rfft power spectrum of _N samples into bands."""
    freqs = np.fft.rfftfreq(_N, 1 / RATE)
    return np.array(
        [(freqs >= lo) & (freqs < hi) for lo, hi in zip(_EDGES[:-1], _EDGES[1:], strict=True)],
        np.float64,
    )


_BANDS = _band_matrix()
_WINDOW = np.hanning(_N)


def band_powers(frames: np.ndarray) -> np.ndarray:
    """Power in each band of each row of `frames` (rows of _N samples): shape (rows, bands)."""
    spectrum = np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2
    return spectrum @ _BANDS.T


class EchoGuard:
    """Says whether a microphone chunk's voice is explained by what the speaker just played.

    `reference(t0, t1)` returns what the speaker played between session times t0 and t1 at 16 kHz
    (DeviceSpeaker.reference, FileSpeaker.reference). It is told the level of every microphone
    chunk (`observe`) and asked about the voiced ones (`is_echo`); it never changes the reference.
    """

    def __init__(
        self,
        reference: Callable[[float, float], np.ndarray],
        echo_gain_db: float = -15.0,
        margin_db: float = 6.0,
        share: float = 0.4,
        before_s: float = 0.4,
        after_s: float = 0.2,
        silent_db: float = -60.0,
        follow_chunks: int = 12,
        follow_lag_chunks: int = 6,
        follows: float = 0.75,
    ) -> None:
        self.reference = reference
        # A band is unexplained above gain + margin relative to the reply's loudest in that band.
        self._limit = 10 ** ((echo_gain_db + margin_db) / 10)
        self.share = share
        self.before_s = before_s
        self.after_s = after_s
        # Mean power per sample of a frame that counts as the reply being silent.
        self._silent = 10 ** (silent_db / 10)
        # The envelope test: the mic's level over the last `follow_chunks` chunks against the
        # reply's, `follow_lag_chunks` of delay at most; correlated at `follows` or more, the
        # voice is the echo however loud it is (a canceller starved of CPU removes 0-10 dB).
        self.follow_chunks = follow_chunks
        self.follow_lag_chunks = follow_lag_chunks
        self.follows = follows
        self._levels: deque[tuple[float, float]] = deque(maxlen=follow_chunks)
        self.checked = 0  # chunks asked about (for tests and measurements)
        self.echoes = 0  # of which explained by the echo
        self.reply_audible = False  # whether the reply could be heard in the last chunk asked

    def observe(self, chunk: np.ndarray, t: float) -> None:
        """Note the level of the microphone chunk at `t` (every chunk, voiced or not, in order)."""
        self._levels.append((t, _db(chunk)))

    def is_echo(self, chunk: np.ndarray, t: float) -> bool:
        """Whether the chunk that reached the mic at session time `t` is explained by our echo.

        False whenever the reply was silent over the echo path: then any voice is the user's.
        """
        self.checked += 1
        self.reply_audible = False
        end = t + len(chunk) / RATE
        back = max(self.before_s, (self.follow_chunks - 1 + self.follow_lag_chunks) * _N / RATE)
        ref = np.asarray(self.reference(t - back, end + self.after_s), np.float64)
        near = ref[round((back - self.before_s) * RATE) :]  # the echo path: before_s back
        if len(near) < _N or float(np.max(np.abs(near), initial=0.0)) == 0.0:
            return False
        frames = np.lib.stride_tricks.sliding_window_view(near, _N)[::_HOP]
        if float(np.max(np.mean(frames**2, axis=1))) < self._silent:
            return False
        self.reply_audible = True
        echo = not self._unexplained(chunk, frames) or self._follows(ref, back, t)
        self.echoes += echo
        return echo

    def _unexplained(self, chunk: np.ndarray, frames: np.ndarray) -> bool:
        """Whether `share` of the chunk's power is in bands the reply's echo cannot explain."""
        reply = band_powers(frames).max(axis=0)
        x = np.zeros(_N)
        x[: min(len(chunk), _N)] = chunk[:_N]
        mic = band_powers(x[None, :])[0]
        total = float(mic.sum())
        return total > 0.0 and float(mic[mic > self._limit * reply].sum()) >= self.share * total

    def _follows(self, ref: np.ndarray, back: float, t: float) -> bool:
        """Whether the mic's recent levels follow the reply's (at some delay): then it is echo."""
        n = self.follow_chunks
        recent = [db for ct, db in self._levels if t - n * _N / RATE < ct <= t + 1e-6]
        if len(recent) < n:
            return False
        mic = np.array(recent)
        # The reply's level per chunk on the same grid, ending at t's chunk, lag 0 last.
        first = round((back - (n - 1 + self.follow_lag_chunks) * _N / RATE) * RATE)
        grid = ref[first : first + (n + self.follow_lag_chunks) * _N]
        if len(grid) < (n + self.follow_lag_chunks) * _N or np.std(mic) < 1e-3:
            return False
        reply = np.array([_db(c) for c in grid.reshape(-1, _N)])
        for lag in range(self.follow_lag_chunks + 1):
            seg = reply[self.follow_lag_chunks - lag : self.follow_lag_chunks - lag + n]
            if np.std(seg) > 1e-3 and np.corrcoef(mic, seg)[0, 1] >= self.follows:
                return True
        return False


def _db(x: np.ndarray) -> float:
    """Mean power in dB, floored at -80 (so silence does not dominate a correlation)."""
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-8))


def guard_for(
    speaker: object, audio: AudioConfig, barge_in: bool, file_input: bool = False
) -> EchoGuard | None:
    """The guard a conversation needs: with barge-in on where the mic can hear the speaker.

    None with barge-in off (half-duplex ignores the mic while it speaks), for file input or
    headphones (no echo: the guard would only make a user who talks softly over a loud reply
    harder to hear), or for a speaker that cannot say what it played.
    """
    reference = getattr(speaker, "reference", None)
    if not barge_in or file_input or audio.headphones or not callable(reference):
        return None
    return EchoGuard(reference)
