"""What the engine asks of memory in a conversation: recall, remember, and the user's commands."""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import MemoryConfig
from assistant.memory.facts import extract, parse_command
from assistant.memory.recall import STOPWORDS
from assistant.memory.store import Memory, MemoryStore

if TYPE_CHECKING:
    from assistant.skills.store import SkillStore

_IRREGULAR = {
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
    "doesn't": "don't",
    "isn't": "aren't",
    "wasn't": "weren't",
    "hasn't": "haven't",
}
_SUBJECT = re.compile(r"\bThe user(?:'s)?\b(?:\s+(no longer|also|still|never|usually))?\s+(\S+)")


def _base_verb(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ss|ch|sh|x|z|o)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def second_person(note: str) -> str:
    """A pinned note said back to the user: "The user lives in X." → "You live in X."."""

    def repl(m: re.Match[str]) -> str:
        if m.group(0).startswith("The user's"):
            return "Your " + (f"{m.group(1)} " if m.group(1) else "") + m.group(2)
        adverb = f"{m.group(1)} " if m.group(1) else ""
        return f"You {adverb}{_base_verb(m.group(2))}"

    note = _SUBJECT.sub(repl, note, count=1)
    note = re.sub(r"\btheir\b", "your", note)
    return re.sub(r"\bthey\b", "you", note)


def _skills(path: Path) -> contextlib.closing[SkillStore]:
    """The skills' tables in the same database file (lists, notes, reminders, timers)."""
    from assistant.skills.store import SkillStore  # the skills build on memory, not the reverse

    return contextlib.closing(SkillStore(path))


def _when(m: Memory) -> str:
    return f"{m.when.day} {m.when.strftime('%B %Y')}"


class MemoryKeeper:
    """One profile's memory as seen from a running conversation.

    Every turn is stored in the conversation's thread; durable facts the user states are pinned
    (a newer fact in the same slot replaces the older one); recall leaves out the current
    conversation, which is already in the prompt as history.
    """

    def __init__(self, store: MemoryStore, profile: str, config: MemoryConfig, persona_name: str):
        self.store = store
        self.profile = profile
        self.config = config
        self.persona_name = persona_name
        self.thread = datetime.now().strftime("conversation %Y-%m-%d %H:%M:%S")
        # Load the search indexes while the models load, not in the user's first turn.
        threading.Thread(target=self._warm, name="memory-warm", daemon=True).start()

    def _warm(self) -> None:
        # Closed early or unreadable: the first real search reports it.
        with contextlib.suppress(Exception):
            self.store.warm(self.profile)

    def facts(self) -> list[str]:
        """The pinned facts, for the system prompt."""
        return [m.text for m in self.store.facts(self.profile)]

    def recall(self, user_text: str) -> list[str]:
        """Earlier memories relevant to what the user just said, as dated lines for the prompt."""
        if self.config.recall <= 0:
            return []
        hits = self.store.search(
            user_text,
            self.profile,
            k=self.config.recall,
            kinds=("turn", "note"),
            min_similarity=self.config.min_similarity,
            exclude_thread=self.thread,
        )
        return [f"[{_when(m)}] {m.speaker or 'note'}: {m.text}" for m in hits]

    def remember(self, user_text: str, reply_text: str) -> None:
        """Store both sides of a finished turn, and pin any facts the user stated."""
        self.store.add_many(
            [
                {"text": user_text, "kind": "turn", "speaker": "user", "thread": self.thread},
                {
                    "text": reply_text,
                    "kind": "turn",
                    "speaker": self.persona_name,
                    "thread": self.thread,
                },
            ],
            self.profile,
        )
        facts = extract(user_text)
        if facts:
            self.store.add_many(
                [{"text": f.text, "kind": "fact", "slot": f.slot} for f in facts], self.profile
            )

    def command(self, user_text: str) -> tuple[str, list[str]] | None:
        """Handle "what do you remember about me" / "forget …": (spoken answer, forgotten words)."""
        cmd = parse_command(user_text)
        if cmd is None:
            return None
        if cmd.action == "recall_all":
            facts = self.facts()
            if not facts:
                return "I don't have any notes about you yet. Tell me about yourself!", []
            said = " ".join(second_person(f) for f in facts)
            return f"Here's what I remember about you. {said}", []
        topic = cmd.topic.strip()
        if topic in ("everything", "all", "me", "about me"):
            self.store.forget_many([m.id for m in self.store.list(self.profile)], self.profile)
            with _skills(self.store.path) as skills:
                skills.forget_profile(self.profile)
            return "Done. I've forgotten everything you told me.", ["*"]
        words = [w for w in re.findall(r"\w+", topic.lower()) if w not in STOPWORDS]
        forgotten = self.store.forget_about(topic, self.profile)
        # Notes, reminders, list items and timer names are things the user said too.
        with _skills(self.store.path) as skills:
            n = len(forgotten) + skills.forget_about(self.profile, words)
        if not n:
            return f"I don't have anything about {topic} to forget.", words
        return f"Done. I've forgotten {n} thing{'s' if n != 1 else ''} about {topic}.", words
