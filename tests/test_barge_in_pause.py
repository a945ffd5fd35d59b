"""Barge-in in two steps: the first voice over a reply pauses it, confirmed speech stops it.

Engine timelines with the tone voice and the energy VAD (exact, no models). The reply is a
440 Hz tone on the speaker's timeline; the "user" is a 220 Hz tone in the microphone input.
"""

from __future__ import annotations

import dataclasses
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

RATE = 16_000
# 207 characters in 6 sentences: ~10.4 s of tone voice.
LONG = "Here is a long answer that keeps on going. It has several sentences. " * 3
LONG_TEXT = " ".join(LONG.split())


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


class SlowModel(ScriptedChatModel):
    """Streams 20 characters every 0.4 s: the reply is still being generated as it plays."""

    def __init__(self, replies):
        super().__init__(replies, chunk=20)
        self.closed = False

    def stream(self, messages):
        try:
            for delta in super().stream(messages):
                time.sleep(0.4)
                yield delta
        finally:
            self.closed = True


class LoopMic:
    """A fast file microphone that also hears the speaker, 60 ms late, at full level (echo)."""

    def __init__(self, pcm, speaker_ref):
        self.inner = FileMicrophone(pcm, realtime=False)
        self.clock = self.inner.clock
        self.speaker_ref = speaker_ref

    def _echo(self, frames):
        played = self.speaker_ref[0].render()
        out = []
        for f in frames:
            a = round((f.t - 0.06) * RATE)
            echo = np.zeros(len(f.pcm), np.float32)
            if a >= 0 and a < len(played):
                part = played[a : a + len(f.pcm)]
                echo[: len(part)] = part
            out.append(type(f)(f.pcm + echo, f.t))
        return out

    def frames(self):
        for f in self.inner.frames():
            yield from self._echo([f])

    def poll(self):
        return self._echo(self.inner.poll())

    def close(self):
        pass


def talk(pcm, texts, replies, barge_in=True, llm=None, config=None, loop=False):
    models = Models(
        EnergyVad(), FixedTranscriber(texts), llm or ScriptedChatModel(replies), ToneSynthesizer()
    )
    ref: list[FileSpeaker] = []
    mic = LoopMic(pcm, ref) if loop else FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=RATE, min_duration_s=len(pcm) / RATE)
    ref.append(speaker)
    got: list[ev.Event] = []
    engine = Engine(config or Config(), models, speaker, got.append)
    engine.barge_in = barge_in
    engine.run(mic)
    return got, speaker, engine, models


def voiced_seconds(out: np.ndarray) -> float:
    """How much reply audio was played (10 ms blocks with sound)."""
    n = len(out) // 160
    blocks = np.abs(out[: n * 160]).reshape(n, 160).max(axis=1)
    return float(np.count_nonzero(blocks > 0.01)) * 0.01


