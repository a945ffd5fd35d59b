"""Building the chat messages for a turn, stable prefix first so the model's cache is reused."""

from __future__ import annotations

from collections.abc import Callable

from assistant.config import PersonaConfig
from assistant.history import Exchange
from assistant.stages.llm import Message


def system_prompt(persona: PersonaConfig) -> str:
    """The persona text with its name filled in; identical every turn."""
    return persona.system_prompt.replace("{name}", persona.name)


def build(
    persona: PersonaConfig,
    history: list[Exchange],
    user_text: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int] = lambda s: len(s) // 3 + 1,
    facts: list[str] = (),
    memories: list[str] = (),
) -> list[Message]:
    """System prompt (persona, then pinned facts), as much recent history as fits, the user's words.

    Order matters for speed: the persona and facts rarely change and history only grows, so the
    model's cache of that prefix is reused; recalled memories change every turn, so they ride in
    the last message. History is dropped oldest first when the prompt would exceed
    `budget_tokens`; a user text too long on its own is cut (keeping its end, usually the question).
    """
    system = system_prompt(persona)
    if facts:
        system += "\n\nWhat you know about the user:\n" + "\n".join(f"- {f}" for f in facts)
    if memories:
        user_text = (
            "(Things the user said before that may help:\n"
            + "\n".join(f"- {m}" for m in memories)
            + ")\n\n"
            + user_text
        )
    overhead = 8  # role markers per message in a chat template
    left = budget_tokens - count_tokens(system) - overhead
    user_tokens = count_tokens(user_text) + overhead
    if user_tokens > left:
        keep = max(1, int(len(user_text) * (left - overhead) / user_tokens))
        user_text = user_text[-keep:]
        user_tokens = left
    left -= user_tokens
    turns: list[Message] = []
    for ex in reversed(history):
        heard = ex.assistant + (" …" if ex.interrupted else "")
        cost = count_tokens(ex.user) + count_tokens(heard) + 2 * overhead
        if cost > left:
            break
        left -= cost
        turns[:0] = [{"role": "user", "content": ex.user}, {"role": "assistant", "content": heard}]
    return [{"role": "system", "content": system}, *turns, {"role": "user", "content": user_text}]
