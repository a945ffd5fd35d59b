"""Fake model stages: a scripted chat model, a fixed transcriber, a tone voice and an energy VAD.

They follow the same small interfaces as the real stages (see assistant.stages), so the engine
can be tested exactly and quickly; real-model tests cover the real stages.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from assistant.stages.llm import Message
from assistant.stages.stt import Transcript


class ScriptedChatModel:
    """Replies with the next scripted text, streamed a few characters at a time."""

    def __init__(self, replies: list[str], chunk: int = 4) -> None:
        self.replies = list(replies)
        self.chunk = chunk
        self.calls: list[list[Message]] = []
        self.warmed: list[list[Message]] = []
        self.log: list[tuple[str, list[Message]]] = []  # ("stream" | "warm_up", messages) in order

    def stream(self, messages: list[Message]) -> Iterator[str]:
        self.calls.append(messages)
        self.log.append(("stream", messages))
        text = self.replies.pop(0) if self.replies else ""
        for i in range(0, len(text), self.chunk):
            yield text[i : i + self.chunk]

    def warm_up(self, messages: list[Message]) -> None:
        self.warmed.append(messages)
        self.log.append(("warm_up", messages))


class FixedTranscriber:
    """Returns the given texts in order, one per utterance (then empty text)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.heard: list[np.ndarray] = []

    def transcribe(self, pcm: np.ndarray) -> Transcript:
        self.heard.append(pcm)
        return Transcript(self.texts.pop(0) if self.texts else "")


class ToneSynthesizer:
    """Speaks each sentence as a 440 Hz tone, 50 ms per character (one chunk per sentence)."""

    sample_rate = 16_000

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.spoken.append(text)
        n = int(0.05 * len(text) * self.sample_rate)
        yield (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / self.sample_rate)).astype(np.float32)


class EnergyVad:
    """Calls a chunk speech when its RMS level is above a threshold."""

    def __init__(self, threshold: float = 0.02) -> None:
        self.threshold = threshold

    def probability(self, chunk: np.ndarray) -> float:
        return 1.0 if float(np.sqrt(np.mean(chunk**2))) > self.threshold else 0.0

    def reset(self) -> None:
        pass


def tone(seconds: float, rate: int = 16_000, amplitude: float = 0.3) -> np.ndarray:
    """A 220 Hz tone standing in for speech."""
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float, rate: int = 16_000) -> np.ndarray:
    """Digital silence."""
    return np.zeros(int(seconds * rate), np.float32)
