"""The language model: streamed chat replies from a GGUF model run by llama.cpp."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

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
        chunks = self._llm.create_chat_completion(
            messages=messages,
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

    def warm_up(self, messages: list[Message]) -> None:
        """Evaluate the prompt once so its prefix is cached for the first real turn."""
        for _ in self._llm.create_chat_completion(messages=messages, max_tokens=1, stream=True):
            pass


def quiet_native_logs() -> None:
    """Silence llama.cpp's and ggml's own stderr chatter (kept off the user's terminal)."""
    os.environ.setdefault("GGML_LOG_LEVEL", "error")
