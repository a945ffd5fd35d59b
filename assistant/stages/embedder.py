"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, for memory recall."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import AssistantError

DIM = 384


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors, one row per text."""

    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class MiniLmEmbedder:
    """A BERT-style sentence encoder: masked mean pooling of token states, then L2 normalisation."""

    def __init__(
        self, model_path: Path, tokenizer_path: Path, threads: int = 1, max_tokens: int = 128
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see tts.py
        opts.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:  # onnxruntime / tokenizers raise their own types
            raise AssistantError(f"cannot load the embedding model {model_path}: {e}") from None
        # Pad each batch only to its longest text (the file pads everything to 128).
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dim = DIM

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        ids = np.array([e.ids for e in encodings], np.int64)
        mask = np.array([e.attention_mask for e in encodings], np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        states = self._session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (states * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
