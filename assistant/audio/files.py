"""A microphone that replays an audio file and a speaker that records onto the file's timeline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant.audio.frames import RATE, lay_out, read_audio, resample, write_wav
from assistant.audio.ports import Clock, Frame, VirtualClock, WallClock

FRAME_SAMPLES = 512  # 32 ms, the VAD's step


class FileMicrophone:
    """Feeds a file as if spoken into a microphone: at real-time pace, or as fast as possible.

    In fast mode the clock is virtual (see VirtualClock), so timings on the timeline still reflect
    real processing time. After the file ends, `trailing_silence_s` of silence follows so that the
    end of the last utterance can be detected, as a live microphone would hear.
    """

    def __init__(
        self,
        pcm: np.ndarray,
        realtime: bool = True,
        trailing_silence_s: float = 1.5,
        block: int = FRAME_SAMPLES,
    ):
        self.pcm = np.concatenate([pcm, np.zeros(int(trailing_silence_s * RATE), np.float32)])
        self.block = block  # samples a frame; a device's blocks need not match the VAD's chunks
        self.duration = len(pcm) / RATE
        self.realtime = realtime
        self.clock: WallClock | VirtualClock = WallClock() if realtime else VirtualClock()
        self._pos = 0  # next sample to deliver

    @classmethod
    def from_file(cls, path: Path, realtime: bool = True) -> FileMicrophone:
        return cls(read_audio(path), realtime=realtime)

    def frames(self) -> Iterator[Frame]:
        # t = 0 is the moment the first sample "arrives". The clock was made with the microphone,
        # before the models loaded: a virtual one left running would put the file's first
        # seconds behind it, and the first reply would be charged the loading time (a benchmark's
        # first turn measured 1307 ms instead of 451).
        self.clock.restart()
        self._pos = 0
        while self._pos < len(self.pcm):
            frame = self._frame()
            if self.realtime:
                delay = frame.end - self.clock.now()
                if delay > 0:
                    time.sleep(delay)
            else:
                assert isinstance(self.clock, VirtualClock)
                self.clock.set(max(frame.end, self.clock.now()))
            yield frame

    def poll(self) -> list[Frame]:
        """The frames that have "arrived" by now, without waiting (see Microphone.poll)."""
        out = []
        while self._pos < len(self.pcm) and (self._pos + self.block) / RATE <= self.clock.now():
            out.append(self._frame())
        return out

    def _frame(self) -> Frame:
        start = self._pos
        self._pos += self.block
        return Frame(self.pcm[start : start + self.block], start / RATE)

    def close(self) -> None:
        pass


class FileSpeaker:
    """A speaker that lays what it plays onto a timeline and writes it to a WAV file.

    Audio starts at the clock's current time, or right after what is already queued, exactly as a
    real output stream would play it. Sample 0 of the file is time 0 of the session.

    While paused, time stands still for what it holds: audio played then is placed after the held
    audio as if the pause had not begun, and all of it moves to the resume time (see Speaker).
    """

    def __init__(self, clock: Clock, rate: int = 22_050, min_duration_s: float = 0.0):
        self.clock = clock
        self.rate = rate
        self.min_duration_s = min_duration_s
        self._segments: list[tuple[int, np.ndarray]] = []
        self._end = 0.0
        self._paused_at: float | None = None
        self._held: list[tuple[float, np.ndarray]] = []  # (start as if never paused, audio)

    def play(self, pcm: np.ndarray, rate: int) -> float:
        pcm = resample(np.asarray(pcm, np.float32), rate, self.rate)
        if self._paused_at is not None:
            start = max(self._paused_at, self._end)
            self._held.append((start, pcm))
        else:
            start = max(self.clock.now(), self._end)
            self._segments.append((round(start * self.rate), pcm))
        self._end = start + len(pcm) / self.rate
        return start

    def busy_until(self) -> float:
        return self._end

    def pause(self) -> float:
        """Hold back everything not yet played; returns when the sound stops (now)."""
        if self._paused_at is None:
            at = self.clock.now()
            cut = round(at * self.rate)
            kept = []
            for s, p in self._segments:
                if s + len(p) > cut:  # not all played: hold the rest, gaps between kept
                    split = max(0, cut - s)
                    self._held.append(((s + split) / self.rate, p[split:]))
                    p = p[:split]
                if len(p):
                    kept.append((s, p))
            self._segments = kept
            self._paused_at = at
        return self._paused_at

    def resume(self) -> float:
        """Play what pause() held back from now on; returns how much later it plays (s)."""
        if self._paused_at is None:
            return 0.0
        shift = max(0.0, self.clock.now() - self._paused_at)
        for start, pcm in self._held:
            self._segments.append((round((start + shift) * self.rate), pcm))
        if self._end > self._paused_at:
            self._end += shift
        self._held, self._paused_at = [], None
        return shift

    def stop(self) -> float:
        """Cut everything from now on off the timeline, as a stopped stream would.

        When paused, what was held is dropped and the sound stopped at the pause.
        """
        if self._paused_at is not None:
            at, self._paused_at, self._held = self._paused_at, None, []
            self._end = min(self._end, at)
            return at
        at = self.clock.now()
        cut = round(at * self.rate)
        self._segments = [(s, p[: cut - s]) for s, p in self._segments if s < cut]
        self._end = min(self._end, at)
        return at

    def wait(self) -> None:
        if isinstance(self.clock, WallClock):
            delay = self._end - self.clock.now()
            if delay > 0:
                time.sleep(delay)

    def reference(self, t0: float, t1: float) -> np.ndarray:
        """What was played between session times t0 and t1, at 16 kHz (for the echo guard)."""
        blocks = [(s / self.rate, p) for s, p in self._segments]
        return lay_out(blocks, t0, t1, self.rate)

    def render(self) -> np.ndarray:
        """Everything played, as one signal from time 0."""
        total = max(
            round(self.min_duration_s * self.rate), *(s + len(p) for s, p in self._segments), 0
        )
        out = np.zeros(total, np.float32)
        for start, pcm in self._segments:
            out[start : start + len(pcm)] += pcm
        return out

    def save(self, path: Path) -> None:
        write_wav(path, self.render(), self.rate)

    def close(self) -> None:
        pass