class StillClock:
    """Time that moves only when the test sets it."""

    def __init__(self) -> None:
        self.t = 0.0

    def set(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def spoken_seconds(models) -> float:
    """How long the tone voice's audio for everything it was asked to say lasts."""
    return sum(0.05 * len(s) for s in models.tts.spoken)


# -- the speaker ------------------------------------------------------------------------------


def test_the_file_speaker_pauses_and_resumes_without_losing_audio():
    clock = StillClock()
    spk = FileSpeaker(clock, rate=RATE)
    assert spk.play(np.ones(RATE, np.float32), RATE) == 0.0  # 0..1 s
    clock.set(0.4)
    at = spk.pause()
    assert at == 0.4 and spk.pause() == at  # pausing twice changes nothing
    # Played while paused: after the held 0.6 s, as if the pause had not begun.
    assert abs(spk.play(np.ones(RATE // 2, np.float32), RATE) - (at + 0.6)) < 1e-6
    assert abs(spk.busy_until() - (at + 1.1)) < 1e-6
    clock.set(1.0)
    shift = spk.resume()
    assert abs(shift - 0.6) < 1e-9 and spk.resume() == 0.0
    out = spk.render()
    assert abs(len(out) / RATE - 2.1) < 0.02 and abs(spk.busy_until() - 2.1) < 0.02
    assert not np.any(out[round(at * RATE) + 1 : round(1.0 * RATE) - 1])  # silent while paused
    assert abs(np.count_nonzero(out) / RATE - 1.5) < 0.002  # every sample played once


def test_stopping_a_paused_file_speaker_drops_what_it_held_at_the_pause():
    clock = StillClock()
    spk = FileSpeaker(clock, rate=RATE)
    spk.play(np.ones(RATE, np.float32), RATE)
    clock.set(0.3)
    at = spk.pause()
    clock.set(0.5)
    assert spk.stop() == at and spk.busy_until() == at
    clock.set(2.0)
    assert spk.resume() == 0.0
    assert abs(np.count_nonzero(spk.render()) / RATE - at) < 0.002


# -- the engine -------------------------------------------------------------------------------


def test_a_blip_over_the_reply_pauses_it_and_it_plays_on_with_nothing_lost():
    # The reply plays from ~2.5 s; an 80 ms click (3 voiced chunks: more than onset_ms, less
    # than min_speech_ms) at 5.0 s pauses it; 300 ms of quiet later it resumes.
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(3.0), tone(0.08), silence(12.0)])
    got, speaker, engine, models = talk(pcm, ["tell me a story"], [LONG])
    (paused,) = of(got, ev.SpeakingPaused)
    (resumed,) = of(got, ev.SpeakingResumed)
    assert 5.0 < paused.t <= 5.07  # two chunks of voice, at once
    assert 5.08 + 0.29 <= resumed.t <= 5.08 + 0.4
    assert len(of(got, ev.SpeechStarted)) == 1  # the click started no turn
    (turn,) = of(got, ev.Turn)
    assert not turn.interrupted and turn.reply_text == LONG_TEXT
    assert engine.history.exchanges[0].assistant == LONG_TEXT
    out = speaker.render()
    assert not np.any(out[round((paused.t + 0.01) * RATE) : round((resumed.t - 0.01) * RATE)])
    assert abs(voiced_seconds(out) - spoken_seconds(models)) < 0.05
    # It ended that much later, and was reported ended then.
    (ended,) = of(got, ev.SpeakingEnded)
    started = of(got, ev.SpeakingStarted)[0].t
    assert abs(ended.t - started - voiced_seconds(out) - (resumed.t - paused.t)) < 0.1


def test_talking_over_the_reply_pauses_it_then_stops_it_where_it_paused():
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(3.0), tone(1.0), silence(4.0)])
    got, speaker, engine, _ = talk(pcm, ["tell me a story", "wait"], [LONG, "Okay."])
    (paused,) = of(got, ev.SpeakingPaused)
    assert of(got, ev.SpeakingResumed) == []
    cut = of(got, ev.SpeakingEnded)[0].t
    assert cut == paused.t and 5.0 < cut <= 5.07  # stopped where it paused: ~64 ms in
    order = [type(e) for e in got]
    second_start = [i for i, k in enumerate(order) if k is ev.SpeechStarted][1]
    assert order.index(ev.SpeakingPaused) < second_start
    first, second = of(got, ev.Turn)
    assert first.interrupted and second.user_text == "wait"
    # History keeps what was played before the pause: ~2.5 s of a 50 ms-per-character voice.
    heard = engine.history.exchanges[0].assistant
    assert engine.history.exchanges[0].interrupted and LONG_TEXT.startswith(heard)
    assert 0 < len(heard) < len(LONG_TEXT)
    out = speaker.render()
    assert not np.any(out[round((cut + 0.005) * RATE) : round(6.0 * RATE)])


def test_talking_over_a_reply_still_being_generated_cancels_it():
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(2.5), tone(1.0), silence(4.0)])
    llm = SlowModel([LONG, "Okay."])
    got, speaker, engine, models = talk(pcm, ["tell me a story", "wait"], [], llm=llm)
    (paused,) = of(got, ev.SpeakingPaused)
    first = of(got, ev.Turn)[0]
    assert first.interrupted and of(got, ev.SpeakingEnded)[0].t == paused.t
    assert llm.closed
    # Generation stopped: the later sentences were never voiced.
    assert len(models.tts.spoken) < len([s for s in LONG.split(".") if s.strip()]) + 1
    assert "Okay" in " ".join(models.tts.spoken)  # then it answered "wait"
    assert engine.history.exchanges[0].interrupted


