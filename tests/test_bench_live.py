"""The pure helpers of scripts/bench_live.py on synthetic audio with known times."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bl():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("bench_live", ROOT / "scripts/bench_live.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return module


def _burst(rate: int, total_s: float, spans: list[tuple[float, float]], noise_db: float = -60.0):
    """Noise at `noise_db` with 0.3-amplitude 300 Hz tone where spans say (start, end) seconds."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 10 ** (noise_db / 20), round(total_s * rate)).astype(np.float32)
    t = np.arange(len(x)) / rate
    for start, end in spans:
        on = (t >= start) & (t < end)
        x[on] += 0.3 * np.sin(2 * np.pi * 300 * t[on]).astype(np.float32)
    return x


def test_onset_finder_ignores_a_click_and_finds_the_speech(bl):
    x = _burst(16_000, 3.0, [(0.10, 0.14), (1.23, 2.0)])  # a 40 ms click, then "speech"
    assert bl.speech_onset_energy(x) == pytest.approx(1.23, abs=0.025)
    assert bl.speech_onset_energy(np.zeros(10, np.float32)) is None


def test_first_sound_and_stop_on_a_reply_cut_by_barge_in(bl):
    rate = 22_050
    # A reply with a 0.3 s pause between two sentences, cut at 3.45 s; the next reply at 5.0 s.
    x = _burst(rate, 7.0, [(1.0, 2.0), (2.3, 3.45), (5.0, 6.0)], noise_db=-90.0)
    assert bl.first_sound(x, rate, 0.0) == pytest.approx(1.0, abs=0.011)
    assert bl.first_sound(x, rate, 3.6) == pytest.approx(5.0, abs=0.011)
    assert bl.first_sound(x, rate, 6.1) is None
    # From an interruption at 3.1 s: the pause at 2.0 s is behind it, the cut is found.
    assert bl.sound_stop(x, rate, 3.1) == pytest.approx(3.45, abs=0.011)
    # From before the sentence pause: a 0.3 s pause is not a stop.
    assert bl.sound_stop(x, rate, 1.5) == pytest.approx(3.45, abs=0.011)
    assert bl.sound_stop(x, rate, 5.5, min_gap_s=2.0) is None
    # The answer to the interruption 0.4 s after the cut: too soon for the usual 0.7 s gap, so the
    # stop would be found only after that answer; knowing when it starts finds the cut.
    y = _burst(rate, 7.0, [(1.0, 2.0), (2.3, 3.45), (3.85, 5.0)], noise_db=-90.0)
    assert bl.sound_stop(y, rate, 3.1) == pytest.approx(5.0, abs=0.011)
    assert bl.sound_stop(y, rate, 3.1, next_s=3.85) == pytest.approx(3.45, abs=0.011)
    assert bl.sound_stop(y, rate, 1.5, next_s=3.85) == pytest.approx(3.45, abs=0.011)


def test_layout_overlay_and_grouping_of_events_by_clip(bl):
    a = np.full(16_000, 0.5, np.float32)
    b = np.full(8_000, 0.25, np.float32)
    pcm, starts = bl.layout([a, b], gap_s=2.0, lead_s=1.0)
    assert starts == [1.0, 4.0]
    assert len(pcm) == 16_000 * (1 + 1 + 2 + 0.5 + 2)
    assert pcm[16_000] == 0.5 and pcm[16_000 * 4] == 0.25 and pcm[16_000 * 3] == 0.0
    mixed = bl.overlay(pcm, b, 2.5)
    assert mixed[round(2.5 * 16_000)] == pytest.approx(0.25) and mixed[16_000 * 2] == 0.0
    assert len(bl.overlay(pcm, b, 7.0)) == 7.5 * 16_000
    events = [
        {"type": "listening", "t": 0.0},
        {"type": "speech_started", "t": 1.2},
        {"type": "speech_ended", "t": 1.9},
        {"type": "transcript", "text": "one"},
        {"type": "turn", "user_text": "one", "reply_text": "r", "timings_ms": {}},
        {"type": "speech_ended", "t": 4.4},
        {"type": "transcript", "text": "two"},
    ]
    first, second = bl.split_by_time(events, starts)
    assert [e["type"] for e in first] == ["speech_started", "speech_ended", "transcript", "turn"]
    assert bl.turn_records(second)["transcripts"] == ["two"]


def test_breakdown_leaves_the_rest_as_wait(bl):
    timings = {
        "stt": 100.0,
        "recall": 5.0,
        "llm_first_token": 200.0,
        "tts_first_audio": 150.0,
        "end_of_speech_to_first_audio": 700.0,
    }
    parts = bl.breakdown(timings)
    assert parts == {
        "stt": 100.0,
        "recall": 5.0,
        "llm_first_token": 200.0,
        "tts_first_audio": 150.0,
        "wait": 245.0,
    }
    assert bl.breakdown({"stt": 1.0}) is None


def test_barge_in_pairs_prefer_questions_with_long_replies(bl):
    def row(clip, start, end, during=False):
        return {
            "clip": clip,
            "speaking_started_t": [start] if start is not None else [],
            "speaking_ended_t": [end] if end is not None else [],
            "reply_during_speech": during,
        }

    rows = [
        row("short", 1.0, 2.0),
        row("long", 1.0, 4.0),
        row("timer", 1.0, 2.85),  # 1.85 s: "Timer set for 30 seconds." is over too soon
        row("unanswered", None, None),
        row("overlapping", 1.0, 9.0, during=True),
        row("longer", 2.0, 7.0),
    ]
    pairs = bl.bargein_pairs(rows, 3)
    assert [q for q, _ in pairs] == ["long", "longer", "long"]
    assert [w for _, w in pairs] == bl.INTERRUPTERS[:3]
    # No long reply at all: the answered questions in order, as before.
    assert [q for q, _ in bl.bargein_pairs(rows[:1] + rows[2:4], 5)] == ["short", "timer"]


@pytest.mark.models
def test_machine_speed_times_the_fixed_work_on_the_real_models(bl, speech_dir):
    speed = bl.bench.machine_speed(speech_dir, repeats=1)
    assert set(speed) == {"llm_prompt_60_tokens", "llm_16_tokens", "stt_command", "tts_sentence"}
    assert all(0 < ms < 60_000 for ms in speed.values()), speed
    line = bl.speed_lines({"speed_before": speed, "speed_after": speed})[0]
    assert (
        line.startswith("Machine speed")
        and f"STT 2.5 s command {speed['stt_command']:.0f} /" in line
    )
    assert bl.speed_lines({}) == []
