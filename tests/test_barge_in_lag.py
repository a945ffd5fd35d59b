"""Barge-in latency while the next sentence is being synthesised (found by tests/test_echo_loop.py).

Before the models ran on a worker thread, the engine heard the microphone only between LLM
tokens and spoken chunks, not while piper synthesised a chunk: on a loaded 2-core machine a long
sentence takes 1-2 s, and a user who talked over the reply heard it go on that long (measured
live: speech onset at 14.25 s, reply cut at 16.38 s, load average 6.6). This reproduces it in real
time with a synthesiser that takes 1.5 s for the second sentence (piper under load).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from assistant import events as ev
from assistant.audio.files import FileMicrophone, FileSpeaker
from assistant.config import Config
from assistant.engine import Engine, Models
from assistant.testing.fakes import (
    EnergyVad,
    FixedTranscriber,
    ScriptedChatModel,
    ToneSynthesizer,
    silence,
    tone,
)


class _LoadedSynthesizer(ToneSynthesizer):
    """The tone voice, but its second sentence takes 1.5 s to synthesise (a loaded CPU)."""

    def synthesize(self, text):
        if len(self.spoken) == 1:
            time.sleep(1.5)
        yield from super().synthesize(text)


@pytest.mark.timeout(60)
def test_talking_over_the_reply_stops_it_even_while_the_next_sentence_is_synthesised():
    # The first sentence (~1.9 s of tone) plays from ~2.5 s; the second is synthesised from
    # then until ~4.0 s. The user talks over the reply at 3.0 s.
    first = "Here is the first part of it."
    reply = f"{first} And this second sentence is much longer than the first one was."
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(1.0), tone(1.0), silence(4.0)])
    models = Models(
        EnergyVad(),
        FixedTranscriber(["tell me", "wait"]),
        ScriptedChatModel([reply, "Okay."]),
        _LoadedSynthesizer(),
    )
    mic = FileMicrophone(pcm, realtime=True)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=len(pcm) / 16_000)
    got: list[ev.Event] = []
    engine = Engine(Config(), models, speaker, got.append)
    engine.barge_in = True
    engine.run(mic)
    started = [e.t for e in got if isinstance(e, ev.SpeechStarted)]
    cut = next(e.t for e in got if isinstance(e, ev.SpeakingEnded))
    assert len(started) == 2 and abs(started[1] - 3.0) < 0.1, started
    # Silero-like confirmation plus one poll: well within 0.3 s of the onset.
    assert cut <= started[1] + 0.3, (started, cut)
