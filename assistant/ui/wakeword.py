"""Optional wake word: listen for a phrase ("hey jarvis") and start talking when it is heard.

Qt-free. Uses pyopen-wakeword's bundled openWakeWord models (their licence is CC BY-NC-SA 4.0:
non-commercial use only, which is why this is off by default). The detector watches the same
microphone the engine reads, on its own thread, so a slow detector never delays the engine.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from assistant.errors import AssistantError

MODELS = ("hey_jarvis", "alexa", "hey_mycroft", "okay_nabu", "hey_rhasspy")


class WakeWordDetector:
    """Says whether a stream of 16 kHz mono float32 audio has just contained the wake word."""

    def __init__(self, model: str = "hey_jarvis", threshold: float = 0.5) -> None:
        if model not in MODELS:
            raise AssistantError(f"unknown wake word {model!r} (known: {', '.join(MODELS)})")
        try:
            from pyopen_wakeword import Model, OpenWakeWord, OpenWakeWordFeatures
        except ImportError:
            raise AssistantError(
                "the wake word needs pyopen-wakeword: pip install pyopen-wakeword"
            ) from None
        self._model = OpenWakeWord.from_builtin(Model(model))
        self._features = OpenWakeWordFeatures.from_builtin()
        self.threshold = threshold

    def feed(self, pcm: np.ndarray) -> bool:
        """Process more audio; True when the wake word was heard (the detector then starts over)."""
        data = (np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        heard = False
        for features in self._features.process_streaming(data):
            for probability in self._model.process_streaming(features):
                heard = heard or probability > self.threshold
        if heard:
            self.reset()
        return heard

    def reset(self) -> None:
        self._model.reset()
        self._features.reset()


class WakeWordMicrophone:
    """A Microphone that also hands its frames to a wake-word detector while `armed()` is True."""

    def __init__(
        self,
        mic: Any,
        detector: WakeWordDetector,
        on_wake: Callable[[], None],
        armed: Callable[[], bool] = lambda: True,
    ) -> None:
        self.mic = mic
        self.clock = mic.clock
        self.detector = detector
        self.on_wake = on_wake
        self.armed = armed
        # Bounded: if the detector falls behind, old audio is dropped rather than piling up.
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=50)
        self._thread = threading.Thread(target=self._detect, name="assistant-wake", daemon=True)
        self._thread.start()

    def frames(self) -> Iterator[Any]:
        for frame in self.mic.frames():
            if self.armed():
                with contextlib.suppress(queue.Full):  # behind: this frame is not checked
                    self._queue.put_nowait(frame.pcm)
            yield frame

    def _detect(self) -> None:
        while True:
            pcm = self._queue.get()
            if pcm is None:
                return
            if self.detector.feed(pcm):
                self.on_wake()

    def close(self) -> None:
        self.mic.close()
        try:
            self._queue.put_nowait(None)
        except queue.Full:  # the detector is behind: make room for the stop marker
            with self._queue.mutex:
                self._queue.queue.clear()
            self._queue.put_nowait(None)
        self._thread.join(2)
