"""The prompt of each turn should extend the previous one, so the LLM's KV cache is reused.

Found by scripts/bench_live.py (README, "Live conversation"): from the 8th turn of a conversation
the LLM's first token went from ~0.5 s to 4–10 s under load (84 ms → 3.4 s on a quieter machine),
because with `history_turns = 6` the oldest exchange is dropped at every turn once the history
is full, so the prompt changes right after the system prompt and the whole history must be
evaluated again. The history now drops old exchanges in blocks, so most turns only append.
"""

from __future__ import annotations

from assistant import prompt
from assistant.config import Config
from assistant.history import History


def _common_prefix(a: list[dict], b: list[dict]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def test_most_turns_of_a_long_conversation_only_append_to_the_prompt():
    persona = Config().persona
    history = History()
    reused = []
    previous: list[dict] | None = None
    for i in range(30):
        messages = prompt.build(
            persona, history.recent(persona.history_turns), f"question {i}?", budget_tokens=1800
        )
        if previous is not None:
            # Everything before the previous turn's question is still there, in place.
            reused.append(_common_prefix(previous[:-1], messages) == len(previous) - 1)
        previous = messages
        history.add(f"question {i}?", f"answer {i}.")
    # Dropping old history now and then is fine; re-evaluating it at every turn is not.
    assert sum(reused) >= 0.75 * len(reused), f"prompt prefix reused in {sum(reused)}/{len(reused)}"
