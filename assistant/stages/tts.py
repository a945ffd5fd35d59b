"""Text-to-speech with piper: one call per sentence, audio as float32 numpy arrays."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import TtsConfig
from assistant.errors import AssistantError


class Synthesizer(Protocol):
    """Turns text into mono float32 audio at `sample_rate`, one chunk per sentence."""

    sample_rate: int

    def synthesize(self, text: str) -> Iterator[np.ndarray]: ...


class PiperSynthesizer:
    """A piper voice (.onnx with its .onnx.json)."""

    def __init__(self, model_path: Path, config: TtsConfig) -> None:
        from piper import PiperVoice, SynthesisConfig

        config_path = Path(f"{model_path}.json")
        if not config_path.is_file():
            raise AssistantError(
                f"voice config {config_path} is missing (it belongs beside the .onnx)"
            )
        try:
            self._voice = PiperVoice.load(model_path, config_path=config_path)
        except Exception as e:  # onnxruntime / json errors for a corrupt voice
            raise AssistantError(f"cannot load voice {model_path}: {e}") from None
        self._syn = SynthesisConfig(
            speaker_id=None if config.speaker_id < 0 else config.speaker_id,
            length_scale=config.length_scale,
            volume=config.volume,
        )
        self.sample_rate = int(self._voice.config.sample_rate)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        for chunk in self._voice.synthesize(text, self._syn):
            yield chunk.audio_float_array
