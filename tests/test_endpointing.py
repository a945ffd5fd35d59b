"""Turn-taking state machine, replayed over scripted speech probabilities."""

from __future__ import annotations

from assistant.config import VadConfig
from assistant.endpointing import Ended, Endpointer, Onset, Paused, Resumed, Started

STEP = 0.032


def replay(
    probs: list[float], config: VadConfig | None = None, pauses: bool = False, onsets=False
) -> list:
    """The turn events over the probabilities (pauses, resumptions and onsets only if asked)."""
    ep = Endpointer(config or VadConfig())
    out = []
    for i, p in enumerate(probs):
        event = ep.update(p, i * STEP, STEP)
        if not event:
            continue
        if (pauses or not isinstance(event, Paused | Resumed)) and (
            onsets or not isinstance(event, Onset)
        ):
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


def test_a_pause_is_reported_early_and_going_on_is_reported_too():
    probs = frames(0.8, 0.9) + frames(0.25, 0.0) + frames(0.8, 0.9) + frames(1.0, 0.0)
    events = replay(probs, pauses=True)
    assert [type(e) for e in events] == [Started, Paused, Resumed, Paused, Ended]
    first_pause = events[1]
    assert abs(first_pause.end - 0.8) < 0.04 and first_pause.start == events[0].t
    assert abs(events[2].t - 1.05) < 0.04
    # The second pause is the real end: same end as the confirmed one, 240 ms sooner.
    assert events[3].end == events[4].end


def test_speculation_can_be_turned_off():
    probs = frames(0.8, 0.9) + frames(1.0, 0.0)
    assert [type(e) for e in replay(probs, VadConfig(speculate_ms=0), pauses=True)] == [
        Started,
        Ended,
    ]


def test_an_onset_comes_onset_ms_into_the_voice_before_speech_is_sure():
    # Voice from 0.512 s: the onset after 2 chunks (64 ms), the start after 160 ms, both at 0.512.
    events = replay(frames(0.5, 0.0) + frames(1.0, 0.9) + frames(1.0, 0.0), onsets=True)
    assert [type(e) for e in events] == [Onset, Started, Ended]
    assert events[0].t == events[1].t == 0.512


def test_a_blip_gives_an_onset_and_no_start():
    ep = Endpointer(VadConfig())
    probs = frames(0.5, 0.0) + frames(0.064, 0.95) + frames(1.0, 0.0)
    got = [(i, e) for i, p in enumerate(probs) if (e := ep.update(p, i * STEP, STEP))]
    assert [type(e) for _, e in got] == [Onset]
    # Told when its second voiced chunk ends (64 ms in), not at the first one.
    assert got[0][0] == round(0.5 / STEP) + 1
    assert ep.idle and abs(ep.last_voiced_end - (round(0.5 / STEP) + 2) * STEP) < 1e-9


def test_onset_timing_follows_the_setting():
    one_chunk = replay(frames(0.5, 0.0) + frames(0.032, 0.95) + frames(1.0, 0.0), onsets=True)
    assert [type(e) for e in one_chunk] == []  # 64 ms needed by default
    config = VadConfig(onset_ms=32)
    probs = frames(0.5, 0.0) + frames(0.032, 0.95) + frames(1.0, 0.0)
    assert [type(e) for e in replay(probs, config, onsets=True)] == [Onset]
    # Off, or not shorter than min_speech_ms: no onset, only the start.
    for config in (VadConfig(onset_ms=0), VadConfig(onset_ms=160)):
        probs = frames(0.5, 0.0) + frames(1.0, 0.9) + frames(1.0, 0.0)
        assert [type(e) for e in replay(probs, config, onsets=True)] == [Started, Ended]