def test_a_blip_while_the_reply_is_generated_resumes_it_and_the_rest_follows():
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(2.5), tone(0.08), silence(14.0)])
    llm = SlowModel([LONG])
    got, speaker, engine, models = talk(pcm, ["tell me a story"], [], llm=llm)
    assert len(of(got, ev.SpeakingPaused)) == 1 and len(of(got, ev.SpeakingResumed)) == 1
    (turn,) = of(got, ev.Turn)
    assert not turn.interrupted and turn.reply_text == LONG_TEXT
    assert abs(voiced_seconds(speaker.render()) - spoken_seconds(models)) < 0.05


def test_with_onset_off_it_stops_only_once_speech_is_confirmed():
    import dataclasses

    config = Config(vad=dataclasses.replace(Config().vad, onset_ms=0))
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(3.0), tone(1.0), silence(4.0)])
    got, _, _, _ = talk(pcm, ["tell me a story", "wait"], [LONG, "Okay."], config=config)
    assert of(got, ev.SpeakingPaused) == []
    assert 5.15 <= of(got, ev.SpeakingEnded)[0].t <= 5.25  # min_speech_ms after the onset


def test_half_duplex_is_unchanged_by_voice_over_the_reply():
    pcm = np.concatenate(
        [silence(1.0), tone(1.0), silence(3.0), tone(0.08), silence(1.0), tone(1.0), silence(9.0)]
    )
    got, speaker, _, models = talk(
        pcm, ["tell me a story", "wait"], [LONG, "Okay."], barge_in=False
    )
    assert of(got, ev.SpeakingPaused) == [] and of(got, ev.SpeakingResumed) == []
    (turn,) = of(got, ev.Turn)
    assert not turn.interrupted and turn.reply_text == LONG_TEXT
    assert abs(voiced_seconds(speaker.render()) - spoken_seconds(models)) < 0.05


def test_its_own_voice_looped_into_the_mic_never_pauses_or_starts_a_turn_in_half_duplex():
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(14.0)])
    got, speaker, _, _ = talk(pcm, ["tell me a story"], [LONG], barge_in=False, loop=True)
    assert of(got, ev.SpeakingPaused) == []
    assert len(of(got, ev.SpeechStarted)) == 1
    (turn,) = of(got, ev.Turn)
    assert not turn.interrupted and turn.reply_text == LONG_TEXT


def test_muting_the_mic_resumes_a_paused_reply():
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(3.0), tone(0.08), silence(12.0)])
    models = Models(
        EnergyVad(), FixedTranscriber(["tell me"]), ScriptedChatModel([LONG]), ToneSynthesizer()
    )
    mic = FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=RATE, min_duration_s=len(pcm) / RATE)
    got: list[ev.Event] = []
    engine = Engine(Config(), models, speaker, got.append)
    engine.barge_in = True

    def emit(e):
        got.append(e)
        if isinstance(e, ev.SpeakingPaused):
            engine.set_listening(False)  # the hotkey, right after the click

    engine.emit = emit
    engine.run(mic)
    (paused,) = of(got, ev.SpeakingPaused)
    (resumed,) = of(got, ev.SpeakingResumed)
    assert resumed.t - paused.t < 0.1
    (turn,) = of(got, ev.Turn)
    assert not turn.interrupted and turn.reply_text == LONG_TEXT


