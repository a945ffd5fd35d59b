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


def _quiet_session(model_path: Path):
    """The voice's onnxruntime session, with threads that sleep rather than spin between runs.

    Spinning threads stall when another model's thread shares the two cores (the language
    model evaluating the next prompt in the background): the first sentence took 290–360 ms
    beside it, 257–280 ms without spinning, and the same ~120 ms alone.
    """
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
    )


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
            self._voice.session = _quiet_session(model_path)
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
