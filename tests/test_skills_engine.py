"""Skills inside the engine: a spoken command is answered without the LLM, and the timer it set
speaks up later through engine.announce (fakes only at the model and audio boundaries)."""

from __future__ import annotations

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
