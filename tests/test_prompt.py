"""Prompt building: stable prefix first, history trimmed to fit, long input cut."""

from __future__ import annotations

from assistant.config import PersonaConfig
from assistant.history import Exchange
from assistant.prompt import build, system_prompt

PERSONA = PersonaConfig(name="Ada", system_prompt="You are {name}.")


def words(s: str) -> int:
    return len(s.split())


def test_system_prompt_comes_first_and_user_last():
    history = [Exchange("hi", "hello"), Exchange("how are you", "fine")]
    msgs = build(PERSONA, history, "tell me a joke", 1000, words)
    assert msgs[0] == {"role": "system", "content": "You are Ada."}
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[-1]["content"] == "tell me a joke"


def test_prefix_is_identical_across_turns_so_the_cache_is_reused():
    history = [Exchange("hi", "hello")]
    first = build(PERSONA, history, "one", 1000, words)
    history.append(Exchange("one", "answer"))
    second = build(PERSONA, history, "two", 1000, words)
    assert second[: len(first) - 1] == first[:-1]


def test_old_history_is_dropped_first_when_over_budget():
    history = [Exchange(f"question {i} " + "x " * 20, f"answer {i}") for i in range(10)]
    msgs = build(PERSONA, history, "now", 120, words)
    contents = [m["content"] for m in msgs]
    assert any("question 9" in c for c in contents)
    assert not any("question 0" in c for c in contents)
    assert sum(words(c) + 8 for c in contents) <= 120


def test_interrupted_reply_is_marked():
    msgs = build(PERSONA, [Exchange("hi", "Well, I", interrupted=True)], "go on", 1000, words)
    assert msgs[2]["content"].endswith("…")


def test_huge_user_text_is_cut_to_fit_keeping_its_end():
    text = "blah " * 5000 + "what is the time?"
    msgs = build(PERSONA, [], text, 200, words)
    assert msgs[-1]["content"].endswith("what is the time?")
    assert words(msgs[-1]["content"]) < 200


def test_name_is_filled_in():
    assert system_prompt(PERSONA) == "You are Ada."


def test_a_commands_exchange_is_not_shown_to_the_model():
    history = [Exchange("cancel all timers", "You have no timers running.", command=True),
               Exchange("hi", "hello")]  # fmt: skip
    msgs = build(PERSONA, history, "lock the front door", 1000, words)
    assert [m["content"] for m in msgs[1:]] == ["hi", "hello", "lock the front door"]
