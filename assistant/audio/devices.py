"""Real microphone and speaker through sounddevice (PortAudio): the only module that touches them.

Device callbacks run on PortAudio's thread; they only move audio in or out of thread-safe
buffers, so the engine never runs inside a callback.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from assistant.audio.frames import RATE, resample
from assistant.audio.ports import Clock, Frame, WallClock
from assistant.errors import AssistantError

_BLOCK_S = 0.032


def _sd() -> Any:
    """Import sounddevice, turning a missing PortAudio into a one-line instruction."""
    try:
        import sounddevice
    except OSError:
        raise AssistantError(
            "the PortAudio library is missing; install it with: sudo apt install libportaudio2"
        ) from None
    return sounddevice


def list_devices() -> list[dict[str, Any]]:
    """All audio devices with their index, name, channel counts and default rate."""
    sd = _sd()
    try:
        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as e:
        raise AssistantError(f"cannot list audio devices: {e}") from None
    return [
        {
            "index": i, "name": d["name"], "inputs": d["max_input_channels"],
            "outputs": d["max_output_channels"], "rate": int(d["default_samplerate"]),
            "default_input": i == default_in, "default_output": i == default_out,
        }
        for i, d in enumerate(devices)
    ]


def find_device(spec: str, kind: str) -> int | None:
    """Resolve "" (system default), an index, or part of a name to a device index."""
    sd = _sd()
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        devices = list(sd.query_devices())
    except sd.PortAudioError as e:
        raise AssistantError(f"cannot list audio devices: {e}") from None
    usable = [i for i, d in enumerate(devices) if d[key] > 0]
    what = "microphone" if kind == "input" else "speaker"
    if not usable:
        raise AssistantError(
            f"no {what} found; connect one, or check that PulseAudio/PipeWire is running "
            "(see: assistant devices)"
        )
    if spec == "":
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
    return AssistantError(
        f"cannot open the {what}{device}: {e}; choose another with --{'input' if what == 'microphone' else 'output'}-device "
        "(see: assistant devices)"
    )


class DeviceMicrophone:
    """Captures the microphone at its native rate and delivers 16 kHz mono frames."""

    def __init__(self, device: str = "", clock: Clock | None = None) -> None:
        sd = _sd()
        self.clock = clock or WallClock()
        index = find_device(device, "input")
        info = sd.query_devices(index, "input")
        self.rate = int(info["default_samplerate"])
        self._queue: queue.Queue[Frame | None] = queue.Queue()
        self._closed = threading.Event()
        try:
            self._stream = sd.InputStream(
                device=index, channels=1, samplerate=self.rate, dtype="float32",
                blocksize=int(self.rate * _BLOCK_S), callback=self._callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise _open_error("microphone", device, e) from None

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        t = self.clock.now() - frames / self.rate
        pcm = resample(indata[:, 0].copy(), self.rate, RATE)
        self._queue.put(Frame(pcm, t))

    def frames(self) -> Iterator[Frame]:
        while not self._closed.is_set():
            try:
                frame = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if frame is None:
                break
            yield frame

    def close(self) -> None:
        self._closed.set()
        self._queue.put(None)
        self._stream.close()


class DeviceSpeaker:
    """Plays queued audio through an output stream that runs for the whole session."""

    def __init__(self, device: str = "", clock: Clock | None = None) -> None:
        sd = _sd()
        self.clock = clock or WallClock()
        index = find_device(device, "output")
        info = sd.query_devices(index, "output")
        self.rate = int(info["default_samplerate"])
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._offset = 0
        self._end = 0.0
        self._drained = threading.Event()
        self._drained.set()
        try:
            self._stream = sd.OutputStream(
                device=index, channels=1, samplerate=self.rate, dtype="float32",
                blocksize=int(self.rate * _BLOCK_S), callback=self._callback, latency="low",
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise _open_error("speaker", device, e) from None
        self.latency = float(self._stream.latency)

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < frames and self._chunks:
                chunk = self._chunks[0]
                n = min(frames - filled, len(chunk) - self._offset)
                out[filled : filled + n] = chunk[self._offset : self._offset + n]
                filled += n
                self._offset += n
                if self._offset >= len(chunk):
                    self._chunks.pop(0)
                    self._offset = 0
            if not self._chunks:
                self._drained.set()
        out[filled:] = 0.0

    def play(self, pcm: np.ndarray, rate: int) -> float:
        pcm = resample(np.asarray(pcm, np.float32), rate, self.rate)
        with self._lock:
            start = max(self.clock.now() + self.latency, self._end)
            self._end = start + len(pcm) / self.rate
            self._chunks.append(pcm)
            self._drained.clear()
        return start

    def busy_until(self) -> float:
        return self._end

    def wait(self) -> None:
        # The buffer drains into the stream; then the device still has `latency` to play out.
        while not self._drained.wait(timeout=0.1):
            if not self._stream.active:
                return
        delay = self._end - self.clock.now()
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        self._stream.close()
