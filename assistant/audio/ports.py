"""The interfaces between the core and audio hardware: a clock, a microphone and a speaker.

All times are seconds on one session timeline shared by the microphone and the speaker, so the
engine can say "the user stopped at 3.20 s and the reply started at 3.85 s".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Clock(Protocol):
    """Session time in seconds."""

    def now(self) -> float: ...


class WallClock:
    """Real time since the clock was made."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Make now() count from zero again."""
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0


class VirtualClock:
    """Time that jumps to wherever the input is, and runs at wall speed in between.

    Used when a file is fed faster than real time: reading a frame sets the time to the frame's
    end; while the engine works on a turn, time advances as real time passes, so measured
    processing latency lands on the timeline exactly as it would have live.
    """

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Make now() count from zero again."""
        self.set(0.0)

    def set(self, t: float) -> None:
        self._anchor = t
        self._anchor_wall = time.monotonic()

    def now(self) -> float:
        return self._anchor + (time.monotonic() - self._anchor_wall)


@dataclass(frozen=True)
class Frame:
    """A block of 16 kHz mono float32 microphone audio that started at time `t`."""

    pcm: np.ndarray
    t: float

    @property
    def end(self) -> float:
        return self.t + len(self.pcm) / 16_000


class Microphone(Protocol):
    """A source of 16 kHz mono frames; iteration ends when the input ends."""

    clock: Clock

    def frames(self) -> Iterator[Frame]: ...

    def poll(self) -> list[Frame]:
        """Frames that have arrived and were not yet delivered, without waiting.

        Used while a reply is being generated, so the user is heard even then; frames() carries on
        after the last frame poll() returned.
        """
        ...

    def close(self) -> None: ...


class Speaker(Protocol):
    """Plays audio without blocking; knows when what it was given will have finished."""

    def play(self, pcm: np.ndarray, rate: int) -> float:
        """Queue mono float32 audio; returns the session time at which it starts to sound."""
        ...

    def busy_until(self) -> float:
        """Session time at which everything queued so far will have finished playing."""
        ...

    def stop(self) -> float:
        """Drop everything not yet played; returns the session time the sound stops.

        When paused: drops what was held; returns the time the sound stopped at the pause.
        """
        ...

    def pause(self) -> float:
        """Hold back everything not yet played; returns the session time the sound stops.

        Audio played while paused is held too; busy_until() and the start times play() returns
        then read as if the pause had not begun (the paused time is left out) until resume().
        """
        ...

    def resume(self) -> float:
        """Play what was held from now on; returns by how much it was delayed (seconds).

        Every start and end time at or after the pause moves this much later.
        """
        ...

    def wait(self) -> None:
        """Block until everything queued has been played (returns at once for a virtual speaker)."""
        ...

    def close(self) -> None: ...