@pytest.mark.audio
def test_the_device_speaker_pauses_and_resumes_without_losing_audio(pulse):
    from assistant.audio.devices import DeviceSpeaker
    from tests.test_audio_devices import Recorder, loud_blocks

    rate = 22_050
    voice = (0.4 * np.sin(2 * np.pi * 440 * np.arange(int(1.5 * rate)) / rate)).astype(np.float32)
    more = voice[: int(0.3 * rate)]
    with Recorder("vspeaker.monitor") as rec:
        rec.wait_for_data()
        speaker = DeviceSpeaker("")
        try:
            time.sleep(0.3)
            start = speaker.play(voice, rate)
            time.sleep(0.5)
            at = speaker.pause()
            # Queued while paused: placed after what it holds, as if there were no pause.
            later = speaker.play(more, rate)
            assert later == pytest.approx(start + 1.5, abs=0.02)
            assert speaker.busy_until() == pytest.approx(start + 1.8, abs=0.02)
            time.sleep(0.6)
            shift = speaker.resume()
            assert 0.55 < shift < 0.6 + 0.3  # the pause, plus the device's delay at most
            assert speaker.busy_until() == pytest.approx(start + 1.8 + shift, abs=0.05)
            speaker.wait()
            time.sleep(0.3)
        finally:
            speaker.close()
        rec.stop()
        played = loud_blocks(rec.audio(), -30.0)  # indices of the loud 20 ms blocks
    assert at - start == pytest.approx(0.5, abs=0.15)
    # Every sample played: 1.8 s of sound (on a loaded machine up to one device delay, ~60 ms,
    # may be heard twice: the device's unplayed audio is estimated), one silent stretch.
    assert 1.8 - 0.045 < len(played) * 0.02 < 1.8 + 0.085, len(played) * 0.02
    gaps = np.diff(played) * 0.02
    assert abs(gaps.max() - shift) < 0.1 and np.sum(gaps > 0.04) == 1, gaps[gaps > 0.04]


# -- hearing the interruption at all ----------------------------------------------------------


class CountingVad(EnergyVad):
    """The energy VAD, counting the chunks it judged and the resets."""

    def __init__(self) -> None:
        super().__init__()
        self.judged = 0
        self.resets = 0

    def probability(self, chunk):
        self.judged += 1
        return super().probability(chunk)

    def reset(self) -> None:
        self.resets += 1


