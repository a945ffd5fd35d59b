"""The echo guard: is the voice in a microphone chunk the user, or what is left of our own reply?

An echo canceller (PulseAudio/PipeWire module-echo-cancel) removes most of the reply from the
microphone, but not all: measured on a looped-back speaker (tests/test_echo_loop.py) its residual
reaches -30..-40 dBFS now and then (17-40 dB under the reply), enough for Silero to call it speech
and, with barge-in on, for the reply to cut itself off. The user talking over the reply is not much
louder there: the canceller's double-talk suppression brings them down to -22..-38 dBFS too.

So level alone cannot tell them apart; the spectrum can. The residual echo only has energy where
the reply had it a moment before, while the user's voice has its own pitch and formants. For each
32 ms chunk the guard compares the microphone's power in 20 frequency bands with the loudest the
reply was in each band over the echo path (`before_s` back to `after_s` ahead, since the device
and the canceller delay the echo by tens of ms): a band is unexplained when it is louder than
`echo_gain_db` below the reply plus `margin_db`. A chunk is the user's when at least `share` of
its power is in unexplained bands, or when the reply was silent all that time (a Geigel-style
double-talk detector, per band).

Measured on four captures of a 13 s piper reply through module-echo-cancel (webrtc) on a
full-scale loop (see README, "Barge-in and echo"): without the guard its residual echo started 2
turns and 3 more onsets; with it none, while the user's words said over the reply were each heard
from their first voiced chunk.
"""

from __future__ import annotations

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
    (DeviceSpeaker.reference, FileSpeaker.reference). Stateless between chunks, so it can be asked
    about any chunk in any order; it only looks at the reference, never changes it.
    """

    def __init__(
        self,
        reference: Callable[[float, float], np.ndarray],
        echo_gain_db: float = -15.0,
        margin_db: float = 6.0,
        share: float = 0.4,
        before_s: float = 0.25,
        after_s: float = 0.05,
        silent_db: float = -60.0,
    ) -> None:
        self.reference = reference
        # A band is unexplained above gain + margin relative to the reply's loudest in that band.
        self._limit = 10 ** ((echo_gain_db + margin_db) / 10)
        self.share = share
        self.before_s = before_s
        self.after_s = after_s
        # Mean power per sample of a frame that counts as the reply being silent.
        self._silent = 10 ** (silent_db / 10)
        self.checked = 0  # chunks asked about (for tests and measurements)
        self.echoes = 0  # of which explained by the echo
        self.reply_audible = False  # whether the reply could be heard in the last chunk asked

    def is_echo(self, chunk: np.ndarray, t: float) -> bool:
        """Whether the chunk that reached the mic at session time `t` is explained by our echo.

        False whenever the reply was silent over the echo path: then any voice is the user's.
        """
        self.checked += 1
        self.reply_audible = False
        end = t + len(chunk) / RATE
        ref = np.asarray(self.reference(t - self.before_s, end + self.after_s), np.float64)
        if len(ref) < _N or float(np.max(np.abs(ref), initial=0.0)) == 0.0:
            return False
        frames = np.lib.stride_tricks.sliding_window_view(ref, _N)[::_HOP]
        if float(np.max(np.mean(frames**2, axis=1))) < self._silent:
            return False
        self.reply_audible = True
        reply = band_powers(frames).max(axis=0)
        x = np.zeros(_N)
        x[: min(len(chunk), _N)] = chunk[:_N]
        mic = band_powers(x[None, :])[0]
        total = float(mic.sum())
        if total <= 0.0:
            return False
        unexplained = float(mic[mic > self._limit * reply].sum())
        echo = unexplained < self.share * total
        self.echoes += echo
        return echo


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
