"""Skills inside the engine: a spoken command is answered without the LLM, and the timer it set
speaks up later through engine.announce (fakes only at the model and audio boundaries)."""

from __future__ import annotations

import dataclasses
import time
from zoneinfo import ZoneInfo

import numpy as np

from assistant import events as ev
from assistant.audio.files import FileMicrophone, FileSpeaker
from assistant.config import Config
from assistant.engine import Engine, Models
from assistant.skills.router import Skills
from assistant.skills.store import SkillStore
from assistant.testing.fakes import (
    EnergyVad,
    FixedTranscriber,
    ScriptedChatModel,
    ToneSynthesizer,
    silence,
    tone,
)


def test_a_spoken_timer_is_set_without_the_llm_and_rings_on_time(tmp_path):
    # The user speaks at 0.5-1.5 s; the timer (2 s) rings about 2 s after the answer.
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(5.5)])
    llm = ScriptedChatModel(["the language model must not be asked"])
    models = Models(EnergyVad(), FixedTranscriber(["set a timer for 2 seconds"] * 3), llm,
                    ToneSynthesizer())  # fmt: skip
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    skills.warm_up()  # as the app does at start
    mic = FileMicrophone(pcm, realtime=True)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[tuple[float, ev.Event]] = []
    engine = Engine(Config(), models, speaker, lambda e: got.append((time.monotonic(), e)), None,
                    skills)  # fmt: skip
    skills.start(engine.announce)
    try:
        engine.run(mic)
    finally:
        skills.stop()
        store.close()
    assert llm.calls == []
    turns = [(t, e) for t, e in got if isinstance(e, ev.Turn)]
    ((_, turn),) = turns
    assert turn.reply_text == "Timer set for 2 seconds."
    # No LLM on this path: from the end of the turn (the endpointer's silence has passed) to the
    # answer's first audio is the skill's own time (STT and TTS are instant fakes here).
    ((ended_at, _),) = [(t, e) for t, e in got if isinstance(e, ev.SpeechEnded)]
    # (The announcement later reports its own SpeakingStarted: the first is the answer's.)
    speaking_at = next(t for t, e in got if isinstance(e, ev.SpeakingStarted))
    assert speaking_at - ended_at < 0.3, speaking_at - ended_at
    ((rang_at, announcement),) = [(t, e) for t, e in got if isinstance(e, ev.Announcement)]
    assert announcement.text == "Time's up: your 2 second timer is done."
    # The timer starts while the skill answers, just after the engine reports Thinking.
    thinking_at = next(t for t, e in got if isinstance(e, ev.Thinking))
    assert 1.99 < rang_at - thinking_at < 2.6, rang_at - thinking_at
    assert models.tts.spoken == ["Timer set for 2 seconds.", announcement.text]


def test_a_pause_mid_command_does_not_act_twice(tmp_path):
    # "Set a timer for 3 hours … (pause) … and 10 minutes": at the pause the engine prepares a
    # reply (speculation); a command must not act there, or a 3 hour timer would be left over.
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(0.3), tone(0.8), silence(3.0)])
    stt = FixedTranscriber(
        ["set a timer for 3 hours"] + ["set a timer for 3 hours and 10 minutes"] * 2
    )
    llm = ScriptedChatModel(["the language model must not be asked"])
    models = Models(EnergyVad(), stt, llm, ToneSynthesizer())
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    mic = FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[ev.Event] = []
    engine = Engine(Config(), models, speaker, got.append, None, skills)
    engine.run(mic)
    partials = [e.text for e in got if isinstance(e, ev.PartialTranscript)]
    assert partials[0] == "set a timer for 3 hours"  # a reply would have been prepared here
    (turn,) = [e for e in got if isinstance(e, ev.Turn)]
    assert turn.reply_text == "Timer set for 3 hours and 10 minutes."
    assert [t.length_s for t in store.timers("default")] == [3 * 3600 + 600]
    assert llm.calls == []
    store.close()


