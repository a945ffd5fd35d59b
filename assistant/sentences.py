"""Splitting a stream of LLM text into speakable sentences, as soon as each one is complete."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentence_stream import SentenceBoundaryDetector

# Markdown and symbols a voice should not read out.
_MARKUP = re.compile(r"[*_`#>|~]+|^\s*[-•]\s+|\[(?:\d+|[a-z ]+)\]", re.MULTILINE)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\ufe0f\u200d]+"
)


def speakable(text: str) -> str:
    """Text with markdown, emoji and runs of whitespace removed; "" if nothing is left to say."""
    text = _EMOJI.sub("", _MARKUP.sub(" ", text))
    text = " ".join(text.split())
    return text if any(ch.isalnum() for ch in text) else ""


class SentenceSplitter:
    """Feed LLM deltas with `add`; get back each sentence once the next one has begun."""

    def __init__(self) -> None:
        self._detector = SentenceBoundaryDetector()

    def add(self, delta: str) -> Iterator[str]:
        for sentence in self._detector.add_chunk(delta):
            if text := speakable(sentence):
                yield text

    def finish(self) -> Iterator[str]:
        """The rest of the text, once the stream has ended."""
        if text := speakable(self._detector.finish()):
            yield text
