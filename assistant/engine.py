"""The engine: listens, transcribes, thinks and speaks, one turn at a time (half-duplex).

It imports neither Qt nor an audio-device package; the microphone, speaker and models are
handed in, so the same engine runs live, from files, from tests and (later) under the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    # -- voice ---------------------------------------------------------------------------------

    def run(self, mic: Microphone) -> None:
        """Listen to the microphone until its input ends, answering each utterance."""
        resume_at = 0.0
        self.emit(ev.Listening(0.0))
        for frame in mic.frames():
            if frame.end <= resume_at:
                continue  # heard while we were thinking or speaking (half-duplex): our own voice
            for item in self.listener.feed(frame):
                if isinstance(item, Started):
                    self.emit(ev.SpeechStarted(round(item.t, 3)))
                else:
                    resume_at = self._answer(item, mic.clock)
        last = self.listener.flush()
        if last is not None:
            self._answer(last, mic.clock)
        if self.speaker:
            self.speaker.wait()

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
