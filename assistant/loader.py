"""Loading and warming up the models a command needs, with clear errors for missing ones."""

from __future__ import annotations

import time

import numpy as np

from assistant.config import Config
from assistant.engine import Models
from assistant.models import registry
from assistant.stages.llm import LlamaChatModel, quiet_native_logs
from assistant.stages.stt import WhisperTranscriber
from assistant.stages.tts import PiperSynthesizer
from assistant.stages.vad import SileroVad


def load_tts(config: Config) -> PiperSynthesizer:
    return PiperSynthesizer(registry.require(config, "tts"), config.tts)


def load_models(config: Config, warm: bool = True) -> tuple[Models, float]:
    """Load VAD, STT, LLM and TTS (checking all files first); return them and the seconds taken.

    Warm-up runs speech-to-text and the voice once so the first turn is as fast as later ones.
    The language model's prompt is warmed by Engine.warm_up, which knows the pinned facts and
    history that belong in it (warming the bare persona here would be evaluated twice).
    """
    started = time.monotonic()
    paths = {role: registry.require(config, role) for role in ("vad", "stt", "llm", "tts")}
    quiet_native_logs()
    models = Models(
        vad=SileroVad(paths["vad"]),
        stt=WhisperTranscriber(paths["stt"], config.stt),
        llm=LlamaChatModel(paths["llm"], config.llm),
        tts=PiperSynthesizer(paths["tts"], config.tts),
    )
    if warm:
        models.stt.transcribe(np.zeros(16_000, np.float32))
        for _ in models.tts.synthesize("Hello."):
            pass
        models.vad.reset()
    return models, time.monotonic() - started
