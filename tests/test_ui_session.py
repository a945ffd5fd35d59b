"""The Session: models load off the caller's thread; typed text is answered before and after."""

from __future__ import annotations

import threading
import time

import numpy as np

from assistant import events as ev
from assistant.config import Config
from assistant.engine import Models
from assistant.testing.fakes import EnergyVad, FixedTranscriber, ScriptedChatModel, ToneSynthesizer
from assistant.ui.session import Session


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.threads: set[str] = set()
        self.lock = threading.Condition()

    def __call__(self, event: ev.Event) -> None:
        with self.lock:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)
            self.lock.notify_all()

    def wait_for(self, cls, n=1, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while sum(isinstance(e, cls) for e in self.events) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"no {cls.__name__} in {self.events}"
                self.lock.wait(left)
        return [e for e in self.events if isinstance(e, cls)]


def fake_models(replies):
    return Models(EnergyVad(), FixedTranscriber([]), ScriptedChatModel(replies), ToneSynthesizer())


def test_typed_text_is_answered_before_and_after_loading():
    rec = Recorder()
    gate = threading.Event()
    loaded_on = []

    def slow_load(config):
        loaded_on.append(threading.current_thread().name)
        gate.wait(10)
        return fake_models(["Hello there.", "Fine, thanks."])

    s = Session(
        Config(),
        "default",
        rec,
        load_models=slow_load,
        open_mic=None,
        open_speaker=None,
        keeper=lambda c, p: None,
    )
    s.start()
    s.submit("hi")  # before the models exist
    s.set_listening(True)
    assert not any(isinstance(e, ev.Ready) for e in rec.events)
    gate.set()
    rec.wait_for(ev.Ready)
    turns = rec.wait_for(ev.Turn)
    assert turns[0].user_text == "hi" and turns[0].reply_text == "Hello there."
    s.submit("how are you?")
    turns = rec.wait_for(ev.Turn, 2)
    assert turns[1].reply_text == "Fine, thanks."
    assert rec.wait_for(ev.ListeningChanged)[-1].on is True
    s.stop()
    assert not s.alive
    assert loaded_on == ["assistant-engine"] and threading.current_thread().name not in rec.threads


def test_a_failed_load_is_reported_not_raised():
    rec = Recorder()

    def broken(config):
        from assistant.errors import AssistantError

        raise AssistantError("the language model file is missing; run ./scripts/setup.sh")

    s = Session(Config(), "default", rec, load_models=broken, open_mic=None, open_speaker=None)
    s.start()
    err = rec.wait_for(ev.Error)[0]
    assert "language model file is missing" in err.message
    s.stop()
    assert not s.alive


def _spoken(listening: bool):
    """A Session fed one utterance (a tone the energy VAD hears) through its microphone."""
    from assistant.audio.files import FileMicrophone
    from assistant.testing.fakes import silence, tone

    rec = Recorder()
    models = Models(
        EnergyVad(),
        FixedTranscriber(["what's up"]),
        ScriptedChatModel(["Not much."]),
        ToneSynthesizer(),
    )
    pcm = np.concatenate([silence(0.5), tone(1.0), silence(1.0)])
    s = Session(
        Config(),
        "default",
        rec,
        models=models,
        open_mic=lambda config, clock: FileMicrophone(pcm, realtime=False),
        open_speaker=None,
        keeper=lambda c, p: None,
    )
    s.set_listening(listening)
    s.start()
    return s, rec


def test_the_microphone_is_heard_only_while_listening():
    s, rec = _spoken(listening=True)
    turn = rec.wait_for(ev.Turn)[0]
    assert (turn.user_text, turn.reply_text) == ("what's up", "Not much.")
    assert rec.wait_for(ev.MicLevel)
    s.stop()

    s, rec = _spoken(listening=False)
    rec.wait_for(ev.Ready)
    s._thread.join(20)  # the file ends, so run() returns
    assert not any(isinstance(e, (ev.SpeechStarted, ev.Turn, ev.MicLevel)) for e in rec.events)
    assert rec.wait_for(ev.ListeningChanged)[-1].on is False