def _run_voice(tmp_path, pcm, texts, barge_in=False, realtime=True):
    """Run the engine over pcm with skills; return (events with the timer count at each, store).

    In real time: unpaced, the mic runs ahead while the reply is voiced, so when things happen
    on the session timeline would depend on the threads' timing.
    """
    models = Models(EnergyVad(), FixedTranscriber(texts),
                    ScriptedChatModel(["the language model must not be asked"]),
                    ToneSynthesizer())  # fmt: skip
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    skills.warm_up()  # as the app does at start
    mic = FileMicrophone(pcm, realtime=realtime)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[tuple[ev.Event, int]] = []

    def emit(e: ev.Event) -> None:
        got.append((e, len(store.timers("default"))))

    engine = Engine(Config(), models, speaker, emit, None, skills)
    engine.barge_in = barge_in
    engine.run(mic)
    assert models.llm.calls == []
    return got, store, models


def test_a_command_is_answered_at_the_pause_and_acts_once_the_turn_is_over(tmp_path):
    # "Set a timer for 2 seconds." sounds finished: its answer is voiced at the first pause and
    # plays before the end silence (400 ms) has passed; the timer is set when the turn is
    # confirmed over, once.
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(3.0)])
    got, store, models = _run_voice(tmp_path, pcm, ["Set a timer for 2 seconds."])
    (started, timers_then) = next((e, n) for e, n in got if isinstance(e, ev.SpeakingStarted))
    print(f"\nanswer audio {started.t - 1.5:.3f} s after the end of speech")
    assert started.t - 1.5 < Config().vad.end_silence_ms / 1000, started.t
    assert timers_then == 0  # heard before it acted: a half-said command would change nothing
    (turn,) = [e for e, _ in got if isinstance(e, ev.Turn)]
    assert turn.reply_text == "Timer set for 2 seconds."
    assert [t.length_s for t in store.timers("default")] == [2]
    assert models.tts.spoken == ["Timer set for 2 seconds."]
    store.close()


def test_half_duplex_an_early_command_acts_when_its_answer_starts_not_when_it_ends(tmp_path):
    # Half-duplex, the mic is deaf from the answer's first sound on, so the turn is over then:
    # the timer starts with the answer, not after it (1.3 s of answer here).
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(3.0)])
    models = Models(EnergyVad(), FixedTranscriber(["Set a timer for 2 seconds."]),
                    ScriptedChatModel(["the language model must not be asked"]),
                    ToneSynthesizer())  # fmt: skip
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    mic = FileMicrophone(pcm, realtime=True)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[tuple[float, ev.Event]] = []
    engine = Engine(Config(), models, speaker, lambda e: got.append((time.time(), e)), None,
                    skills)  # fmt: skip
    engine.run(mic)
    started_at, started = next((t, e) for t, e in got if isinstance(e, ev.SpeakingStarted))
    ended = next(e for _, e in got if isinstance(e, ev.SpeakingEnded))
    assert ended.t - started.t > 1.0  # a long enough answer to tell the two apart
    (timer,) = store.timers("default")
    set_at = timer.due - timer.length_s
    assert set_at - started_at < 0.3, (set_at - started_at, ended.t - started.t)
    store.close()


def test_a_whole_command_without_a_full_stop_is_answered_before_the_end_silence(tmp_path):
    # Whisper often writes short commands without a full stop ("cancel all timers"); with
    # barge-in, a command the skills can answer whole is finished words all the same. One that
    # needs more ("set a timer for") is asked about, and that question waits for the end of the
    # turn. Half-duplex, only a command nothing is added to is: "set a timer for 3 hours" may
    # go on ("… and 10 minutes", see test_a_pause_mid_command_does_not_act_twice).
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(3.0)])
    end_silence = Config().vad.end_silence_ms / 1000
    for said, barge_in, early in [
        ("cancel all timers", True, True),
        ("set a timer for", True, False),
        ("cancel all timers", False, True),
        ("read my shopping list", False, True),
        ("set a timer for 3 hours", False, False),
        ("set a timer for 3 hours", True, True),
        ("what time is it", False, False),
    ]:
        got, store, _ = _run_voice(tmp_path, pcm, [said], barge_in=barge_in)
        (started, _) = next((e, n) for e, n in got if isinstance(e, ev.SpeakingStarted))
        assert (started.t - 1.5 < end_silence) == early, (said, barge_in, started.t)
        store.close()