def test_the_listener_keeps_digital_silence_from_the_vad_and_resets_it_after_each_utterance():
    from assistant.audio.ports import Frame
    from assistant.listener import Listener, Utterance

    vad = CountingVad()
    listener = Listener(vad, Config().vad)
    pcm = np.concatenate([silence(1.0), tone(1.0), silence(1.0)])
    pcm[: RATE // 2] += 1e-3  # half a second of a real mic's noise floor first
    got = []
    for i in range(0, len(pcm), 512):
        got += listener.feed(Frame(pcm[i : i + 512], i / RATE))
    assert [type(e).__name__ for e in got][-1] == "Utterance" and isinstance(got[-1], Utterance)
    # The noise and the tone were judged; the digital silence was not.
    assert abs(vad.judged - round(1.5 * RATE / 512)) <= 2
    assert vad.resets == 1


@pytest.mark.models
def test_a_soft_word_after_a_long_utterance_and_silence_is_heard(speech_dir, default_config):
    """The bench's missed interruption: "nevermind" 3 s after a 6.5 s utterance went unheard."""
    from assistant.audio.frames import read_audio
    from assistant.audio.ports import Frame
    from assistant.endpointing import Started
    from assistant.listener import Listener
    from assistant.models import registry
    from assistant.stages.vad import SileroVad

    vad = SileroVad(registry.require(default_config, "vad"))
    long = read_audio(speech_dir / "pocketsphinx_librivox_sas_0870.wav")
    soft = read_audio(speech_dir / "commands_en/nevermind.wav")
    rng = np.random.default_rng(0)
    for gap in (silence(3.0), (rng.standard_normal(3 * RATE) * 1e-3).astype(np.float32)):
        listener = Listener(vad, default_config.vad)
        listener.reset()
        pcm = np.concatenate([long, gap, soft])
        starts = []
        for i in range(0, len(pcm) - 511, 512):
            starts += [
                e.t
                for e in listener.feed(Frame(pcm[i : i + 512], i / RATE))
                if isinstance(e, Started)
            ]
        soft_at = (len(long) + len(gap)) / RATE
        assert len(starts) == 2 and soft_at < starts[1] < soft_at + len(soft) / RATE, starts


class ScriptedVad:
    """Speech probability by time: every chunk of the (never digitally silent) input is judged."""

    def __init__(self, prob_at) -> None:
        self.prob_at = prob_at
        self.n = 0

    def probability(self, chunk) -> float:
        t, self.n = self.n * 512 / RATE, self.n + 1
        return self.prob_at(t)

    def reset(self) -> None:
        pass


def test_a_soft_voice_over_the_reply_stops_it_instead_of_letting_it_play_on():
    # "Never mind" at 5.0 s as Silero rated it over a reply's quiet tail (tests/test_endpointing):
    # once it has paused the reply, its 0.34s and 0.28s still count, so it is speech.
    soft = [0.71, 0.62, 0.45, 0.71, 0.34, 0.34, 0.28, 0.36, 0.35, 0.29, 0.27, 0.18]

    def prob_at(t: float) -> float:
        if 1.0 <= t < 2.0:
            return 0.9  # "tell me a story"
        i = round((t - 5.0) / 0.032)
        return soft[i] if 0 <= i < len(soft) else 0.0

    pcm = np.full(round(14.0 * RATE), 1e-3, np.float32)  # a mic's noise floor, never silent
    for plain in (False, True):
        config = Config()
        if plain:  # the voice must reach `release` as before: it comes to nothing
            config = Config(vad=dataclasses.replace(config.vad, barge_in_release=0.35))
        models = Models(
            ScriptedVad(prob_at),
            FixedTranscriber(["tell me a story", "never mind"]),
            ScriptedChatModel([LONG, "Okay."]),
            ToneSynthesizer(),
        )
        mic = FileMicrophone(pcm, realtime=False)
        speaker = FileSpeaker(mic.clock, rate=RATE, min_duration_s=len(pcm) / RATE)
        got: list[ev.Event] = []
        engine = Engine(config, models, speaker, got.append)
        engine.barge_in = True
        engine.run(mic)
        (paused,) = of(got, ev.SpeakingPaused)
        assert 5.0 < paused.t <= 5.07
        first = of(got, ev.Turn)[0]
        if plain:
            assert of(got, ev.SpeakingResumed) and not first.interrupted
        else:
            assert of(got, ev.SpeakingResumed) == [] and first.interrupted
            assert of(got, ev.SpeakingEnded)[0].t == paused.t  # stopped where it paused
        assert not engine.listener.endpointer.reply_paused


@pytest.mark.models
def test_a_soft_never_mind_over_the_reply_is_heard_once_it_has_paused_it(
    speech_dir, default_config
):
    """The benchmark's miss: "nevermind" 2.8 s into a fresh session, 1.2 s after "pause"."""
    from assistant.audio.frames import read_audio
    from assistant.audio.ports import Frame
    from assistant.endpointing import Onset, Started
    from assistant.listener import Listener
    from assistant.models import registry
    from assistant.stages.vad import SileroVad

    vad = SileroVad(registry.require(default_config, "vad"))
    question = read_audio(speech_dir / "commands_en/pause.wav")
    soft = read_audio(speech_dir / "commands_en/nevermind.wav")
    pcm = np.concatenate([silence(1.0), question, silence(8.0)])
    at = round(2.772 * RATE)
    pcm[at : at + len(soft)] += soft
    starts = {}
    for pause_the_reply in (False, True):
        listener = Listener(vad, default_config.vad)
        listener.reset()
        got = []
        for i in range(0, len(pcm) - 511, 512):
            for e in listener.feed(Frame(pcm[i : i + 512], i / RATE)):
                got.append(e)
                # With barge-in the onset pauses the reply being played (the engine's _pause).
                if isinstance(e, Onset) and e.t > 2.5 and pause_the_reply:
                    listener.endpointer.reply_paused = True
        starts[pause_the_reply] = [e.t for e in got if isinstance(e, Started) and e.t > 2.5]
    assert starts[False] == []  # Silero rates it too softly to start a turn on its own
    assert len(starts[True]) == 1 and 3.3 < starts[True][0] < 3.5, starts
