"""The engine: listens, transcribes, thinks and speaks, one turn at a time (half-duplex).

It imports neither Qt nor an audio-device package; the microphone, speaker and models are
handed in, so the same engine runs live, from files, from tests and under the window.

The engine owns one thread (the one that calls `run`). Other threads — the window, a hotkey, a
timer — talk to it only through its inbox (`submit`, `announce`, `set_listening`, `finish`) and
`stop`, so models and the conversation are only ever touched from that one thread.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant import events as ev
from assistant import prompt
from assistant.audio.ports import Clock, Microphone, Speaker
from assistant.config import Config
from assistant.endpointing import Started
from assistant.history import History
from assistant.listener import Listener, Utterance
from assistant.memory.keeper import MemoryKeeper
from assistant.sentences import SentenceSplitter
from assistant.stages.llm import ChatModel, Message
from assistant.stages.stt import Transcriber
from assistant.stages.tts import Synthesizer
from assistant.stages.vad import VoiceDetector

if TYPE_CHECKING:
    from assistant.skills.router import Skills


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# How often the microphone level is reported (a meter needs ~10 updates a second, no more).
_LEVEL_EVERY_S = 0.1
# How long run(None) waits on an empty inbox before checking for stop().
_IDLE_POLL_S = 0.1


@dataclass
class Models:
    """The loaded model stages the engine uses."""

    vad: VoiceDetector
    stt: Transcriber
    llm: ChatModel
    tts: Synthesizer


class Engine:
    """Runs conversations: `run(mic)` for voice, `reply(text)` for typed input."""

    def __init__(
        self,
        config: Config,
        models: Models,
        speaker: Speaker | None,
        emit: ev.Sink,
        memory: MemoryKeeper | None = None,
        skills: Skills | None = None,
    ):
        self.config = config
        self.models = models
        self.speaker = speaker
        self.emit = emit
        self.memory = memory
        self.skills = skills
        self.history = History()
        self.listener = Listener(models.vad, config.vad)
        self._inbox: queue.Queue[tuple[str, object]] = queue.Queue()
        self._stopped = threading.Event()
        self._listening = True
        self._deferred: list[str] = []  # announcements waiting for the user to finish speaking
        self._resume_at = 0.0
        self._level_at = -1.0

    # -- control, from any thread -----------------------------------------------------------------

    def submit(self, text: str) -> None:
        """Answer typed text like a spoken turn (thread-safe; handled in the engine's thread)."""
        self._inbox.put(("submit", text))

    def announce(self, text: str) -> None:
        """Say something unprompted — a timer, a reminder — as soon as nobody is talking.

        Thread-safe. It waits while the user is speaking and while a reply is being generated or
        played, so a reply is never cut mid-word and the user is never talked over.
        """
        self._inbox.put(("announce", text))

    def set_listening(self, on: bool) -> None:
        """Hear the microphone (on) or ignore it (off: muted, or push-to-talk released).

        Thread-safe. Turning it off while the user is speaking ends their turn there and answers
        what was said so far, as releasing a push-to-talk key should.
        """
        self._inbox.put(("listen", bool(on)))

    def finish(self) -> None:
        """Let run() return once everything already in the inbox has been handled."""
        self._inbox.put(("finish", None))

    def stop(self) -> None:
        """Make run() return soon (after the turn in progress, if any). Thread-safe."""
        self._stopped.set()
        self._inbox.put(("finish", None))

    @property
    def listening(self) -> bool:
        """Whether microphone frames are being heard (see set_listening)."""
        return self._listening

    # -- the engine's thread -----------------------------------------------------------------

    def run(self, mic: Microphone | None) -> None:
        """Serve the inbox and, with a microphone, answer each utterance until its input ends.

        With mic=None only the inbox is served (typed input and announcements) until finish() or
        stop().
        """
        self._stopped.clear()
        if mic is None:
            self._serve_inbox(None)
            return
        self._resume_at = 0.0
        self.emit(ev.Listening(0.0))
        for frame in mic.frames():
            if self._stopped.is_set() or not self._pump(mic.clock):
                break
            if not self._listening or frame.end <= self._resume_at:
                continue  # muted, or heard while we were thinking or speaking (half-duplex)
            self._level(frame)
            for item in self.listener.feed(frame):
                if isinstance(item, Started):
                    self.emit(ev.SpeechStarted(round(item.t, 3)))
                else:
                    self._resume_at = self._answer(item, mic.clock)
            if not self.listener.in_speech:
                self._announce_deferred(mic.clock)
        else:
            last = self.listener.flush()
            if last is not None:
                self._answer(last, mic.clock)
        self._announce_deferred(mic.clock)
        if self.speaker:
            self.speaker.wait()

    def _serve_inbox(self, clock: Clock | None) -> None:
        while not self._stopped.is_set():
            try:
                command = self._inbox.get(timeout=_IDLE_POLL_S)
            except queue.Empty:
                continue
            if not self._handle(command, clock):
                return

    def _pump(self, clock: Clock) -> bool:
        """Handle every waiting command; False when run() should return."""
        while True:
            try:
                command = self._inbox.get_nowait()
            except queue.Empty:
                return True
            if not self._handle(command, clock):
                return False

    def _handle(self, command: tuple[str, object], clock: Clock | None) -> bool:
        kind, arg = command
        if kind == "finish":
            return False
        if kind == "submit":
            self._after_turn(self._safely(lambda: self.reply(str(arg))), clock)
        elif kind == "announce":
            self._deferred.append(str(arg))
            if not self.listener.in_speech:
                self._announce_deferred(clock)
        elif kind == "listen" and arg != self._listening:
            self._listening = bool(arg)
            self.emit(ev.ListeningChanged(self._listening))
            if not self._listening and clock is not None:
                last = self.listener.flush()
                if last is not None:
                    self._resume_at = self._answer(last, clock)
                self._announce_deferred(clock)
            self.listener.reset()  # audio from before a pause is no pre-roll for what comes next
        return True

    def _announce_deferred(self, clock: Clock | None) -> None:
        while self._deferred:
            text = self._deferred.pop(0)
            self.emit(ev.Announcement(text))
            timings: dict[str, float] = {}
            self._safely(lambda text=text, timings=timings: self._say(text, timings))
            self._after_turn(None, clock)

    def _safely(self, work):
        try:
            return work()
        except Exception as e:  # one failed action must not end the conversation
            self.emit(ev.Error(f"that failed: {type(e).__name__}: {e}"))
            return None

    def _after_turn(self, _result: object, clock: Clock | None) -> None:
        """Wait for the speaker, then trust the microphone again after the echo tail."""
        if clock is None:
            if self.speaker:
                self.speaker.wait()
            return
        resume_at = clock.now()
        if self.speaker:
            self.speaker.wait()
            resume_at = (
                max(clock.now(), self.speaker.busy_until()) + self.config.audio.echo_tail_ms / 1000
            )
        self._resume_at = max(self._resume_at, resume_at)
        self.listener.reset()
        self.emit(ev.Listening(round(self._resume_at, 3)))

    def _level(self, frame) -> None:
        if frame.t - self._level_at >= _LEVEL_EVERY_S or frame.t < self._level_at:
            self._level_at = frame.t
            rms = float(np.sqrt(np.mean(np.square(frame.pcm)))) if len(frame.pcm) else 0.0
            self.emit(ev.MicLevel(round(20 * np.log10(max(rms, 1e-6)), 1)))

    def _answer(self, utterance: Utterance, clock: Clock) -> float:
        """Handle one utterance; return the time from which the microphone is trusted again."""
        self.emit(ev.SpeechEnded(round(utterance.end, 3)))
        try:
            started = time.monotonic()
            transcript = self.models.stt.transcribe(utterance.pcm)
            stt_s = time.monotonic() - started
            self.emit(ev.Transcript(transcript.text, _ms(stt_s)))
            if transcript.text:
                self.reply(transcript.text, speech_end=utterance.end, stt_s=stt_s)
        except Exception as e:  # a failed turn must not end the conversation
            self.emit(ev.Error(f"that turn failed: {type(e).__name__}: {e}"))
        resume_at = clock.now()
        if self.speaker:
            self.speaker.wait()
            resume_at = (
                max(clock.now(), self.speaker.busy_until()) + self.config.audio.echo_tail_ms / 1000
            )
        self.listener.reset()
        self.emit(ev.Listening(round(resume_at, 3)))
        return resume_at

    # -- one reply -----------------------------------------------------------------------------

    def reply(
        self, user_text: str, speech_end: float | None = None, stt_s: float | None = None
    ) -> ev.Turn:
        """Answer user_text: stream the LLM, speak each chunk as it completes, record the turn."""
        timings: dict[str, float] = {}
        if stt_s is not None:
            timings["stt"] = _ms(stt_s)
        self.emit(ev.Thinking(user_text))
        answer = self._memory_command(user_text)
        if answer is None and self.skills is not None:
            answer = self.skills.answer(user_text)  # time, timers, reminders, lists: no LLM
        facts: list[str] = []
        memories: list[str] = []
        if answer is None and self.memory:
            started = time.monotonic()
            try:
                facts, memories = self.memory.facts(), self.memory.recall(user_text)
            except Exception as e:  # a memory fault must not cost the user their answer
                self.emit(ev.Error(f"recall failed: {type(e).__name__}: {e}"))
            timings["recall"] = _ms(time.monotonic() - started)
        llm = self.models.llm
        messages = self._messages(user_text, facts, memories)
        started = time.monotonic()
        splitter = SentenceSplitter(self.config.tts.first_clause_words)
        spoken: list[str] = []
        first_audio_at: float | None = None

        def speak(chunk: str) -> None:
            nonlocal first_audio_at
            at = self._say(chunk, timings)
            spoken.append(chunk)
            if first_audio_at is None and at is not None:
                first_audio_at = at
                self.emit(ev.SpeakingStarted(round(at, 3)))

        deltas = iter([answer]) if answer is not None else llm.stream(messages)
        for delta in deltas:
            timings.setdefault("llm_first_token", _ms(time.monotonic() - started))
            for chunk in splitter.add(delta):
                speak(chunk)
        for chunk in splitter.finish():
            speak(chunk)
        if not spoken:  # a model that said nothing still gets an answer
            speak(self.config.persona.fallback_reply)
        timings["llm_total"] = _ms(time.monotonic() - started)
        if first_audio_at is not None:
            if speech_end is not None:
                timings["end_of_speech_to_first_audio"] = _ms(first_audio_at - speech_end)
            if self.speaker:
                self.emit(ev.SpeakingEnded(round(self.speaker.busy_until(), 3)))
        reply_text = " ".join(spoken)
        self.history.add(user_text, reply_text)
        if self.memory and answer is None:
            try:
                self.memory.remember(user_text, reply_text)
                if self.memory.facts() != facts:
                    # A new pinned fact changes the prompt's prefix: evaluate it now, while the
                    # reply is still playing, rather than at the start of the next turn.
                    self.warm_up()
            except Exception as e:
                self.emit(ev.Error(f"could not save this turn to memory: {type(e).__name__}: {e}"))
        turn = ev.Turn(
            user_text=user_text, reply_text=reply_text, interrupted=False, timings_ms=timings
        )
        self.emit(turn)
        return turn

    def _messages(self, user_text: str, facts: list[str], memories: list[str]) -> list[Message]:
        llm = self.models.llm
        count = getattr(llm, "count_tokens", None)
        budget = getattr(llm, "n_ctx", self.config.llm.context_tokens) - self.config.llm.max_tokens
        return prompt.build(
            self.config.persona,
            self.history.recent(self.config.persona.history_turns),
            user_text,
            budget,
            count or (lambda s: len(s) // 3 + 1),
            facts=facts,
            memories=memories,
        )

    def warm_up(self) -> None:
        """Evaluate the stable prompt prefix (persona, pinned facts, history) ahead of need."""
        facts = self.memory.facts() if self.memory else []
        if self.memory:
            self.memory.recall("hello")  # loads the embedder and the vector index now, not mid-turn
        self.models.llm.warm_up(self._messages("Hi", facts, []))

    def _memory_command(self, user_text: str) -> str | None:
        """The spoken answer to a memory command ("forget …"), or None for ordinary speech."""
        if not self.memory:
            return None
        result = self.memory.command(user_text)
        if result is None:
            return None
        answer, forgotten = result
        if forgotten:  # what was forgotten must leave the conversation too
            self.history.exchanges = [
                ex
                for ex in self.history.exchanges
                if forgotten != ["*"] and not any(w in ex.user.lower() for w in forgotten)
            ]
        return answer

    def _say(self, chunk: str, timings: dict[str, float]) -> float | None:
        """Speak one chunk of the reply; return the session time its audio starts (None if mute)."""
        self.emit(ev.ReplySentence(chunk))
        if self.speaker is None:
            return None
        started = time.monotonic()
        start_at: float | None = None
        for pcm in self.models.tts.synthesize(chunk):
            timings.setdefault("tts_first_audio", _ms(time.monotonic() - started))
            at = self.speaker.play(pcm, self.models.tts.sample_rate)
            start_at = at if start_at is None else start_at
        return start_at
