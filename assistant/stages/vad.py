"""Streaming voice activity detection with the Silero VAD v6 model shipped in faster-whisper."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import AssistantError

CHUNK = 512  # samples at 16 kHz per probability (32 ms), fixed by the model
_CONTEXT = 64  # samples of the previous chunk the model sees before each chunk


class VoiceDetector(Protocol):
    """Gives the probability that a 512-sample chunk of 16 kHz audio is speech."""

    def probability(self, chunk: np.ndarray) -> float: ...

    def reset(self) -> None: ...


class SileroVad:
    """Silero VAD run chunk by chunk, carrying its recurrent state between chunks."""

    def __init__(self, model_path: Path) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        # One thread: the VAD runs every 32 ms beside the other models; it must not compete.
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        try:
            self._session = onnxruntime.InferenceSession(
                str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise AssistantError(f"cannot load the VAD model {model_path}: {e}") from None
        self.reset()

    def reset(self) -> None:
        """Forget everything heard so far."""
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)

    def probability(self, chunk: np.ndarray) -> float:
        if len(chunk) != CHUNK:
            raise ValueError(f"VAD chunks are {CHUNK} samples, got {len(chunk)}")
        x = np.concatenate([self._context, chunk.astype(np.float32, copy=False)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = chunk[-_CONTEXT:].astype(np.float32, copy=True)
        return float(np.asarray(out).reshape(-1)[0])
