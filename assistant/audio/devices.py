"""Real microphone and speaker through sounddevice (PortAudio): the only module that touches them.

Device callbacks run on PortAudio's thread; they only move audio in or out of thread-safe
buffers, so the engine never runs inside a callback.

Times are on the session clock. A microphone frame is stamped with when its sound reached the
microphone (counted on by samples, anchored to arrival times), and the speaker knows when its
last sample leaves the device (PortAudio's DAC time), so "the user stopped at 3.20 s, the reply
was heard at 3.85 s" holds outside the program, not just inside it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import soxr

from assistant.audio.frames import RATE, lay_out, resample
from assistant.audio.ports import Clock, Frame, WallClock
from assistant.errors import AssistantError

# The speaker's block. PortAudio's stream through PulseAudio holds two blocks: 32 ms blocks were
# heard 64-87 ms after they were written, 24 ms blocks 48-55 ms, 16 ms blocks 30-32 ms
# (scripts/bench_device_blocks.py). 16 ms blocks underran (ALSA "underrun occurred", 6 times
# in the voice tests while another program kept one core busy: a gap in the sound if it falls
# in speech), 24 ms blocks did not under the same load.
_SPEAKER_BLOCK_S = 0.024
# The microphone's block. Through PulseAudio, frames of 32 ms blocks reached the engine 30 ms
# (p50) and 62 ms (p95) later than the most punctual one; of 16 ms blocks 22 and 41 ms
# (scripts/bench_device_blocks.py). Kept at 32: with 16 ms blocks the echo guard let a long
# looped-back reply's residual echo pause it (tests/test_echo_loop.py, 2 of 2 runs after the
# other voice tests; 0 of 2 with 32 ms blocks).
_MIC_BLOCK_S = 0.032
# Some sound servers (PulseAudio's virtual devices, Bluetooth) deliver nothing for a second or
# two after a capture stream opens. The microphone waits this long for its first block so that
# "listening" means audio flows; it then carries on regardless (a silent mic is not an error).
_FIRST_BLOCK_TIMEOUT_S = 5.0
# PortAudio's reported output delay (DAC time) is trusted only within this range (some host APIs
# report 0 or garbage); outside it, the last good value or the block length is used.
_MAX_DELAY_S = 2.0
# Microphone timing. PortAudio's capture (ADC) time is not used: through PulseAudio it can be
# off by half a second (a monitor source reports its sink's latency). Instead frames are counted
# on from an anchor, and the anchor follows arrival times: a block cannot have started later
# than it arrived minus its length, so a block that arrives "too early" pulls the anchor back,
# and when every block for `_SLACK_WINDOW_S` arrived more than `_SLACK_S` later than the count
# says (samples lost, or the device clock is slow), the anchor moves forward.
_SLACK_WINDOW_S = 1.0
_SLACK_S = 0.05
# What the speaker played is kept this long, stamped with when it was heard, as the reference for
# the echo guard (assistant.audio.echo_guard). Long enough for an engine that lags behind the
# microphone (measured up to ~2 s at load average 6-7 on 2 cores).
_REFERENCE_S = 6.0
# Callback times jitter under load (a late callback reads a shorter delay); blocks played back to
# back are kept back to back unless their times say otherwise by more than this.
_REFERENCE_JITTER_S = 0.03


def _sd() -> Any:
    """Import sounddevice, turning a missing PortAudio into a one-line instruction."""
    try:
        import sounddevice
    except OSError:
        raise AssistantError(
            "the PortAudio library is missing; install it with: sudo apt install libportaudio2"
        ) from None
    return sounddevice


def _query(sd: Any) -> tuple[list[Any], int, int]:
    """All devices and the default input and output indices (-1 when there is none)."""
    try:
        devices = list(sd.query_devices())
        default_in, default_out = sd.default.device
    except sd.PortAudioError as e:
        raise AssistantError(f"cannot list audio devices: {e}") from None
    # sd.default.device holds -1 (or None) when PortAudio has no default of that kind.
    return (
        devices,
        _index_or_none(sd, default_in, "input"),
        _index_or_none(sd, default_out, "output"),
    )


def _index_or_none(sd: Any, value: Any, kind: str) -> int:
    if value is None or value == -1:
        try:
            return int(sd.query_devices(kind=kind)["index"])
        except (sd.PortAudioError, ValueError, KeyError, TypeError):
            return -1
    return int(value)


def list_devices() -> list[dict[str, Any]]:
    """All audio devices with their index, name, channel counts and default rate."""
    sd = _sd()
    devices, default_in, default_out = _query(sd)
    return [
        {
            "index": i,
            "name": d["name"],
            "inputs": d["max_input_channels"],
            "outputs": d["max_output_channels"],
            "rate": int(d["default_samplerate"]),
            "default_input": i == default_in,
            "default_output": i == default_out,
        }
        for i, d in enumerate(devices)
    ]


def find_device(spec: str, kind: str) -> int | None:
    """Resolve "" (system default), an index, or part of a name to a device index."""
    sd = _sd()
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    devices, default_in, default_out = _query(sd)
    usable = [i for i, d in enumerate(devices) if d[key] > 0]
    what = "microphone" if kind == "input" else "speaker"
    if not usable:
        raise AssistantError(
            f"no {what} found; connect one, or check that PulseAudio/PipeWire is running "
            "(see: assistant devices)"
        )
    spec = spec.strip()
    if spec == "":
        default = default_in if kind == "input" else default_out
        if default not in usable:
            raise AssistantError(
                f"there is no default {what}; choose one with "
                f"--{'input' if kind == 'input' else 'output'}-device (see: assistant devices)"
            )
        return None
    if spec.isdigit():
        if int(spec) in usable:
            return int(spec)
        raise AssistantError(f"device {spec} is not a {what}; see: assistant devices")
    matches = [i for i in usable if spec.lower() in devices[i]["name"].lower()]
    if not matches:
        raise AssistantError(f"no {what} matches {spec!r}; see: assistant devices")
    return matches[0]


def _open_error(what: str, spec: str, e: Exception) -> AssistantError:
    device = f" {spec!r}" if spec else " (system default)"
    option = "--input-device" if what == "microphone" else "--output-device"
    return AssistantError(
        f"cannot open the {what}{device}: {e}; choose another with {option} "
        "(see: assistant devices)"
    )


def _device_delay(reported: float, fallback: float) -> float:
    """A PortAudio delay if it is plausible, else the fallback."""
    return reported if 0.0 <= reported <= _MAX_DELAY_S else fallback


def _accepts_rate(sd: Any, index: int | None, rate: int) -> bool:
    """Whether the input device can be opened at `rate` (mono, float32)."""
    try:
        sd.check_input_settings(device=index, channels=1, samplerate=rate, dtype="float32")
    except (sd.PortAudioError, ValueError):
        return False
    return True


def _device_and_rate(sd: Any, device: str, kind: str) -> tuple[int | None, int]:
    """The device index for a --input/--output-device value, and its native sample rate."""
    index = find_device(device, kind)
    try:
        info = sd.query_devices(index, kind)
    except (sd.PortAudioError, ValueError) as e:
        raise _open_error("microphone" if kind == "input" else "speaker", device, e) from None
    return index, int(info["default_samplerate"])


class DeviceMicrophone:
    """Captures the microphone at 16 kHz where it can (else its native rate) as 16 kHz mono frames.

    A frame's time is when its sound reached the microphone, as far as arrival times tell (late by
    at most the device's smallest buffering, typically tens of ms). Frames follow on from each
    other (frame.t is the previous frame's end) except where the device's timing jumps: after a
    delayed burst, an overflow, or clock drift (see `_SLACK_S`).
    The constructor returns once audio flows (or after `_FIRST_BLOCK_TIMEOUT_S`), so what is
    played into the mic after that is heard.
    """

    def __init__(self, device: str = "", clock: Clock | None = None) -> None:
        sd = _sd()
        self.clock = clock or WallClock()
        index, self.rate = _device_and_rate(sd, device, "input")
        if _accepts_rate(sd, index, RATE):
            # Through a sound server the "native" rate is its own choice (44.1 kHz for ALSA's
            # pulse device): asked for 16 kHz it converts once, from what the mic really gives.
            self.rate = RATE
        self._resampler = (
            None if self.rate == RATE else soxr.ResampleStream(self.rate, RATE, 1, dtype="float32")
        )
        self._queue: queue.Queue[Frame | None] = queue.Queue()
        self._closed = threading.Event()
        self._first_block = threading.Event()
        self._anchor: float | None = None  # session time of the first 16 kHz sample
        self._samples = 0  # 16 kHz samples delivered since the anchor
        self._slack_min = float("inf")  # least lateness of a block in the current window
        self._slack_since = 0.0
        self.overflows = 0
        try:
            self._stream = sd.InputStream(
                device=index,
                channels=1,
                samplerate=self.rate,
                dtype="float32",
                blocksize=int(self.rate * _MIC_BLOCK_S),
                callback=self._callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise _open_error("microphone", device, e) from None
        self._first_block.wait(_FIRST_BLOCK_TIMEOUT_S)

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if self._closed.is_set():
            return
        arrived = self.clock.now()
        latest = arrived - frames / self.rate  # this block cannot have started later than this
        pcm = indata[:, 0].copy()  # PortAudio reuses indata once the callback returns
        if self._resampler is not None:
            pcm = self._resampler.resample_chunk(pcm)
        if status.input_overflow:
            self.overflows += 1
        if self._anchor is None or status.input_overflow:
            self._anchor, self._samples = latest, 0
            self._slack_min, self._slack_since = float("inf"), arrived
        t = self._anchor + self._samples / RATE
        if t > latest:  # it came sooner than the count says: earlier blocks had been delayed
            self._anchor -= t - latest
            t = latest
        self._slack_min = min(self._slack_min, latest - t)
        if arrived - self._slack_since >= _SLACK_WINDOW_S:
            if self._slack_min > _SLACK_S:  # consistently late: samples lost or a slow clock
                self._anchor += self._slack_min
                t += self._slack_min
            self._slack_min, self._slack_since = float("inf"), arrived
        self._samples += len(pcm)
        self._first_block.set()
        if len(pcm):
            self._queue.put(Frame(pcm, t))

    def frames(self) -> Iterator[Frame]:
        while not self._closed.is_set():
            try:
                frame = self._queue.get(timeout=0.2)
            except queue.Empty:
                if not self._closed.is_set() and not self._stream.active:
                    raise AssistantError(
                        "the microphone stopped delivering audio (was it unplugged, or did the "
                        "sound server stop?)"
                    ) from None
                continue
            if frame is None:
                break
            yield frame

    def poll(self) -> list[Frame]:
        """The frames captured so far and not yet taken, without waiting."""
        out: list[Frame] = []
        while True:
            try:
                frame = self._queue.get_nowait()
            except queue.Empty:
                return out
            if frame is None:  # closed: leave the end mark for frames()
                self._queue.put(None)
                return out
            out.append(frame)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(None)
        with contextlib.suppress(Exception):
            self._stream.close()


class DeviceSpeaker:
    """Plays queued audio through an output stream that runs for the whole session."""

    def __init__(self, device: str = "", clock: Clock | None = None) -> None:
        sd = _sd()
        self.clock = clock or WallClock()
        index, self.rate = _device_and_rate(sd, device, "output")
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._offset = 0
        self._end = 0.0
        self._drained = threading.Event()
        self._drained.set()
        self._closed = False
        self._paused_at: float | None = None
        self._held: list[np.ndarray] = []  # queued audio held back while paused
        # The last second of audio handed to the device: a pause takes back what the device
        # held and had not played yet (see pause).
        self._tail = np.zeros(0, np.float32)
        # What was played, as (session time its first sample is heard, audio at self.rate).
        self._played: deque[tuple[float, np.ndarray]] = deque()
        self._sd = sd
        self.underruns = 0
        # Time from writing a sample in the callback to hearing it: measured by every callback
        # (PortAudio's DAC time; larger than the nominal latency on sound servers).
        self._delay: float | None = None
        try:
            self._stream = sd.OutputStream(
                device=index,
                channels=1,
                samplerate=self.rate,
                dtype="float32",
                blocksize=int(self.rate * _SPEAKER_BLOCK_S),
                callback=self._callback,
                latency="low",
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise _open_error("speaker", device, e) from None
        self.latency = float(self._stream.latency)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        now = self.clock.now()
        if status.output_underflow:
            self.underruns += 1
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            fallback = self._delay if self._delay is not None else frames / self.rate
            self._delay = _device_delay(
                time_info.outputBufferDacTime - time_info.currentTime, fallback
            )
            delay = self._delay
            busy = bool(self._chunks)
            while filled < frames and self._chunks:
                chunk = self._chunks[0]
                n = min(frames - filled, len(chunk) - self._offset)
                out[filled : filled + n] = chunk[self._offset : self._offset + n]
                filled += n
                self._offset += n
                if self._offset >= len(chunk):
                    self._chunks.pop(0)
                    self._offset = 0
            if filled:
                self._tail = np.concatenate([self._tail[-self.rate :], out[:filled]])
                heard = now + delay
                if self._played:  # back to back with the previous block unless a gap is clear
                    start, pcm = self._played[-1]
                    follows = start + len(pcm) / self.rate
                    if abs(heard - follows) < _REFERENCE_JITTER_S:
                        heard = follows
                self._played.append((heard, out[:filled].copy()))
                while self._played and self._played[0][0] < now - _REFERENCE_S:
                    self._played.popleft()
            if busy and not self._chunks:
                # The last sample is in the device's hands: it is heard `delay` after now.
                # Late callbacks (CPU busy) push the real end past the planned one.
                self._end = max(self._end, now + delay + filled / self.rate)
                self._drained.set()
        out[filled:] = 0.0

    def play(self, pcm: np.ndarray, rate: int) -> float:
        pcm = resample(np.asarray(pcm, np.float32), rate, self.rate)
        if len(pcm) == 0:
            return max(self.clock.now(), self._end)
        with self._lock:
            if self._paused_at is not None:  # held; its start as if the pause had not begun
                start = max(self._paused_at, self._end)
                self._held.append(pcm)
            else:
                delay = self._delay if self._delay is not None else self.latency
                start = max(self.clock.now() + delay, self._end)
                self._chunks.append(pcm)
                self._drained.clear()
            self._end = start + len(pcm) / self.rate
        return start

    def busy_until(self) -> float:
        return self._end

    def pause(self) -> float:
        """Hold back the queued audio and silence the device now; returns the time (now).

        What the device already held (its delay, ~60 ms through PulseAudio) is dropped from the
        device too, and taken back into what is held, so a resume loses nothing.
        """
        with self._lock:
            if self._paused_at is not None:
                return self._paused_at
            now = self.clock.now()
            held = [self._chunks[0][self._offset :], *self._chunks[1:]] if self._chunks else []
            held_s = sum(len(c) for c in held) / self.rate
            # The queue plays back to back after what the device holds, which ends at _end -
            # held_s; the samples from now until then were handed over but not yet heard. (An
            # estimate: on a loaded machine up to one device delay, ~60 ms, is heard twice.)
            unheard = round((self._end - held_s - now) * self.rate)
            unheard = min(len(self._tail), max(0, unheard))
            if unheard:
                held.insert(0, self._tail[len(self._tail) - unheard :].copy())
            self._held = [c for c in held if len(c)]
            self._paused_at = now
            if self._held:
                self._end = now + sum(len(c) for c in self._held) / self.rate
            else:
                self._end = min(self._end, now)
            self._chunks.clear()
            self._offset = 0
            self._tail = np.zeros(0, np.float32)
            self._unplay(now)
            self._drained.set()
        self._silence_device()
        return now

    def resume(self) -> float:
        """Queue what pause() held back; returns how much later it plays than it would have."""
        with self._lock:
            if self._paused_at is None:
                return 0.0
            delay = self._delay if self._delay is not None else self.latency
            shift = max(0.0, self.clock.now() + delay - self._paused_at)
            if self._end > self._paused_at:
                self._end += shift
            if self._held:
                self._chunks.extend(self._held)
                self._drained.clear()
            self._held, self._paused_at = [], None
            return shift

    def stop(self) -> float:
        """Drop the queued audio and silence the device; returns when the sound stopped."""
        with self._lock:
            self._chunks.clear()
            self._offset = 0
            self._tail = np.zeros(0, np.float32)
            self._drained.set()
            if self._paused_at is not None:  # silent since the pause; drop what was held
                at, self._paused_at, self._held = self._paused_at, None, []
                self._end = min(self._end, at)
                return at
            now = self.clock.now()
            playing = self._end > now
            self._end = min(self._end, now)
            if playing:
                self._unplay(now)
        if playing:
            self._silence_device()
        return now

    def _unplay(self, at: float) -> None:
        """Forget what was handed to the device to be heard after `at` (it was dropped)."""
        while self._played and self._played[-1][0] >= at:
            self._played.pop()
        if self._played:
            start, pcm = self._played[-1]
            keep = max(0, round((at - start) * self.rate))
            if keep < len(pcm):
                self._played[-1] = (start, pcm[:keep])

    def reference(self, t0: float, t1: float) -> np.ndarray:
        """What was heard from this speaker between session times t0 and t1, at 16 kHz.

        Silence where nothing played (or beyond the last `_REFERENCE_S` seconds); the times are
        those at which the device plays it (PortAudio's DAC time), as far as the device says.
        """
        with self._lock:
            blocks = [(s, p) for s, p in self._played if s < t1 and s + len(p) / self.rate > t0]
        return lay_out(blocks, t0, t1, self.rate)

    def _silence_device(self) -> None:
        """Drop what the device holds now (PortAudio abort), then start the stream again.

        Measured on PulseAudio: the sound stops at once instead of ~60 ms later.
        """
        with contextlib.suppress(self._sd.PortAudioError):
            self._stream.abort()
        with contextlib.suppress(self._sd.PortAudioError):
            self._stream.start()

    def wait(self) -> None:
        # The buffer drains into the stream; then the device still has its delay to play out.
        while not self._drained.wait(timeout=0.1):
            if self._closed or not self._stream.active:
                return
        delay = self._end - self.clock.now()
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock:
            self._chunks.clear()
            self._held.clear()
            self._offset = 0
            self._drained.set()
        with contextlib.suppress(Exception):
            self._stream.close()
