"""Splitting a stream of LLM text into speakable chunks, each as soon as it is complete.

Written here rather than taken from `sentence-stream` because a voice needs two things that
library does not do: it splits only before a capital letter (small models often write in
lower case), and it cannot cut the first chunk at a clause so the voice starts sooner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Markdown and symbols a voice should not read out.
_MARKUP = re.compile(r"[*`#>|~]+|(?<!\w)_+|_+(?!\w)|\[\d+\]")
_BULLET = re.compile(r"^\s*(?:[-•]|\d+[.)])\s+", re.MULTILINE)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\ufe0f\u200d]+"
)
# A sentence end: punctuation (and closing quotes/brackets), then space, then more text.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+\S)|\n\s*\n(?=\s*\S)")
# A clause end, for cutting the first chunk early.
_CLAUSE_END = re.compile(r"[,;:—–](?=\s+\S)")
# The same two at the very end of the text so far (the first chunk need not wait for the next
# word to begin). Not after a digit: "1,000" and "10:30" arrive as "1," and "10:".
_SENTENCE_END_NOW = re.compile(r"[.!?…]+[\"'”’)\]]*\s*$")
_CLAUSE_END_NOW = re.compile(r"(?<!\d)[,;:—–]$")
_SENTENCE_END_ANY = re.compile(r"[.!?…]")
# Words that start a new phrase: before one of them a sentence can be cut and still be said
# naturally as two breaths ("The weather in New York | is mostly sunny.").
_PHRASE_STARTS = frozenset(
    [
        "about",
        "after",
        "and",
        "are",
        "as",
        "at",
        "because",
        "before",
        "but",
        "by",
        "can",
        "could",
        "for",
        "from",
        "if",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "over",
        "should",
        "since",
        "so",
        "than",
        "that",
        "to",
        "until",
        "was",
        "were",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "without",
        "would",
    ]
)
# A word, then the whole next word (its end seen: "to" is not the start of "today").
_WORD_THEN_NEXT = re.compile(r"(?<=\w)\s+([A-Za-z]+)(?=[\s,.;:!?…])")
# Words whose trailing period does not end a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "approx",
    "no",
    "mt",
    "ft",
    "a.m",
    "p.m",
    "u.s",
    "inc",
    "ltd",
    "co",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
}


def speakable(text: str) -> str:
    """Text with markdown, emoji and runs of whitespace removed; "" if nothing is left to say."""
    text = _EMOJI.sub("", _MARKUP.sub("", _BULLET.sub(" ", text)))
    text = " ".join(text.split())
    return text if any(ch.isalnum() for ch in text) else ""


def cut_mid_sentence(chunk: str) -> bool:
    """Whether a chunk stops inside its sentence (a phrase cut, or a run-on cut at a space)."""
    return bool(chunk) and (chunk[-1].isalnum() or chunk[-1] in "'’\"”)")


def voiced(chunk: str) -> str:
    """The text to give the voice: a chunk cut inside its sentence ends with a comma.

    Said as it stands, the voice would end it like a sentence, falling and drawn out; with a
    comma it is said as a phrase that goes on.
    """
    return f"{chunk}," if chunk[-1:].isalnum() else chunk


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """False for a period after an abbreviation, an initial ("J."), or a list number ("2.").

    Also False when no word precedes it: a leading "…" (a reply cut off, then an apology) stays
    with the words after it instead of becoming a chunk with nothing to say.
    """
    if not any(ch.isalnum() for ch in text[: match.start()]):
        return False
    if text[match.start()] != ".":
        return True
    word = re.search(r"(\S+)$", text[: match.start()])
    if word is None:
        return True
    w = word.group(1).lower()
    return not (w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha()) or w.isdigit())


class SentenceSplitter:
    """Feed LLM deltas with `add`; get back each sentence once the text after it has begun.

    With `first_clause_words` > 0 the first chunk may end at a comma or similar once it has at
    least that many words, so the voice can start while the model is still writing. With
    `first_phrase_words` > 0 it may also end before a word that starts a phrase ("to", "in",
    "is", "and", ...) once it has that many words, without punctuation (see `voiced`).
    """

    def __init__(
        self, first_clause_words: int = 0, max_chars: int = 200, first_phrase_words: int = 0
    ) -> None:
        self.first_clause_words = first_clause_words
        self.first_phrase_words = first_phrase_words
        self.max_chars = max_chars
        self._buffer = ""
        self._emitted = False

    def add(self, delta: str) -> Iterator[str]:
        self._buffer += delta
        while (cut := self._next_cut()) is not None:
            chunk, self._buffer = self._buffer[:cut], self._buffer[cut:].lstrip()
            if text := speakable(chunk):
                self._emitted = True
                yield text

    def finish(self) -> Iterator[str]:
        """The rest of the text, once the stream has ended."""
        text, self._buffer = speakable(self._buffer), ""
        if text:
            yield text

    def _next_cut(self) -> int | None:
        text = self._buffer
        for match in _SENTENCE_END.finditer(text):
            if _ends_sentence(text, match):
                return match.end()
        if not self._emitted and self.first_clause_words > 0:
            for match in _CLAUSE_END.finditer(text):
                if len(text[: match.start()].split()) >= self.first_clause_words:
                    return match.end()
            # The first chunk is what the listener waits for: cut it the moment its sentence or
            # clause ends, one token sooner than waiting to see the next word begin.
            if (match := _SENTENCE_END_NOW.search(text)) and _ends_sentence(text, match):
                return match.end()
            match = _CLAUSE_END_NOW.search(text)
            if match and len(text[: match.start()].split()) >= self.first_clause_words:
                return match.end()
        if not self._emitted and self.first_phrase_words > 0:
            for match in _WORD_THEN_NEXT.finditer(text):
                if (
                    match.group(1).lower() in _PHRASE_STARTS
                    and len(text[: match.start()].split()) >= self.first_phrase_words
                    and not _SENTENCE_END_ANY.search(text, match.start())
                ):
                    # (A sentence already written to its end, like a canned answer that comes
                    # in one piece, is said whole: nothing is gained by cutting it.)
                    return match.start()
        if len(text) > self.max_chars:
            # A run-on without punctuation: cut at the last space so the voice keeps up (and
            # piper's memory, which grows with the length of one call, stays bounded).
            space = text.rfind(" ", 0, self.max_chars)
            return space if space > 0 else self.max_chars
        return None
