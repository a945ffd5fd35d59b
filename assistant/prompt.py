"""Building the chat messages for a turn, stable prefix first so the model's cache is reused."""

from __future__ import annotations

from collections.abc import Callable

from assistant.config import PersonaConfig
from assistant.history import Exchange
from assistant.stages.llm import Message

_MIN_MEMORY_WORDS = 6  # a memory cut shorter than this says too little to be worth its tokens


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

    Exchanges answered by a skill or a memory command are left out (see Exchange.command).

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
        if ex.command:
            continue  # a skill's fixed answer: the model would take it for a template
        heard = ex.assistant + (" …" if ex.interrupted else "")
        cost = count_tokens(ex.user) + count_tokens(heard) + 2 * overhead
        if cost > left:
            break
        left -= cost
        turns[:0] = [{"role": "user", "content": ex.user}, {"role": "assistant", "content": heard}]
    return [{"role": "system", "content": system}, *turns, {"role": "user", "content": user_text}]


def fit_memories(
    lines: list[str], budget_tokens: int, count_tokens: Callable[[str], int]
) -> list[str]:
    """The memory lines, best first, that fit in budget_tokens; the last one cut short to fit.

    Every token of a recalled memory is evaluated before the reply's first word (~5 ms each on
    two cores), and a returning user's four memories ran to ~240 tokens: 1.3 s of silence.
    """
    kept: list[str] = []
    left = budget_tokens
    for line in lines:
        cost = count_tokens(f"- {line}\n")
        if cost <= left:
            kept.append(line)
            left -= cost
            continue
        words = line.split()
        while len(words) > _MIN_MEMORY_WORDS:  # the start of a memory still says what it was
            words.pop()
            short = f"{' '.join(words)} …"
            if count_tokens(f"- {short}\n") <= left:
                kept.append(short)
                break
        break
    return kept


def memory_block(
    ahead: list[str],
    recalled: list[str],
    new_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[str]:
    """The memories for a turn: those evaluated ahead of it first, then new ones within budget.

    `ahead` were recalled for the previous turn and are already in the model's cache (the
    background warm-up evaluated them while the reply played), so they cost nothing now and stay
    first, unchanged; only the newly recalled lines are paid for, up to new_tokens.
    """
    new = [m for m in recalled if m not in ahead]
    return [*ahead, *fit_memories(new, new_tokens, count_tokens)]
