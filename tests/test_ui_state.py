"""The window's state and conversation rules, driven by real engine events (no Qt)."""

from __future__ import annotations

from assistant import events as ev
from assistant.ui.state import Conversation, State, StateTracker


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_state_follows_a_spoken_turn():
    clock = FakeClock()
    s = StateTracker(clock)
    assert s.state is State.LOADING
    s.feed(ev.Ready(1200.0))
    assert s.state is State.IDLE
    s.feed(ev.ListeningChanged(True))
    assert s.state is State.LISTENING
    s.feed(ev.MicLevel(-30.0))
    assert abs(s.level - 0.5) < 1e-9
    s.feed(ev.SpeechStarted(1.0))
    assert s.state is State.LISTENING
    s.feed(ev.SpeechEnded(2.0))
    assert s.state is State.THINKING
    s.feed(ev.Transcript("hello", 300.0))
    s.feed(ev.Thinking("hello"))
    assert s.state is State.THINKING
    s.feed(ev.SpeakingStarted(3.0))
    assert s.state is State.SPEAKING
    s.feed(ev.SpeakingEnded(5.5))  # the audio plays until 2.5 s after it started
    s.feed(ev.Turn("hello", "Hi there.", False, {}))
    clock.t += 2.0
    s.tick()
    assert s.state is State.SPEAKING
    clock.t += 0.6
    s.tick()
    assert s.state is State.LISTENING
    s.feed(ev.ListeningChanged(False))
    assert s.state is State.IDLE
    assert s.level == 0.0


def _speaking(clock: FakeClock) -> StateTracker:
    """A tracker whose reply started at session t 3.0 and plays until 5.5 (all of it queued)."""
    s = StateTracker(clock)
    s.feed(ev.Ready(10.0))
    s.feed(ev.ListeningChanged(True))
    s.feed(ev.Thinking("tell me about owls"))
    s.feed(ev.SpeakingStarted(3.0))
    s.feed(ev.SpeakingEnded(5.5))
    s.feed(ev.Turn("tell me about owls", "Owls hunt at night.", False, {}))
    return s


def test_a_paused_reply_shows_paused_and_plays_on_when_resumed():
    clock = FakeClock()
    s = _speaking(clock)
    clock.t += 1.0
    s.feed(ev.SpeakingPaused(4.0))  # a cough over the reply: it goes silent at 4.0
    assert s.state is State.PAUSED and s.state.label == "Paused"
    clock.t += 5.0  # long past where the reply would have ended had it not paused
    s.tick()
    assert s.state is State.PAUSED
    s.feed(ev.SpeakingResumed(9.0))  # it came to nothing: it plays on, 5 s later than planned
    assert s.state is State.SPEAKING
    s.tick()
    assert s.state is State.SPEAKING  # 1.5 s of it are still to play
    clock.t += 1.4
    s.tick()
    assert s.state is State.SPEAKING
    clock.t += 0.2
    s.tick()
    assert s.state is State.LISTENING


def test_a_paused_reply_cut_by_the_user_stops_showing_at_once():
    clock = FakeClock()
    s = _speaking(clock)
    clock.t += 1.0
    s.feed(ev.SpeakingPaused(4.0))
    assert s.state is State.PAUSED
    s.feed(ev.SpeakingEnded(4.0))  # it was the user: the reply is cut where it paused
    assert s.state is State.LISTENING
    s.feed(ev.Turn("tell me about owls", "Owls", True, {}))
    assert s.state is State.LISTENING
    s.feed(ev.SpeechEnded(6.0))
    assert s.state is State.THINKING


def test_a_reply_that_finishes_generating_while_paused_stays_paused():
    clock = FakeClock()
    s = StateTracker(clock)
    s.feed(ev.Ready(10.0))
    s.feed(ev.Thinking("hi"))
    s.feed(ev.SpeakingStarted(3.0))
    clock.t += 0.5
    s.feed(ev.SpeakingPaused(3.5))
    s.feed(ev.SpeakingEnded(6.0))  # the last chunk is queued while it is silent: not a cut
    s.feed(ev.Turn("hi", "Hello there, how are you?", False, {}))
    clock.t += 10.0
    s.tick()
    assert s.state is State.PAUSED
    s.feed(ev.SpeakingResumed(13.5))  # silent for 10 s: it now ends at 6.0 + 10 = 16.0
    clock.t += 2.4
    s.tick()
    assert s.state is State.SPEAKING
    clock.t += 0.2
    s.tick()
    assert s.state is State.IDLE


