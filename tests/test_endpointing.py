"""Turn-taking state machine, replayed over scripted speech probabilities."""

from __future__ import annotations

from assistant.config import VadConfig
from assistant.endpointing import Ended, Endpointer, Started

STEP = 0.032


def replay(probs: list[float], config: VadConfig | None = None) -> list[Started | Ended]:
    ep = Endpointer(config or VadConfig())
    out = []
    for i, p in enumerate(probs):
        event = ep.update(p, i * STEP, STEP)
        if event:
            out.append(event)
    return out


def frames(seconds: float, p: float) -> list[float]:
    return [p] * round(seconds / STEP)


def test_speech_then_silence_is_one_turn():
    events = replay(frames(0.5, 0.0) + frames(1.0, 0.9) + frames(1.0, 0.0))
    assert isinstance(events[0], Started) and abs(events[0].t - 0.48) < 0.04
    assert isinstance(events[1], Ended) and abs(events[1].end - 1.5) < 0.04
    assert len(events) == 2


def test_a_click_does_not_start_a_turn():
    assert replay(frames(0.5, 0.0) + frames(0.064, 0.95) + frames(1.0, 0.0)) == []


def test_short_pause_inside_speech_does_not_end_the_turn():
    probs = frames(0.8, 0.9) + frames(0.25, 0.0) + frames(0.8, 0.9) + frames(1.0, 0.0)
    events = replay(probs)
    assert [type(e) for e in events] == [Started, Ended]
    assert abs(events[1].end - 1.85) < 0.04


def test_soft_frames_between_thresholds_keep_speech_going():
    probs = frames(0.5, 0.9) + frames(1.0, 0.4) + frames(0.6, 0.0)
    events = replay(probs)
    assert abs(events[1].end - 1.5) < 0.04


def test_end_needs_the_configured_silence():
    config = VadConfig(end_silence_ms=800)
    events = replay(frames(0.5, 0.9) + frames(0.6, 0.0), config)
    assert [type(e) for e in events] == [Started]


def test_turn_is_cut_at_max_length():
    config = VadConfig(max_utterance_s=2.0)
    events = replay(frames(3.0, 0.9), config)
    assert isinstance(events[1], Ended) and events[1].forced
    assert abs(events[1].end - 2.0) < 0.04


def test_flush_ends_speech_in_progress():
    ep = Endpointer(VadConfig())
    for i, p in enumerate(frames(1.0, 0.9)):
        ep.update(p, i * STEP, STEP)
    ended = ep.flush()
    assert isinstance(ended, Ended) and abs(ended.end - 1.0) < 0.04
    assert ep.flush() is None