def test_going_on_after_an_early_command_answer_acts_only_on_the_whole_command(tmp_path):
    # "Set a timer for 3 hours." … 300 ms … "and 10 minutes": the answer rehearsed at the pause
    # starts playing, the user goes on (barge-in), it stops, and only the whole command acts.
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(0.3), tone(0.8), silence(3.0)])
    texts = ["Set a timer for 3 hours.", "Set a timer for 3 hours and 10 minutes."]
    got, store, models = _run_voice(tmp_path, pcm, texts, barge_in=True)
    assert models.tts.spoken[0] == "Timer set for 3 hours."
    assert any(isinstance(e, ev.SpeakingStarted) for e, _ in got)
    turns = [e for e, _ in got if isinstance(e, ev.Turn)]
    assert turns[-1].reply_text == "Timer set for 3 hours and 10 minutes."
    assert [t.length_s for t in store.timers("default")] == [3 * 3600 + 600]
    store.close()


def test_rehearsing_a_command_changes_nothing(tmp_path):
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    assert skills.answer("add eggs to my shopping list") is not None
    said = skills.rehearse("add milk to my shopping list")
    assert said is not None and "milk" in said
    assert [item for _, item in store.items("default", "shopping")] == ["eggs"]
    assert skills.rehearse("set a timer") == "For how long?"  # a question, not asked for real
    skills.answer("5 minutes")  # had the question been left open, this would set a timer
    assert store.timers("default") == []
    assert skills.rehearse("what's the weather like") is None
    # Rehearsal and the real thing agree, and only the real thing acts.
    assert skills.rehearse("add bread to my shopping list") == skills.answer(
        "add bread to my shopping list"
    )
    assert [item for _, item in store.items("default", "shopping")] == ["eggs", "bread"]
    store.close()


class _SlowWarmUp(ScriptedChatModel):
    """A model whose prompt evaluation takes seconds (a long history on a slow machine)."""

    def warm_up(self, messages):
        time.sleep(5.0)
        super().warm_up(messages)


def test_a_command_does_not_wait_for_the_model_evaluating_the_next_prompt(tmp_path):
    # After a chat reply the model evaluates the next prompt in the background (5 s here); a
    # command said meanwhile is answered by the skills and the voice without waiting for it.
    pcm = np.concatenate([silence(0.3), tone(0.8), silence(2.0), tone(0.8), silence(3.0)])
    llm = _SlowWarmUp(["Hello."])
    models = Models(EnergyVad(), FixedTranscriber(["Hi there.", "What time is it?"]), llm,
                    ToneSynthesizer())  # fmt: skip
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    skills.warm_up()
    mic = FileMicrophone(pcm, realtime=True)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[ev.Event] = []
    engine = Engine(Config(), models, speaker, got.append, None, skills)
    engine.run(mic)
    store.close()
    first, second = [e for e in got if isinstance(e, ev.Turn)]
    assert first.reply_text == "Hello." and second.reply_text.startswith("It's")
    assert llm.warmed, "the next prompt was not evaluated in the background"
    assert second.timings_ms["end_of_speech_to_first_audio"] < 400, second.timings_ms


def test_a_skills_answer_is_kept_in_the_history_but_not_shown_to_the_model(tmp_path):
    # The tiny default model took "Timer set …" / "You have no timers running." in its prompt
    # for a template: "Lock the front door." got "You have no locks running."
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(2.0), tone(1.0), silence(3.0)])
    llm = ScriptedChatModel(["Why did the chicken cross the road?"])
    models = Models(EnergyVad(), FixedTranscriber(["cancel all timers", "tell me a joke"]), llm,
                    ToneSynthesizer())  # fmt: skip
    config = Config(vad=dataclasses.replace(Config().vad, speculate_ms=0))  # one transcript each
    store = SkillStore(tmp_path / "memory.sqlite3")
    skills = Skills(store, "default", ZoneInfo("UTC"))
    mic = FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[ev.Event] = []
    engine = Engine(config, models, speaker, got.append, None, skills)
    try:
        engine.run(mic)
    finally:
        store.close()
    replies = [e.reply_text for e in got if isinstance(e, ev.Turn)]
    assert replies == ["You have no timers running.", "Why did the chicken cross the road?"]
    assert [(x.user, x.command) for x in engine.history.exchanges] == [
        ("cancel all timers", True),
        ("tell me a joke", False),
    ]
    (messages,) = llm.calls
    shown = " ".join(m["content"] for m in messages)
    assert "timers" not in shown and messages[-1]["content"] == "tell me a joke"
