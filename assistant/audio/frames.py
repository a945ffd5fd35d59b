"""Pure helpers for PCM audio as float32 numpy arrays in [-1, 1] (no devices here)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile
import soxr

from assistant.errors import AssistantError

RATE = 16_000  # everything upstream of the speaker runs at 16 kHz mono


def to_mono(pcm: np.ndarray) -> np.ndarray:
    """Average channels of a (frames, channels) array into one float32 channel."""
    pcm = np.asarray(pcm, dtype=np.float32)
    return pcm.mean(axis=1, dtype=np.float32) if pcm.ndim == 2 else pcm


def resample(pcm: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a mono float32 signal (high quality, soxr)."""
    if rate_in == rate_out or len(pcm) == 0:
        return np.asarray(pcm, dtype=np.float32)
    return soxr.resample(pcm, rate_in, rate_out).astype(np.float32, copy=False)


def lay_out(
    blocks: Iterable[tuple[float, np.ndarray]], t0: float, t1: float, rate: int
) -> np.ndarray:
    """Blocks of audio at `rate` that start at the given times, as one 16 kHz signal from t0 to t1.

    Silence where no block plays; where blocks overlap the later one wins.
    """
    n = max(0, round((t1 - t0) * rate))
    out = np.zeros(n, np.float32)
    for start, pcm in blocks:
        at = round((start - t0) * rate)
        lo, hi = max(0, at), min(n, at + len(pcm))
        if lo < hi:
            out[lo:hi] = pcm[lo - at : hi - at]
    pcm16 = resample(out, rate, RATE)
    want = max(0, round((t1 - t0) * RATE))
    if len(pcm16) < want:
        pcm16 = np.concatenate([pcm16, np.zeros(want - len(pcm16), np.float32)])
    return pcm16[:want]


def to_int16(pcm: np.ndarray) -> np.ndarray:
    """Convert float audio to 16-bit integers, clipping."""
    return (np.clip(pcm, -1.0, 1.0) * 32767.0).astype(np.int16)


def read_audio(path: Path, rate: int = RATE) -> np.ndarray:
    """Read any WAV/FLAC/OGG file as mono float32 at `rate`; a clear error if it cannot be read."""
    if not path.is_file():
        raise AssistantError(f"input file not found: {path}")
    try:
        pcm, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise AssistantError(f"cannot read audio file {path}: {e}") from None
    return resample(to_mono(pcm), file_rate, rate)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    """Write mono float32 audio as a 16-bit PCM WAV file."""
    try:
        soundfile.write(str(path), to_int16(pcm), rate, subtype="PCM_16")
    except (OSError, soundfile.LibsndfileError, RuntimeError) as e:
        raise AssistantError(f"cannot write audio file {path}: {e}") from None


# A synthesized sentence starts with 20-60 ms of near-silence (piper's pause before the first
# phoneme; its length is random, up to 220 ms seen, sometimes with a faint hiss at -70 to -90 dBFS
# in it). Before a reply's first word that is only more waiting. It is judged in 5 ms blocks by
# loudness, not by single samples (the hiss has samples over -60 dBFS), and 5 ms are kept so the
# onset is never clipped.
_LEAD_IN_FLOOR_DB = -55.0
_LEAD_IN_BLOCK_S = 0.005
_LEAD_IN_KEEP_S = 0.005


def without_lead_in(pcms: list[np.ndarray], rate: int) -> list[np.ndarray]:
    """The audio from 5 ms before its first 5 ms louder than -55 dBFS; all of it if quieter."""
    n = max(1, round(_LEAD_IN_BLOCK_S * rate))
    floor = 10 ** (_LEAD_IN_FLOOR_DB / 10)  # mean square
    for i, pcm in enumerate(pcms):
        k = len(pcm) // n
        blocks = np.square(pcm[: k * n].reshape(k, n), dtype=np.float64).mean(axis=1)
        loud = np.flatnonzero(blocks > floor)
        if len(loud):
            start = max(0, int(loud[0]) * n - round(_LEAD_IN_KEEP_S * rate))
            return [pcm[start:], *pcms[i + 1 :]]
    return pcms


def rms_db(pcm: np.ndarray) -> float:
    """Loudness of a block in dBFS (-120 for digital silence)."""
    if len(pcm) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))
    return 20.0 * np.log10(max(rms, 1e-6))
