"""The reply does not copy the assistant's earlier replies (the real default model, greedy)."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.config import Config, LlmConfig, load
from assistant.errors import AssistantError
from assistant.prompt import system_prompt

# The toy model's own earlier reply (from a benchmark run), then a request it has nothing to do
# with: greedy, it said the earlier reply again word for word.
EARLIER = "I'm glad to hear that. Now, let's talk about the gospel of Jesus Christ. What is it?"


def _messages() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_prompt(Config().persona)},
        {"role": "user", "content": "Mr. Quilter is the apostle of the middle classes."},
        {"role": "assistant", "content": EARLIER},
        {"role": "user", "content": "Turn on the living room lamp."},
    ]


def _ngrams(model, text: str, n: int) -> set[tuple[int, ...]]:
    ids = model._llm.tokenize(text.encode("utf-8"), add_bos=False)
    return {tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)}


@pytest.mark.models
def test_a_reply_repeats_no_run_of_tokens_from_an_earlier_reply(default_config):
    from assistant.models import registry
    from assistant.stages.llm import LlamaChatModel

    greedy = dataclasses.replace(default_config.llm, temperature=0.0, max_tokens=40, threads=1)
    model = LlamaChatModel(registry.require(default_config, "llm"), greedy)
    assert greedy.no_repeat_ngram == 4  # the default
    reply = "".join(model.stream(_messages()))
    assert reply.strip()
    assert not _ngrams(model, reply, 4) & _ngrams(model, EARLIER, 4), reply
    # Off, the same model copies it: what the setting is for.
    model.config = dataclasses.replace(greedy, no_repeat_ngram=0)
    copied = "".join(model.stream(_messages()))
    assert len(_ngrams(model, copied, 4) & _ngrams(model, EARLIER, 4)) >= 5, copied


def test_no_repeat_ngram_is_checked(tmp_path):
    path = tmp_path / "config.toml"
    for bad in (-1, 1):
        path.write_text(f"[llm]\nno_repeat_ngram = {bad}\n")
        with pytest.raises(AssistantError, match="no_repeat_ngram"):
            load(path)
    path.write_text("[llm]\nno_repeat_ngram = 0\n")
    assert load(path).llm.no_repeat_ngram == 0
    assert LlmConfig().no_repeat_ngram == 4
