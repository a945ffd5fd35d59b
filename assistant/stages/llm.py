"""The language model: streamed chat replies from a GGUF model run by llama.cpp."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import LlmConfig
from assistant.errors import AssistantError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


class ChatModel(Protocol):
    """Streams the text of a reply to a list of chat messages."""

    def stream(self, messages: list[Message]) -> Iterator[str]: ...

    def warm_up(self, messages: list[Message]) -> None: ...


class LlamaChatModel:
    """llama-cpp-python with its chat template; reuses the KV cache of a shared prompt prefix.

    llama-cpp-python keeps the tokens of the previous call and only evaluates what differs, so a
    prompt that starts with the same system prompt and history as last time costs only its new
    tokens. `warm_up` evaluates the stable prefix at start so the first turn is fast too.
    """

    def __init__(self, model_path: Path, config: LlmConfig) -> None:
        from llama_cpp import Llama

        self.config = config
        threads = config.threads or max(1, (os.cpu_count() or 2) - 1)
        try:
            self._llm = Llama(
                model_path=str(model_path),
                n_ctx=config.context_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise AssistantError(f"cannot load the language model {model_path}: {e}") from None
        self.n_ctx = self._llm.n_ctx()

    def count_tokens(self, text: str) -> int:
        """Tokens the text takes in this model."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[Message]) -> Iterator[str]:
        ban = self._no_copy(messages)
        chunks = self._llm.create_chat_completion(
            messages=messages,
            logits_processor=ban,
            stream=True,
            max_tokens=self.config.max_tokens,
            temperature=self.config.temperature,
            top_p=self.config.top_p,
            repeat_penalty=self.config.repeat_penalty,
        )
        for chunk in chunks:
            delta = chunk["choices"][0]["delta"].get("content")
            if delta:
                yield delta

    def _no_copy(self, messages: list[Message]):
        """A logits processor that keeps the reply from repeating its earlier replies' n-grams.

        Like transformers' no_repeat_ngram_size, but over the assistant's earlier messages in
        the prompt: a token that would complete a run of `no_repeat_ngram` tokens found in one of
        them is ruled out. None when there is nothing to keep it from.
        """
        from llama_cpp import LogitsProcessorList

        n = self.config.no_repeat_ngram
        if not n:
            return None
        follows: dict[tuple[int, ...], list[int]] = {}
        for m in messages:
            if m["role"] != "assistant":
                continue
            ids = self._llm.tokenize(m["content"].encode("utf-8"), add_bos=False)
            for i in range(len(ids) - n + 1):
                follows.setdefault(tuple(ids[i : i + n - 1]), []).append(ids[i + n - 1])
        if not follows:
            return None
        prompt_len: list[int] = []

        def ban(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
            if not prompt_len:  # first called before the reply's first token
                prompt_len.append(len(input_ids))
            made = input_ids[prompt_len[0] :]
            if len(made) >= n - 1:
                banned = follows.get(tuple(int(t) for t in made[len(made) - n + 1 :]))
                if banned:
                    scores[banned] = -np.inf
            return scores

        return LogitsProcessorList([ban])

    def warm_up(self, messages: list[Message]) -> None:
        """Evaluate the prompt once so its prefix is cached for the first real turn."""
        for _ in self._llm.create_chat_completion(messages=messages, max_tokens=1, stream=True):
            pass


def quiet_native_logs() -> None:
    """Silence llama.cpp's and ggml's own stderr chatter (kept off the user's terminal)."""
    os.environ.setdefault("GGML_LOG_LEVEL", "error")