def test_a_silent_reply_and_a_failed_load():
    s = StateTracker(FakeClock())
    s.feed(ev.Error("the language model file is missing"))
    assert s.state is State.ERROR
    s.feed(ev.Ready(10.0))
    s.feed(ev.Thinking("typed"))
    assert s.state is State.THINKING
    s.feed(ev.Turn("typed", "Answer.", False, {}))  # no speaker: no SpeakingStarted
    assert s.state is State.IDLE


def test_conversation_from_voice_and_typing():
    changes = []
    c = Conversation(changes.append)
    c.feed(ev.SpeechStarted(0.5))
    assert [(e.role, e.text, e.done) for e in c.entries] == [("user", "", False)]
    c.feed(ev.Transcript("what time is it", 200.0))
    c.feed(ev.Thinking("what time is it"))  # already shown: not added twice
    c.feed(ev.ReplySentence("It is late."))
    assert c.entries[-1].role == "assistant" and not c.entries[-1].done
    c.feed(ev.ReplySentence("Go to bed."))
    assert c.entries[-1].text == "It is late. Go to bed."
    c.feed(ev.Turn("what time is it", "It is late. Go to bed.", False, {}))
    assert c.entries[-1].done and not c.entries[-1].interrupted
    c.add_user_text("thanks")
    c.feed(ev.Thinking("thanks"))
    c.feed(ev.ReplySentence("You're"))
    c.feed(ev.Turn("thanks", "You're", True, {}))
    assert [(e.role, e.text) for e in c.entries] == [
        ("user", "what time is it"),
        ("assistant", "It is late. Go to bed."),
        ("user", "thanks"),
        ("assistant", "You're"),
    ]
    assert c.entries[-1].interrupted
    assert changes[0] == 0 and max(changes) == 3


def test_unintelligible_speech_leaves_no_bubble_and_errors_are_notes():
    changes = []
    c = Conversation(changes.append)
    c.feed(ev.SpeechStarted(0.5))
    c.feed(ev.Transcript("", 100.0))
    assert c.entries == [] and changes[-1] == -1
    c.feed(ev.Error("that turn failed: boom"))
    assert c.entries[0].role == "note" and c.entries[0].kind == "error"


def test_announcement_is_shown_once():
    c = Conversation()
    c.feed(ev.Announcement("Your timer is done."))
    c.feed(ev.ReplySentence("Your timer is done."))
    assert [(e.role, e.text, e.kind) for e in c.entries] == [
        ("assistant", "Your timer is done.", "announcement")
    ]


def test_a_reply_after_an_announcement_is_its_own_bubble():
    c = Conversation()
    c.feed(ev.Announcement("Your tea is ready."))
    c.feed(ev.ReplySentence("Your tea is ready."))
    c.feed(ev.Thinking("thanks"))
    c.feed(ev.ReplySentence("You're welcome."))
    c.feed(ev.Turn("thanks", "You're welcome.", False, {}))
    assert [(e.role, e.text, e.kind) for e in c.entries] == [
        ("assistant", "Your tea is ready.", "announcement"),
        ("user", "thanks", ""),
        ("assistant", "You're welcome.", ""),
    ]


def test_words_appear_while_the_user_speaks_and_a_dropped_early_reply_leaves_one_bubble():
    c = Conversation()
    c.feed(ev.SpeechStarted(0.5))
    c.feed(ev.PartialTranscript("I want to"))
    assert [(e.role, e.text, e.done) for e in c.entries] == [("user", "I want to", False)]
    # An early reply begun at a pause is dropped when the user goes on: the final words arrive
    # again with the same text and must not make a second bubble.
    c.feed(ev.SpeechEnded(1.5))
    c.feed(ev.Transcript("I want to go home.", 100.0))
    c.feed(ev.Thinking("I want to go home."))
    c.feed(ev.SpeechEnded(1.9))
    c.feed(ev.Transcript("I want to go home.", 100.0))
    c.feed(ev.Thinking("I want to go home."))
    assert [(e.role, e.text, e.done) for e in c.entries] == [("user", "I want to go home.", True)]