def test_waiting_longer_holds_the_pause_until_the_longer_silence_or_the_speech_goes_on():
    ep = Endpointer(VadConfig())
    t = 0.0
    seen = []

    def feed(seconds: float, p: float, longer: bool = True) -> None:
        nonlocal t
        for _ in range(round(seconds / STEP)):
            event = ep.update(p, t, STEP)
            t += STEP
            if isinstance(event, Paused) and longer:
                ep.wait_longer(1000)  # as the engine does when the words sound unfinished
            if event and not isinstance(event, Onset):
                seen.append((type(event).__name__, round(t, 2)))

    feed(1.0, 0.9)
    feed(0.8, 0.0)  # past end_silence_ms (400) but short of 1000: the turn goes on
    assert [name for name, _ in seen] == ["Started", "Paused"]
    feed(1.0, 0.9)
    feed(0.6, 0.0, longer=False)  # after the speech went on, the usual 400 ms end it again
    names = [name for name, _ in seen]
    assert names == ["Started", "Paused", "Resumed", "Paused", "Ended"], seen
    ep.reset()
    feed(1.0, 0.9)
    voice_end = t
    seen.clear()
    feed(1.2, 0.0)
    assert [name for name, _ in seen] == ["Paused", "Ended"]
    assert seen[-1][1] >= voice_end + 1.0 - 1e-6  # only after the full second of silence


def test_voice_too_short_for_speech_is_remembered_as_a_fragment():
    ep = Endpointer(VadConfig())
    for i, p in enumerate(frames(0.5, 0.0) + frames(0.096, 0.9) + frames(0.2, 0.0)):
        ep.update(p, i * STEP, STEP)
    assert ep.fragment is not None
    assert abs(ep.fragment[0] - 0.5) < 0.04 and abs(ep.fragment[1] - 0.596) < 0.04
    ep.reset()
    assert ep.fragment is None


def _utterances(pcm, config: VadConfig) -> list:
    import numpy as np

    from assistant.audio.ports import Frame
    from assistant.listener import Listener
    from assistant.testing.fakes import EnergyVad

    listener = Listener(EnergyVad(), config)
    got = []
    for i in range(0, len(pcm) - 511, 512):
        got += [x for x in listener.feed(Frame(pcm[i : i + 512], i / 16_000)) if hasattr(x, "pcm")]
    return [u for u in got if not u.tentative and len(u.pcm) > 0 and np.any(u.pcm)]


def test_a_fragment_of_voice_just_before_speech_is_part_of_the_utterance():
    # "ask" (96 ms, too short to count as speech) … 0.6 s … "not what your country …"
    import dataclasses

    import numpy as np

    from assistant.testing.fakes import silence, tone

    pcm = np.concatenate([silence(1.024), tone(0.096), silence(0.608), tone(1.0), silence(1.5)])
    fragment, speech = np.count_nonzero(tone(0.096)), np.count_nonzero(tone(1.0))
    config = VadConfig()
    (joined,) = _utterances(pcm, config)
    assert np.count_nonzero(joined.pcm) == fragment + speech  # all of the sound
    # Off, or said too long before, it is not.
    (alone,) = _utterances(pcm, dataclasses.replace(config, fragment_join_ms=0))
    assert np.count_nonzero(alone.pcm) == speech
    early = np.concatenate([silence(1.024), tone(0.096), silence(1.6), tone(1.0), silence(1.5)])
    (far,) = _utterances(early, config)
    assert np.count_nonzero(far.pcm) == speech


# "Never mind" said over a reply's quiet tail, as Silero rated it in the benchmark.
SOFT = [0.71, 0.62, 0.45, 0.71, 0.34, 0.34, 0.28, 0.36, 0.35, 0.29, 0.27, 0.18]


def test_a_soft_voice_that_paused_a_reply_is_confirmed_down_to_barge_in_release():
    probs = frames(0.5, 0.0) + SOFT + frames(1.0, 0.0)
    ep = Endpointer(VadConfig())
    kinds = []
    for i, p in enumerate(probs):
        event = ep.update(p, i * STEP, STEP)
        if isinstance(event, Onset):
            ep.reply_paused = True  # what the engine does when the onset pauses the reply
        kinds.append(type(event).__name__ if event else None)
    assert "Started" in kinds  # 0.34 and 0.28 still count once the reply is paused
    # Not paused (no reply, or half-duplex), the same voice is too soft to start a turn.
    assert Started not in [type(e) for e in replay(probs, onsets=True)]
    # Nor when the setting is the same as `release`.
    same = VadConfig(barge_in_release=0.35)
    ep = Endpointer(same)
    ep.reply_paused = True
    assert not any(isinstance(ep.update(p, i * STEP, STEP), Started) for i, p in enumerate(probs))


