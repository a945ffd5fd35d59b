"""Recalled memories in the prompt: within a token budget, and evaluated ahead where they can be.

The engine tests run spoken turns through the real memory store (SQLite and the embedding
model); only the microphone, the transcriber, the language model and the voice are fakes.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import pytest

from assistant import events as ev
from assistant import prompt
from assistant.audio.files import FileMicrophone, FileSpeaker
from assistant.config import Config
from assistant.engine import Engine, Models
from assistant.memory import MemoryStore
from assistant.memory.keeper import MemoryKeeper
from assistant.testing.fakes import (
    EnergyVad,
    FixedTranscriber,
    ScriptedChatModel,
    ToneSynthesizer,
    silence,
    tone,
)

HEADER = "(Things the user said before that may help:\n"


def words(text: str) -> int:
    return len(text.split())


def test_memories_that_fit_are_kept_whole_and_best_first():
    lines = ["one two three", "four five six", "seven eight nine"]
    # Each line costs its words plus the "- " marker: 4.
    assert prompt.fit_memories(lines, 8, words) == lines[:2]
    assert prompt.fit_memories(lines, 100, words) == lines
    assert prompt.fit_memories(lines, 0, words) == []


def test_the_memory_that_does_not_fit_is_cut_short_at_a_word():
    long = "[May 2023] user: my sister Anna moved to Lisbon last month and loves the pastries"
    kept = prompt.fit_memories(["short one here", long], 4 + 10, words)
    assert kept[0] == "short one here"
    assert kept[1].endswith(" …") and long.startswith(kept[1].removesuffix(" …"))
    assert sum(words(f"- {k}\n") for k in kept) <= 14
    # Too little room for a memory to say anything: left out rather than cut to a stub.
    assert prompt.fit_memories([long], 5, words) == []


def test_memories_evaluated_ahead_stay_first_and_only_new_ones_pay():
    ahead = ["a b c", "d e f"]
    recalled = ["x y z", "a b c", "p q r"]
    block = prompt.memory_block(ahead, recalled, 4, words)
    assert block == ["a b c", "d e f", "x y z"]  # "p q r" is over the budget of new tokens
    assert prompt.memory_block([], [], 48, words) == []


@pytest.fixture(scope="module")
def embedder(default_config):
    from assistant.memory.store import _default_embedder

    return _default_embedder()


def spoken_turns(tmp_path, embedder, texts, config=None, old=()):
    """Run one spoken turn per text through an engine whose memory holds `old` turns."""
    config = config or Config()
    store = MemoryStore(tmp_path / "memory.sqlite3", embedder=embedder)
    for text in old:
        store.add(text, thread="a conversation last spring", kind="turn", speaker="user")
    keeper = MemoryKeeper(store, "default", config.memory, "Sam")
    parts = [silence(0.3)]
    for _ in texts:
        parts += [tone(0.8), silence(4.0)]
    pcm = np.concatenate(parts)
    llm = ScriptedChatModel([f"Answer {i}." for i in range(len(texts))])
    models = Models(EnergyVad(), FixedTranscriber(list(texts)), llm, ToneSynthesizer())
    mic = FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[ev.Event] = []
    try:
        Engine(config, models, speaker, got.append, keeper).run(mic)
    finally:
        store.close()
    assert [t.user_text for t in got if isinstance(t, ev.Turn)] == list(texts)
    return llm.log


def last_user(messages) -> str:
    return messages[-1]["content"]


def test_a_turn_finds_the_memories_recalled_for_the_last_one_evaluated_already(tmp_path, embedder):
    old = ["I planted tomatoes in the garden behind the house"]
    log = spoken_turns(
        tmp_path, embedder, ["how are my tomatoes doing", "should I water the tomatoes"], old=old
    )
    streams = [m for kind, m in log if kind == "stream"]
    first_at = next(i for i, (kind, _) in enumerate(log) if kind == "stream")
    assert "planted tomatoes" in last_user(streams[0])  # recalled for the turn itself
    # After the first reply, the background warm-up evaluated the next prompt's prefix with the
    # memory recalled for that turn at its end...
    warmed = [last_user(m) for kind, m in log[first_at + 1 :] if kind == "warm_up"]
    ahead = [w.removesuffix(")\n\nHi") for w in warmed if w.startswith(HEADER)]
    assert ahead and "planted tomatoes" in ahead[-1]
    # ...and the next turn's prompt starts with exactly that, so its cache is reused.
    assert last_user(streams[1]).startswith(ahead[-1])
    assert last_user(streams[1]).endswith("should I water the tomatoes")


def test_new_memories_add_no_more_than_the_budget(tmp_path, embedder):
    old = [
        "I planted tomatoes in the garden behind the house and they grew taller than me by August",
        "the tomatoes got blight in the rain, so I sprayed them with copper every week after that",
        "my neighbour gave me tomato seeds from Naples that she had saved from her own garden",
    ]
    config = Config(memory=dataclasses.replace(Config().memory, recall_tokens=30))
    log = spoken_turns(tmp_path, embedder, ["how are my tomatoes doing"], config, old)
    (stream,) = [m for kind, m in log if kind == "stream"]
    text = last_user(stream)
    assert text.startswith(HEADER)
    block = text.removeprefix(HEADER).split(")\n\n")[0]
    lines = [line for line in block.split("\n") if line]
    assert lines and any("tomato" in line for line in lines)
    # The fake model has no tokenizer: the engine counts a token per 3 characters.
    assert sum(len(f"{line}\n") // 3 + 1 for line in lines) <= 30
    assert len(lines) < len(old)  # without the budget all three would be there


class SlowWarmUp(ScriptedChatModel):
    """A model whose warm-up takes 0.3 s, so a turn can begin while it runs."""

    def warm_up(self, messages):
        import time

        time.sleep(0.3)
        super().warm_up(messages)


def test_a_turn_that_begins_during_the_warm_up_never_waits_for_the_memories_step(
    tmp_path, embedder
):
    store = MemoryStore(tmp_path / "memory.sqlite3", embedder=embedder)
    store.add("I planted tomatoes in the garden", thread="last spring", kind="turn", speaker="user")
    try:
        keeper = MemoryKeeper(store, "default", Config().memory, "Sam")
        llm = SlowWarmUp([])
        models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
        engine = Engine(Config(), models, None, lambda e: None, keeper)
        # Undisturbed: the prefix, then the prefix with the memories for "tomatoes" at its end.
        engine._warm_in_background([], "how are my tomatoes")
        engine._warming.result(timeout=10)
        assert len(llm.warmed) == 2 and "planted tomatoes" in last_user(llm.warmed[1])
        assert engine._ahead and "planted tomatoes" in engine._ahead[0]
        # A turn begins while the prefix is evaluated: the memories step is left out, and the
        # turn does not count on memories that were never evaluated.
        engine._warm_in_background([], "how are my tomatoes")
        engine._ahead_epoch += 1  # what _generate does as a reply begins
        engine._warming.result(timeout=10)
        assert len(llm.warmed) == 3 and not last_user(llm.warmed[2]).startswith(HEADER)
        assert engine._ahead == []
    finally:
        store.close()


class HeldWarmUp(ScriptedChatModel):
    """A model whose warm-up with memories waits until the test lets it finish."""

    def __init__(self):
        import threading

        super().__init__([])
        self.started = threading.Event()
        self.release = threading.Event()

    def warm_up(self, messages):
        super().warm_up(messages)
        if last_user(messages).startswith(HEADER):
            self.started.set()
            self.release.wait(10)


@contextlib.contextmanager
def _memories_step_held(tmp_path, embedder):
    """An engine whose background warm-up is held in its memories step (about tomatoes)."""
    store = MemoryStore(tmp_path / "memory.sqlite3", embedder=embedder)
    store.add("I planted tomatoes in the garden", thread="last spring", kind="turn", speaker="user")
    try:
        keeper = MemoryKeeper(store, "default", Config().memory, "Sam")
        llm = HeldWarmUp()
        models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
        engine = Engine(Config(), models, None, lambda e: None, keeper)
        engine._warm_in_background([], "how are my tomatoes")
        assert llm.started.wait(10)  # the memories step is evaluating now
        yield engine, llm
    finally:
        store.close()


def test_memories_evaluated_while_a_turn_began_are_not_counted_on(tmp_path, embedder):
    # A turn (here: "forget what I said about tomatoes") begins while the memories step runs:
    # its prompt replaces them in the model's cache, and it may erase one of them, so the next
    # turn must not count them as evaluated.
    with _memories_step_held(tmp_path, embedder) as (engine, llm):
        engine._ahead_epoch += 1  # what _generate does as a reply begins
        llm.release.set()
        engine._warming.result(timeout=10)
        assert engine._ahead == []


def test_a_reply_cut_short_drops_the_memories_evaluated_ahead():
    # The warm-up after a reply assumes it is heard in full. Cut short, the next prompt's history
    # differs before those memories, so they are no longer in the cache: counting on them would
    # make the next turn (often the one that interrupted) evaluate them again, up to ~1 s.
    from assistant.reply import Chunk, Reply

    models = Models(EnergyVad(), FixedTranscriber([]), ScriptedChatModel([]), ToneSynthesizer())
    engine = Engine(Config(), models, None, lambda e: None)
    engine._ahead = ["[May 2023] user: I planted tomatoes in the garden"]
    epoch = engine._ahead_epoch
    r = Reply("tell me about my garden")
    r.chunks = [Chunk("Your tomatoes were planted in May, and the garden is lovely.", 1.0, 4.0)]
    r.first_audio_at = 1.0
    engine._finalize(r, 2.0)  # cut a third of the way in
    assert engine.history.exchanges[-1].interrupted
    assert engine._ahead == [] and engine._ahead_epoch == epoch + 1
    # Heard in full, they stay.
    engine._ahead = ["[May 2023] user: I planted tomatoes in the garden"]
    engine._finalize(Reply("and the roses?", chunks=[Chunk("Blooming.", 5.0, 6.0)]), None)
    assert engine._ahead


def test_an_older_warm_up_never_sets_its_memories_over_a_newer_one(tmp_path, embedder):
    # Two warm-ups queued back to back (a reply's, then one for a new pinned fact): the first
    # one's memories step ends after the second was queued, whose prefix replaces them in the
    # cache, so they must not be counted on.
    with _memories_step_held(tmp_path, embedder) as (engine, llm):
        engine._warm_in_background([], "")  # queued behind it, with no memories of its own
        llm.release.set()
        engine._warming.result(timeout=10)
        assert engine._ahead == []
