"""Loading and warming up the models a command needs, with clear errors for missing ones."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant import events as ev
from assistant.config import Config
from assistant.engine import Models
from assistant.models import registry
from assistant.models.requantize import fast_copy
from assistant.stages.fallback import FallbackChatModel
from assistant.stages.llm import ChatModel, LlamaChatModel, quiet_native_logs
from assistant.stages.openai_llm import OpenAIChatModel, check_config
from assistant.stages.stt import WhisperTranscriber
from assistant.stages.tts import PiperSynthesizer
from assistant.stages.vad import SileroVad


def load_tts(config: Config) -> PiperSynthesizer:
    return PiperSynthesizer(registry.require(config, "tts"), config.tts)


_VOICE_WARM_UP = (
    "Hello, I am ready whenever you are, and I will remember what you tell me from now on."
)


def llm_path(config: Config) -> Path:
    """The GGUF file to run: for the packaged default, its faster Q8_0 copy (made once)."""
    path = registry.require(config, "llm")
    if config.llm.model == "default":
        path = fast_copy(path, registry.models_dir(config))
    return path


def load_llm(config: Config, emit: ev.Sink | None = None) -> ChatModel:
    """The configured language model: the local GGUF, or a server wrapped with its fallback.

    A server's settings are checked before anything slow happens: a malformed URL, insecure
    http to another computer, a missing key variable or a rejected key are one-line errors. A
    server that is merely down is reported (through emit) and tried again on every turn.
    """
    check_config(config.llm)
    if config.llm.backend == "llama-cpp":
        quiet_native_logs()
        return LlamaChatModel(llm_path(config), config.llm)
    server = OpenAIChatModel(config.llm)
    load_local = None
    if config.llm.fallback == "local":
        path = llm_path(config)  # missing is reported now, loading waits for need

        def load_local() -> ChatModel:
            quiet_native_logs()
            return LlamaChatModel(path, config.llm)

    model = FallbackChatModel(server, config.llm.offline_reply, load_local, emit)
    problem = server.check()
    if problem:
        model.lost(problem)
    return model


def load_models(
    config: Config, warm: bool = True, emit: ev.Sink | None = None
) -> tuple[Models, float]:
    """Load VAD, STT, LLM and TTS (checking all files first); return them and the seconds taken.

    Warm-up runs speech-to-text and the voice once so the first turn is as fast as later ones.
    The language model's prompt is warmed by Engine.warm_up, which knows the pinned facts and
    history that belong in it (warming the bare persona here would be evaluated twice).
    """
    started = time.monotonic()
    paths = {role: registry.require(config, role) for role in ("vad", "stt", "tts")}
    llm = load_llm(config, emit)  # before the slow loads: a bad server setting fails at once
    models = Models(
        vad=SileroVad(paths["vad"]),
        stt=WhisperTranscriber(paths["stt"], config.stt),
        llm=llm,
        tts=PiperSynthesizer(paths["tts"], config.tts),
    )
    if warm:
        models.stt.transcribe(np.zeros(16_000, np.float32))
        # A long sentence: onnxruntime grows its buffers on the first long input, which made
        # the first real reply's first sentence ~30 ms slower after warming with "Hello." only.
        for _ in models.tts.synthesize(_VOICE_WARM_UP):
            pass
        models.vad.reset()
    return models, time.monotonic() - started