def test_two_bursts_too_short_alone_are_speech_together():
    # "pause" through PulseAudio: Silero heard 128 ms of voice, then 96 ms 0.25 s later.
    import dataclasses

    probs = frames(0.512, 0.0) + frames(0.128, 0.9) + frames(0.256, 0.0)
    probs += frames(0.096, 0.9) + frames(1.0, 0.0)
    (started, ended) = replay(probs)
    assert isinstance(started, Started) and isinstance(ended, Ended)
    assert abs(started.t - 0.896) < 1e-9  # the second burst starts the turn; the listener
    # moves its start back before the first (test_a_fragment_of_voice_just_before_speech_…)
    # Either alone is not speech; nor are they with fragment_join_ms off or far apart.
    assert replay(frames(0.512, 0.0) + frames(0.128, 0.9) + frames(1.0, 0.0)) == []
    off = dataclasses.replace(VadConfig(), fragment_join_ms=0)
    assert replay(probs, off) == []
    apart = frames(0.512, 0.0) + frames(0.128, 0.9) + frames(1.2, 0.0) + frames(0.096, 0.9)
    assert replay(apart + frames(1.0, 0.0)) == []


def test_durations_count_whole_chunks_wherever_the_clock_stands():
    """Five 32 ms chunks are min_speech_ms (160), two are speculate_ms (64), at any start time.

    Chunk times are sums of 32 ms steps in floating point (as the listener keeps them), so five
    chunks came to 0.15999999 s for 38% of start times and two silent chunks fell short of 64 ms
    for most: the pause was found a chunk (32 ms) late in over half of all turns.
    """
    config = VadConfig(speculate_ms=64)
    late = []
    for k in range(200):
        t = 1.0 + k * 7.919  # start times over half an hour of listening
        ep = Endpointer(config)
        events = []
        for p in [0.9] * 10 + [0.0] * 4:
            events.append(ep.update(p, t, STEP))
            t += STEP
        started = next(i for i, e in enumerate(events) if isinstance(e, Started))
        paused = next(i for i, e in enumerate(events) if isinstance(e, Paused))
        if started != 4 or paused != 11:  # the 5th voiced chunk; the 2nd silent one
            late.append((k, started, paused))
    assert late == [], f"{len(late)} of 200 start times counted a chunk late: {late[:5]}"


def test_the_pause_starts_where_silero_falls_off_and_the_end_waits_for_silence():
    # Silero after a last word: 0.62, 0.48, 0.36, 0.28 … (measured; 34 of 42 benchmark clips
    # pass through 0.35-0.5 on their way down).
    probs = frames(0.8, 0.9) + [0.62, 0.48, 0.36, 0.28] + frames(1.0, 0.0)
    started, paused, ended = replay(probs, pauses=True)
    assert isinstance(paused, Paused) and isinstance(ended, Ended)
    # The pause is found at the 0.48 chunk, and ends where the voice was last strong...
    assert abs(paused.end - (0.8 + STEP)) < 1e-6
    # ... while the turn still ends end_silence_ms after the last chunk over `release`.
    assert abs(ended.end - (0.8 + 3 * STEP)) < 1e-6
    # At pause_release = release the pause is found two chunks later (at 0.28).
    _, paused_late, _ = replay(probs, VadConfig(pause_release=0.35), pauses=True)
    assert abs(paused_late.end - ended.end) < 1e-6


def test_faint_voice_after_the_pause_is_not_going_on_but_strong_voice_is():
    probs = frames(0.8, 0.9) + frames(0.2, 0.4) + frames(0.5, 0.9) + frames(1.0, 0.0)
    events = replay(probs, pauses=True)
    assert [type(e) for e in events] == [Started, Paused, Resumed, Paused, Ended]
    assert abs(events[2].t - 1.0) < 0.04  # resumed by the strong voice, not the faint
