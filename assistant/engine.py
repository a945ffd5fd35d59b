"""The engine: listens, transcribes, thinks and speaks, one turn at a time (half-duplex).

It imports neither Qt nor an audio-device package; the microphone, speaker and models are
handed in, so the same engine runs live, from files, from tests and under the window.

The engine owns one thread (the one that calls `run`). Other threads — the window, a hotkey, a
timer — talk to it only through its inbox (`submit`, `announce`, `set_listening`, `finish`) and
`stop`, so models and the conversation are only ever touched from that one thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant import events as ev
from assistant import prompt
from assistant.audio.frames import without_lead_in
from assistant.audio.ports import Clock, Frame, Microphone, Speaker, VirtualClock
from assistant.config import Config
from assistant.endpointing import Onset, Resumed, Started, lasted
from assistant.history import Exchange, History
from assistant.listener import Listener, Utterance
from assistant.memory.facts import parse_command
from assistant.memory.keeper import MemoryKeeper
from assistant.reply import Chunk, Reply, is_stop, sounds_finished, sounds_unfinished
from assistant.sentences import SentenceSplitter, cut_mid_sentence, voiced
from assistant.stages.llm import ChatModel, Message
from assistant.stages.stt import Transcriber
from assistant.stages.tts import Synthesizer
from assistant.stages.vad import VoiceDetector

if TYPE_CHECKING:
    from assistant.skills.router import Skills


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


_NUMBER = re.compile(
    r"\d+|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|oh|"
    r"hundred|thousand|half|quarter|seconds?|minutes?|hours?|am|pm|a\.m\.|p\.m\.)\b"
)


def _gist(text: str) -> str:
    """A sentence with its numbers blurred: "3 minutes left" and "2 minutes left" agree."""
    return " ".join(_NUMBER.sub("#", text.lower()).split())


# How often the microphone level is reported (a meter needs ~10 updates a second, no more).
_LEVEL_EVERY_S = 0.1
# How long run(None) waits on an empty inbox before checking for stop().
_IDLE_POLL_S = 0.1
# While a model works, how often the engine's thread listens to the microphone.
_HEAR_EVERY_S = 0.015
# The background evaluation of the next prompt yields the CPU to the turn in progress: a command
# said while it ran had its speech-to-text and voice slowed by it (~160 vs ~100 ms, ~155 vs ~120).
# Not 19: a real turn that needs the model waits for it to finish (it holds the model), and
# other programs should not be able to starve it then.
_WARMER_NICENESS = 10
# A file fed faster than real time waits at most this long for a warm-up while idle (see
# _settle_background); a longer one is a stuck model, and the turn will report it.
_SETTLE_TIMEOUT_S = 30.0


@dataclass
class Models:
    """The loaded model stages the engine uses."""

    vad: VoiceDetector
    stt: Transcriber
    llm: ChatModel
    tts: Synthesizer


class _Worker:
    """One daemon thread that runs model calls in order.

    A daemon, unlike a ThreadPoolExecutor's thread, is not waited for at exit: Ctrl+C must end
    the app even while a model call is under way.
    """

    def __init__(self, niceness: int = 0) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future]] = queue.Queue()
        self._niceness = niceness
        threading.Thread(target=self._serve, name="engine-models", daemon=True).start()

    def submit(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        self._jobs.put((fn, future))
        return future

    def _serve(self) -> None:
        if self._niceness:
            with contextlib.suppress(OSError, AttributeError):  # Linux sets it per thread
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._niceness)
        while True:
            fn, future = self._jobs.get()
            try:
                future.set_result(fn())
            except BaseException as e:  # handed to the caller, which re-raises it
                future.set_exception(e)


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
        # Talk over it to stop it. Only safe where the mic does not hear the speaker (see
        # cli's barge-in setting); otherwise the engine is half-duplex.
        self.barge_in = False
        self._mic: Microphone | None = None
        self._generating: Reply | None = None  # the reply being generated
        self._playing: Reply | None = None  # generated, its audio still playing
        self._cancelled = False
        # Barge-in in two steps: the first voice over a reply pauses it (_pause); speech
        # confirmed then stops it (_interrupt), a blip that comes to nothing resumes it.
        self._paused_at: float | None = None  # when the paused reply went silent
        # A reply paused before its first sound (played early, then a blip after the user's
        # last word) plays once the blip's own pause has lasted early_commit_ms: from then.
        self._resume_due: float | None = None
        # Voice again after an early-committed reply: the user going on, or a breath? Only
        # min_speech_ms of it stops the reply (a 30 ms blip at the end of a turn had cancelled
        # the reply and made the same words be answered twice).
        self._going_on: float | None = None
        self._interrupt_requested = threading.Event()
        self._waiting: list[Utterance] = []  # said while a reply was being generated
        self._unheard: deque[Frame] = deque()  # read from the mic, not yet heard (see _poll)
        # What the listener reported and the engine has not handled yet, oldest first (see _hear).
        self._reported: deque[Onset | Started | Resumed | Utterance] = deque()
        self._last_stt_s = 0.0
        self._worker: _Worker | None = None  # runs model calls (see _run_on_worker)
        # Evaluates the next prompt in the background (_prewarm). The language model takes one
        # call at a time (_llm_lock); the voice and the skills need not wait for it.
        self._warmer: _Worker | None = None
        self._warming: Future | None = None  # the latest background warm-up, until it is done
        self._llm_lock = threading.Lock()
        self._carry = ""  # words of a turn whose reply the user talked over before hearing it
        # Memories recalled for the last turn and evaluated with the next prompt's prefix (see
        # _warm_in_background): the next turn's prompt keeps them first, so they cost nothing.
        self._ahead: list[str] = []
        # Counts what makes memories evaluated ahead stop counting (a reply begun, a prompt
        # changed before them, a memory forgotten): a warm-up evaluating them checks it.
        self._ahead_epoch = 0
        # The reply played early (its words sounded finished) while the end of the turn is not
        # confirmed yet: the confirmation must find it even once it has played out.
        self._early: Reply | None = None
        # Prepared at a pause and sounding finished: it plays once the pause reaches its commit_at.
        self._due: Reply | None = None

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

    def interrupt(self) -> None:
        """Stop speaking now and drop the rest of the reply (the hotkey, a Stop button)."""
        self._interrupt_requested.set()

    # -- the engine's thread -----------------------------------------------------------------

    def run(self, mic: Microphone | None) -> None:
        """Serve the inbox and, with a microphone, answer each utterance until its input ends.

        With mic=None only the inbox is served (typed input and announcements) until finish() or
        stop().
        """
        self._stopped.clear()
        if mic is None:
            self._serve_inbox()
            return
        self._mic = mic
        self._unheard.clear()
        self._reported.clear()
        self._resume_at = 0.0
        clock = mic.clock
        self.emit(ev.Listening(0.0))
        try:
            for frame in mic.frames():
                if self._stopped.is_set() or not self._pump(clock):
                    break
                self._unheard.append(frame)
                while self._unheard:  # oldest first; _poll may take and give back some
                    self._on_frame(self._unheard.popleft(), clock)
            else:
                self._handle_reported(clock)
                last = self.listener.flush()
                if last is not None:
                    self._utterance_done(last, clock)
        finally:
            self._mic = None
        self._unpause()  # the input ended on a blip: nothing is lost
        if self._playing is not None:  # input ended while it spoke: it was all played
            self._finalize(self._playing, None)
        self._announce_deferred(clock)
        if self.speaker:
            self.speaker.wait()
        if self._warmer is not None:
            # A background warm-up may still be evaluating: let it finish, or the model could be
            # freed under it as the program exits (a segfault at the end of a file).
            self._warmer.submit(lambda: None).result()

    def _serve_inbox(self) -> None:
        while not self._stopped.is_set():
            try:
                command = self._inbox.get(timeout=_IDLE_POLL_S)
            except queue.Empty:
                continue
            if not self._handle(command, None):
                return

    def _pump(self, clock: Clock) -> bool:
        """Handle every waiting command; False when run() should return."""
        if self._interrupt_requested.is_set():
            self._interrupt_requested.clear()
            if self._playing is not None:
                self._interrupt(clock)
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
            self._respond(str(arg), clock)
        elif kind == "announce":
            self._deferred.append(str(arg))
            if not self.listener.in_speech and self._playing is None:
                self._announce_deferred(clock)
        elif kind == "listen" and arg != self._listening:
            self._listening = bool(arg)
            self.emit(ev.ListeningChanged(self._listening))
            if not self._listening and clock is not None:
                last = self.listener.flush()
                if last is not None:
                    self._utterance_done(last, clock)
            self.listener.reset()  # audio from before a pause is no pre-roll for what comes next
        return True

    def _on_frame(self, frame: Frame, clock: Clock) -> None:
        """One microphone frame in the engine's main loop (not while generating)."""
        self._settle_pause(frame.t)
        playing = self._playing
        if playing is not None and self._paused_at is None and frame.t >= playing.until:
            self._finalize(playing, None)
        if not self._listening:
            return
        if (
            self._playing is not None
            and not self._playing.hold
            and not self.barge_in
            and self._paused_at is None  # held back before its first sound (see _resumed)
        ):
            self._deaf(self._playing, frame.t)
            return  # half-duplex: what the mic hears now is our own voice
        if frame.end <= self._resume_at:
            return  # the room's echo just after we stopped speaking (half-duplex)
        self._level(frame)
        self._hear(frame, clock)
        if not self.listener.in_speech and self._playing is None:
            self._settle_background(clock)
            self._announce_deferred(clock)

    def _deaf(self, r: Reply, t: float) -> None:
        """Half-duplex, a reply sounding: an early one's turn is over now, so its command acts.

        The mic is ignored from its first sound on, so nothing the user says can change the turn
        any more: waiting until it had been heard in full started a timer 1-2 s late.
        """
        if r is self._early and r.first_audio_at is not None and t >= r.first_audio_at:
            self._early = None
            self._confirm(r)

    def _settle_background(self, clock: Clock) -> None:
        """On a file fed faster than real time, let the background warm-up finish while idle.

        Live, the warm-up runs while the reply plays and the user thinks; a fast-fed file jumps
        over that silence at once, so the next turn would wait for the model instead. The virtual
        clock runs on meanwhile, so the wait is charged to the silence, as it would be live.
        """
        warming = self._warming
        if warming is None or not isinstance(clock, VirtualClock):
            return
        self._warming = None
        with contextlib.suppress(Exception):  # only a head start; the turn reports its own errors
            warming.result(timeout=_SETTLE_TIMEOUT_S)

    def _hear(self, frame: Frame, clock: Clock) -> None:
        items = self.listener.feed(frame)
        going_on = self._going_on
        r = self._generating or self._playing
        if (
            going_on is not None
            and self.listener.in_speech
            and lasted(
                self.listener.endpointer.last_voiced_end
                - going_on
                + (r.voice_after_s if r is not None else 0.0),
                self.config.vad.min_speech_ms / 1000,
            )
        ):
            self._going_on = None
            if r is not None and r.hold and not r.discarded:
                self._drop(r)  # the user goes on: nothing of it was heard, the turn goes on
            else:
                self._interrupt(clock)  # it started too soon: the user talks over it
        self._reported.extend(items)
        self._handle_reported(clock)
        self._commit_due()

    def _handle_reported(self, clock: Clock) -> None:
        """Handle what the listener reported, oldest first, even across nested calls.

        One block can report two things (a pause and the speech going on), and handling one may
        take a while (a pause is transcribed and answered) while _poll hears newer blocks. Those
        must not be handled before the rest of this one: a pause's Resumed handled after the end
        of the turn it belonged to dropped the confirmed reply, and the turn was lost.
        """
        while self._reported:
            if self._generating is not None and self._cancelled:
                break  # handled once the dropped reply has unwound (as _poll's frames are)
            item = self._reported.popleft()
            if isinstance(item, Onset):
                self._pause()
            elif isinstance(item, Started):
                self.emit(ev.SpeechStarted(round(item.t, 3)))
                if self._generating is not None or self._playing is not None:
                    self._interrupt(clock)
            elif isinstance(item, Resumed):
                self._resumed(item.t)
            elif item.tentative:
                going_on, self._going_on = self._going_on, None
                if self._generating is None and self._playing is None:
                    self._speculate(item, clock)
                else:
                    self._pause_again(item, going_on)
            else:
                self._going_on = None
                self._utterance_done(item, clock)

    def _commit_due(self) -> None:
        """Play the reply prepared at a pause once the pause has lasted early_commit_ms."""
        # Silence for early_commit_ms, even where the pause began while Silero still heard
        # some voice (pause_release): the words ended, not just grew faint.
        silent_from = self.listener.voiced_until + self.config.vad.early_commit_ms / 1000
        heard = self.listener.heard_until
        resume = self._resume_due
        if resume is not None and lasted(heard, max(resume, silent_from)):
            self._unpause()  # the voice after the user's last word was a blip
        r = self._due
        if r is None:
            return
        if r.discarded or r.cancelled or not r.hold:
            self._due = None
        elif r.commit_at is not None and lasted(heard, max(r.commit_at, silent_from)):
            self._due = None
            self._commit(r)  # it sounds finished: speak as soon as the reply is ready
            self._early = r

    def _drop(self, r: Reply) -> None:
        """Throw away a reply prepared at a pause: the user went on, so the turn is not over."""
        r.discarded = True
        if self._due is r:
            self._due = None
        if r is self._generating:
            self._cancelled = True
        else:
            self._playing = None

    def _pause_again(self, pause: Utterance, voice_since: float | None) -> None:
        """A pause after a blip too short to be speech: the reply to the words before it holds.

        Prepared and held, it plays once this pause has lasted early_commit_ms if the words
        sounded finished, as it would have at the first pause; played early but held back
        before its first sound (half-duplex), it plays from then too. The blip's voice counts
        toward the user going on (several short ones in a row are speech, see _hear).
        """
        r = self._generating or self._playing
        if r is None or r.utterance_start != pause.start or r.discarded:
            return
        if voice_since is not None:
            r.voice_after_s += max(0.0, pause.end - voice_since)
        due = pause.end + self.config.vad.early_commit_ms / 1000
        if not r.hold:
            if self._paused_at is not None and (
                r.first_audio_at is None or r.first_audio_at >= self._paused_at
            ):  # paused before its first sound
                self._resume_due = due
                self._commit_due()
            return
        if r.commit_at is None:
            return
        r.commit_at = due
        self._due = r
        self._commit_due()

    def _utterance_done(self, item: Utterance, clock: Clock) -> None:
        """The user's turn is over: play the reply prepared for it, or answer it now."""
        early, self._early, self._due = self._early, None, None
        for r in (self._generating, self._playing, early):
            if (
                r is not None
                and not (r.discarded or r.cancelled)
                and r.utterance_start == item.start
            ):
                self._confirm(r)
                self._commit(r)
                return
        if self._generating is not None:
            self._waiting.append(item)  # answered once the cancelled reply has unwound
        else:
            self._answer(item, clock)

    def _speculate(self, pause: Utterance, clock: Clock) -> None:
        """Prepare the reply at a pause: transcribe, think and voice it, holding the audio."""
        try:
            started = time.monotonic()
            said = self.models.stt.transcribe(pause.pcm).text
            stt_s = time.monotonic() - started
        except Exception:  # the confirmed utterance will be transcribed again
            return
        if not said or is_stop(said):
            return
        self.emit(ev.PartialTranscript(said))
        if self.config.vad.unfinished_silence_ms and sounds_unfinished(said):
            # "And so, my fellow Americans," — a pause to think, not the end of the turn.
            self.listener.endpointer.wait_longer(self.config.vad.unfinished_silence_ms)
        text = " ".join([self._carry, said]).strip()
        if self.memory is not None and parse_command(text) is not None:
            return  # forgetting acts at once: only once the turn is confirmed over
        rehearsed = None
        skill_s = 0.0
        if self.skills is not None and self.skills.claims(text):
            # A command (set a timer, add to a list) is answered now with nothing done yet; it
            # acts when the turn is confirmed over (_act), so a half-said command changes nothing.
            started = time.monotonic()
            try:
                rehearsed = self.skills.rehearse(text)
            except Exception:  # e.g. the database is busy: the confirmed turn answers it
                return
            if rehearsed is None:
                return
            skill_s = time.monotonic() - started
        r = Reply(text, hold=True, carried=self._carry)
        r.answer, r.rehearsed = rehearsed, rehearsed is not None
        r.utterance_start, r.said, r.speech_end = pause.start, said, pause.end
        r.timings["stt"] = _ms(stt_s)
        if rehearsed is not None:
            r.timings["skill"] = _ms(skill_s)  # in the turn's timings: the database can be slow
        # A whole command is finished words too, even where Whisper wrote no full stop
        # ("cancel all timers"); one that needs more ("set a timer for") gets a question. In
        # half-duplex only a command nothing is added to (Skills.closed): it is deaf once it
        # speaks, and the missing full stop is as often a pause mid-command ("set a timer for
        # 3 hours … and 10 minutes").
        whole_command = (
            rehearsed is not None
            and not rehearsed.rstrip().endswith("?")
            and (self.barge_in or self.skills is not None and self.skills.closed(text))
        )
        finished = sounds_finished(said) or (whole_command and sounds_finished(f"{said}."))
        if self.config.vad.early_commit and finished:
            # Prepared at the first short pause (speculate_ms), played at a longer one: the work
            # is done by the time the pause is long enough to take for the end.
            r.commit_at = pause.end + self.config.vad.early_commit_ms / 1000
            self._due = r
            self._commit_due()
        self._respond(r.user_text, clock, speech_end=pause.end, stt_s=stt_s, prepared=r)

    def _confirm(self, r: Reply) -> None:
        """The turn r answers is over: nothing the user says now joins it; do its command."""
        r.confirmed = True
        self._act(r)

    def _act(self, r: Reply) -> None:
        """Do the command whose answer was rehearsed at the pause (the turn is confirmed over).

        The rehearsed answer is what the user hears (it may already be playing). If doing it
        turns out differently — something changed in between, such as a timer going off — the
        real outcome is said after it, unless only a number moved (the time, how long is left).
        """
        if not r.rehearsed or self.skills is None:
            return
        r.rehearsed = False
        real = self.skills.answer(r.user_text)
        if real is not None and _gist(real) != _gist(r.answer or ""):
            self._deferred.append(real)

    def _commit(self, r: Reply) -> None:
        """The user's turn is over: report it and play what was prepared and held back."""
        if not r.hold:
            return
        r.hold = False
        self._carry = ""
        if r.speech_end is not None:
            self.emit(ev.SpeechEnded(round(r.speech_end, 3)))
        self.emit(ev.Transcript(r.said, r.timings.get("stt", 0.0)))
        self.emit(ev.Thinking(r.user_text))
        held, r.held = r.held, []
        for text, pcms in held:
            self.emit(ev.ReplySentence(text))
            start = None
            for pcm in pcms:
                at = self.speaker.play(pcm, self.models.tts.sample_rate) if self.speaker else None
                start = at if start is None else start
            end = self.speaker.busy_until() if self.speaker and start is not None else None
            r.chunks.append(Chunk(text, start, end))
            self._started_audio(r, start)
        if r is self._playing and self.speaker:
            r.until = self.speaker.busy_until()
        if r is not self._generating:
            self._prewarm(r)  # it was prepared in full while held

    def _started_audio(self, r: Reply, at: float | None) -> None:
        if r.first_audio_at is None and at is not None:
            r.first_audio_at = at
            self.emit(ev.SpeakingStarted(round(at, 3)))
            if r.speech_end is not None:
                r.timings["end_of_speech_to_first_audio"] = _ms(at - r.speech_end)

    def _resumed(self, t: float) -> None:
        """The user went on after a pause: drop a reply prepared there, or stop it speaking."""
        self._resume_due = None  # a reply held back for a blip waits for this voice too
        if self._early is not None and self._early not in (self._generating, self._playing):
            self._early = None  # it was heard in full; what they say now is answered as a whole
        for r in (self._generating, self._playing):
            if r is None or r.utterance_start is None or r.discarded:
                continue
            if r.hold:
                # Nothing of it was heard. Kept until the voice lasts min_speech_ms (_hear drops
                # it then): after the last word the mic often hears a blip — a breath, a click,
                # the room — and dropping the reply for it had the turn prepared again after the
                # blip (2-4 of 19 device-path turns a run, up to 350 ms later).
                if self._going_on is None:
                    self._going_on = t
                if self._due is r:
                    self._due = None  # not played while the voice is judged (see _pause_again)
            elif self.barge_in and self._going_on is None:
                self._going_on = t  # stopped if the voice lasts (see _hear); paused meanwhile
                self._pause()
            elif not self.barge_in and (
                self._paused_at is not None or r.first_audio_at is None or t < r.first_audio_at
            ):
                # Played early, but not a sound of it yet. Half-duplex goes deaf once it
                # speaks, so its sound is held back while the voice is judged: the user going
                # on (min_speech_ms, see _hear) drops it and the whole turn is answered when it
                # ends; a blip after the last word lets it play (dropped at once, as before, the
                # turn was prepared again: 2-4 of 19 device-path turns a run, up to 350 ms later).
                if self._going_on is None:
                    self._going_on = t
                self._pause(before_sound=True)

    def _poll(self, clock: Clock | None) -> bool:
        """While generating: hear what the mic caught so far; True if the reply must stop."""
        if self._interrupt_requested.is_set():
            self._interrupt_requested.clear()
            self._interrupt(clock)
        mic = self._mic
        if mic is None or clock is None or self._cancelled:
            return self._cancelled
        frames = [*self._unheard, *mic.poll()]
        self._unheard.clear()
        for i, frame in enumerate(frames):
            if self._cancelled:
                # A frame of this batch dropped the reply: the rest is heard once it has
                # unwound. Heard now, a pause among them would find it still generating and not
                # be prepared (a 32 ms blip of voice, then the pause: 7 of 25 device runs).
                self._unheard.extendleft(reversed(frames[i:]))
                break
            self._settle_pause(frame.t)
            if not self._listening:
                continue
            # Before the reply's first audio there is no echo to fear: the user may go on
            # talking (then this reply is dropped and their words are kept for the next turn).
            speaking = self.speaker is not None and frame.end > self._generating_audio_from()
            if speaking and not self.barge_in and self._paused_at is None:
                continue
            self._level(frame)
            self._hear(frame, clock)
        return self._cancelled

    def _generating_audio_from(self) -> float:
        r = self._generating
        starts = [c.start for c in r.chunks if c.start is not None] if r else []
        return min(starts) if starts else float("inf")

    @property
    def _paused_at(self) -> float | None:
        """When the paused reply went silent; None while no reply is paused."""
        return self._paused_since

    @_paused_at.setter
    def _paused_at(self, t: float | None) -> None:
        self._paused_since = t
        # The voice that paused it is judged as the user's more readily (barge_in_release).
        self.listener.endpointer.reply_paused = t is not None

    def _pause(self, before_sound: bool = False) -> None:
        """Voice over a reply that is being heard: silence it at once, not yet sure it is speech.

        The listener needs min_speech_ms of voice to be sure (then _interrupt stops the reply
        where it paused); this silences it onset_ms after the voice began instead.
        `before_sound`: half-duplex too, for a reply played early that has made no sound yet.
        """
        r = self._generating if self._generating is not None else self._playing
        if self._paused_at is not None or self.speaker is None or r is None or r.hold:
            return
        if not before_sound and (not self.barge_in or r.first_audio_at is None):
            return
        self._paused_at = self.speaker.pause()
        self.emit(ev.SpeakingPaused(round(self._paused_at, 3)))

    def _settle_pause(self, t: float) -> None:
        """Resume a paused reply once the voice that paused it has come to nothing by `t`."""
        if self._paused_at is None:
            return
        quiet = self.listener.quiet_for(t)
        if not self._listening or lasted(quiet, self.config.audio.barge_in_resume_ms / 1000):
            self._unpause()

    def _unpause(self) -> None:
        """Play a paused reply on from where it paused (it was not the user speaking)."""
        paused_at, self._paused_at = self._paused_at, None
        self._resume_due = None
        if paused_at is None or self.speaker is None:
            return
        shift = self.speaker.resume()
        for r in (self._generating, self._playing):
            if r is not None:
                r.shift(paused_at, shift)
                if r.first_audio_at is not None and r.speech_end is not None:
                    # Held back before its first sound: it is first heard later.
                    r.timings["end_of_speech_to_first_audio"] = _ms(r.first_audio_at - r.speech_end)
        self.emit(ev.SpeakingResumed(round(paused_at + shift, 3)))

    def _interrupt(self, clock: Clock | None) -> None:
        """The user talks over the reply (or pressed stop): silence it and drop the rest.

        A paused reply stops where it paused: that is where the user stopped hearing it.
        """
        at = self.speaker.stop() if self.speaker else (clock.now() if clock else 0.0)
        self._paused_at = None
        self._resume_due = None
        if self._generating is not None:
            self._cancelled = True
            self._generating.cut_at = at
            self._generating.cancelled = True
        elif self._playing is not None:
            self._finalize(self._playing, at)

    def _answer(self, utterance: Utterance, clock: Clock) -> None:
        """Transcribe one utterance and answer it (with any words carried over)."""
        said = self._transcribe(utterance)
        if said is None:
            return
        text, self._carry = " ".join([self._carry, said]).strip(), ""
        if is_stop(said):
            return  # "stop" silences it (the interruption already did); it needs no answer
        if self.listener.in_speech:
            self._carry = text  # they already go on talking: answer all of it when they finish
            return
        self._respond(text, clock, speech_end=utterance.end, stt_s=self._last_stt_s)

    def _transcribe(self, utterance: Utterance) -> str | None:
        """What was said in the utterance (None if nothing intelligible or the model failed)."""
        self.emit(ev.SpeechEnded(round(utterance.end, 3)))
        try:
            started = time.monotonic()
            transcript = self.models.stt.transcribe(utterance.pcm)
            self._last_stt_s = time.monotonic() - started
            self.emit(ev.Transcript(transcript.text, _ms(self._last_stt_s)))
        except Exception as e:  # a failed turn must not end the conversation
            self.emit(ev.Error(f"that turn failed: {type(e).__name__}: {e}"))
            return None
        return transcript.text or None

    def _respond(
        self,
        user_text: str,
        clock: Clock | None,
        speech_end: float | None = None,
        stt_s: float | None = None,
        prepared: Reply | None = None,
    ) -> None:
        """Answer user_text; with a microphone, its audio then plays while the mic is heard."""
        self._unpause()  # typed while a reply was paused: it plays on first, as below
        if self._playing is not None:  # typed over a reply: that one was queued to play first
            self._finalize(self._playing, None)
        self._interrupt_requested.clear()  # a stop pressed before this reply is not meant for it
        r = prepared or Reply(user_text)
        r.speech_end = speech_end
        self._generating, self._cancelled = r, False
        try:
            self._generate(r, clock, speech_end, stt_s)
        except Exception as e:  # a failed turn must not end the conversation
            self.emit(ev.Error(f"that turn failed: {type(e).__name__}: {e}"))
            r.failed = True
        finally:
            self._generating = None
        self._prewarm(r)
        if r.discarded:
            pass  # the user went on talking; their turn is not over
        elif r.hold and not r.failed:
            r.until = float("inf")  # prepared; it plays once the turn is confirmed over
            self._playing = r
        elif r.cut_at is not None or self._mic is None or self.speaker is None or r.failed:
            if r.cut_at is None and self.speaker is not None:
                self.speaker.wait()
            self._finalize(r, r.cut_at)
        else:
            r.until = self.speaker.busy_until()
            self._playing = r
        # Utterances finished while the reply was generated (the user went on and the reply was
        # dropped): they and the carried words make one turn.
        waiting, self._waiting = self._waiting, []
        if not waiting or clock is None:
            return
        last = waiting[-1]
        for utterance in waiting[:-1]:
            said = self._transcribe(utterance)
            if said:
                self._carry = " ".join([self._carry, said]).strip()
        self._answer(last, clock)

    def _finalize(self, r: Reply, cut_at: float | None) -> None:
        """The reply's audio is over (played out or cut at `cut_at`): record what was heard."""
        if self._playing is r:
            self._playing = None
        if r.discarded:
            return
        if cut_at is None and not r.hold:
            # Heard in full: half-duplex hears no confirmation while it speaks (_deaf acts at the
            # first sound; this covers an input that ended before a frame came after it).
            self._act(r)
        elif r is self._early:
            self._early = None
        if r.announcement:
            self.emit(ev.SpeakingEnded(round(r.until if cut_at is None else cut_at, 3)))
            self._after_speaking(r.until if cut_at is None else cut_at)
            return
        heard = r.heard(cut_at)
        interrupted = cut_at is not None and (heard != r.text or r.cancelled)
        if interrupted:
            # The warm-up after it assumed it would be heard in full: the next prompt differs
            # before the memories evaluated ahead, so they would cost their full time again.
            self._drop_ahead()
        if r.first_audio_at is not None and self.speaker:
            self.emit(ev.SpeakingEnded(round(r.until if cut_at is None else cut_at, 3)))
        if interrupted and not heard:
            # Nothing of the reply was heard: no turn; the user's words open their next one —
            # unless it was prepared at a pause of an utterance that goes on (and so holds them).
            goes_on = r.utterance_start is not None and not r.confirmed
            self._carry = r.carried if goes_on else r.user_text
            return
        if not r.failed:
            self.history.add(r.user_text, heard, interrupted, r.command)
            if self.memory and not r.command:
                try:
                    self.memory.remember(r.user_text, heard)
                    if self.memory.facts() != r.facts:
                        # A new pinned fact changes the prompt's prefix: evaluate it now rather
                        # than at the start of the next turn (on the model thread, so the mic is
                        # heard meanwhile).
                        if self._mic is None:
                            self.warm_up()
                        else:
                            self._warm_in_background(
                                self.history.recent(self.config.persona.history_turns),
                                r.user_text,
                            )
                except Exception as e:
                    self.emit(
                        ev.Error(f"could not save this turn to memory: {type(e).__name__}: {e}")
                    )
            r.turn = ev.Turn(
                user_text=r.user_text,
                reply_text=heard,
                interrupted=interrupted,
                timings_ms=r.timings,
            )
            self.emit(r.turn)
        if r.first_audio_at is not None:
            self._after_speaking(r.until if cut_at is None else cut_at)

    def _after_speaking(self, ended_at: float) -> None:
        """Trust the microphone again once the echo of what was played has died down."""
        if self._mic is None:
            return
        if not self.barge_in:
            self._resume_at = max(self._resume_at, ended_at + self.config.audio.echo_tail_ms / 1000)
            self.listener.reset()
        self.emit(ev.Listening(round(max(ended_at, self._resume_at), 3)))

    def _announce_deferred(self, clock: Clock | None) -> None:
        while self._deferred and self._playing is None:
            text = self._deferred.pop(0)
            self.emit(ev.Announcement(text))
            r = Reply("", announcement=True)
            try:
                r.first_audio_at = self._say(text, r.timings)
            except Exception as e:
                self.emit(ev.Error(f"could not say that: {type(e).__name__}: {e}"))
            if self.speaker is None or r.first_audio_at is None:
                continue
            self.emit(ev.SpeakingStarted(round(r.first_audio_at, 3)))
            r.until = self.speaker.busy_until()
            if self._mic is None:
                self.speaker.wait()
                self.emit(ev.SpeakingEnded(round(r.until, 3)))
            else:
                self._playing = r

    def _level(self, frame: Frame) -> None:
        if frame.t - self._level_at >= _LEVEL_EVERY_S or frame.t < self._level_at:
            self._level_at = frame.t
            rms = float(np.sqrt(np.mean(np.square(frame.pcm)))) if len(frame.pcm) else 0.0
            self.emit(ev.MicLevel(round(20 * np.log10(max(rms, 1e-6)), 1)))

    # -- one reply -----------------------------------------------------------------------------

    def reply(
        self, user_text: str, speech_end: float | None = None, stt_s: float | None = None
    ) -> ev.Turn:
        """Answer typed text at once (outside run()): speak it, wait, record and return the turn."""
        r = Reply(user_text, speech_end=speech_end)
        self._generating, self._cancelled = r, False
        try:
            self._generate(r, None, speech_end, stt_s)
        finally:
            self._generating = None
        if self.speaker:
            self.speaker.wait()
        self._finalize(r, None)
        assert r.turn is not None
        return r.turn

    def _generate(
        self, r: Reply, clock: Clock | None, speech_end: float | None, stt_s: float | None
    ) -> None:
        """Stream the LLM into r, speaking each chunk as it completes; stop when cancelled."""
        user_text = r.user_text
        timings = r.timings
        self._ahead_epoch += 1  # a reply begins: a warm-up's memories step must not delay it
        if stt_s is not None:
            timings["stt"] = _ms(stt_s)
        if r.utterance_start is None:  # a prepared reply reports its thinking once committed
            self.emit(ev.Thinking(user_text))
        answer = r.answer if r.answer is not None else self._memory_command(user_text)
        if answer is None and self.skills is not None:
            started = time.monotonic()
            answer = self.skills.answer(user_text)  # time, timers, reminders, lists: no LLM
            if answer is not None:
                timings["skill"] = _ms(time.monotonic() - started)
        r.command = answer is not None
        facts: list[str] = []
        memories: list[str] = []
        if answer is None and self.memory:
            started = time.monotonic()
            try:
                facts, memories = self.memory.facts(), self._memories(user_text)
            except Exception as e:  # a memory fault must not cost the user their answer
                self.emit(ev.Error(f"recall failed: {type(e).__name__}: {e}"))
            timings["recall"] = _ms(time.monotonic() - started)
        r.facts = facts
        llm = self.models.llm
        messages = self._messages(user_text, facts, memories)
        started = time.monotonic()
        tts = self.config.tts
        splitter = SentenceSplitter(
            tts.first_clause_words, first_phrase_words=tts.first_phrase_words
        )

        def speak(chunk: str) -> None:
            last = r.held[-1][0] if r.held else r.chunks[-1].text if r.chunks else None
            # A reply starts at its first sound, and so does the rest of a sentence cut in two.
            prompt = last is None or cut_mid_sentence(last)
            if r.hold:  # prepared at a pause: voice it now, play it once the turn is over
                t0 = time.monotonic()
                pcms = self._voice(voiced(chunk), clock, prompt) if self.speaker else []
                timings.setdefault("tts_first_audio", _ms(time.monotonic() - t0))
                if r.hold:
                    r.held.append((chunk, pcms))
                    return
                # Committed while it was being voiced: play it now.
                self.emit(ev.ReplySentence(chunk))
                at = self._play(pcms)
            else:
                at = self._say(chunk, timings, clock, prompt, voiced(chunk))
            end = self.speaker.busy_until() if self.speaker and at is not None else None
            r.chunks.append(Chunk(chunk, at, end))
            self._started_audio(r, at)

        deltas = iter([answer]) if answer is not None else llm.stream(messages)
        try:
            for delta in self._in_background(deltas, clock, answer is None):
                timings.setdefault("llm_first_token", _ms(time.monotonic() - started))
                if self._poll(clock):
                    break
                for chunk in splitter.add(delta):
                    speak(chunk)
                    if self._poll(clock):
                        break
                if self._cancelled:
                    break
            else:
                for chunk in splitter.finish():
                    speak(chunk)
                    if self._poll(clock):
                        break
        finally:
            close = getattr(deltas, "close", None)
            if close:
                self._run_on_worker(self._locked(close))  # stops the generation at once
        if not r.chunks and not r.held and not self._cancelled:
            speak(self.config.persona.fallback_reply)  # a model that said nothing still answers
        timings["llm_total"] = _ms(time.monotonic() - started)

    def _messages(
        self,
        user_text: str,
        facts: list[str],
        memories: list[str],
        history: list[Exchange] | None = None,
    ) -> list[Message]:
        llm = self.models.llm
        budget = getattr(llm, "n_ctx", self.config.llm.context_tokens) - self.config.llm.max_tokens
        return prompt.build(
            self.config.persona,
            self.history.recent(self.config.persona.history_turns) if history is None else history,
            user_text,
            budget,
            self._count_tokens,
            facts=facts,
            memories=memories,
        )

    def _count_tokens(self, text: str) -> int:
        count = getattr(self.models.llm, "count_tokens", None)
        return count(text) if count else len(text) // 3 + 1

    def _memories(self, user_text: str) -> list[str]:
        """The memories for this turn's prompt: those evaluated ahead of it, then new ones.

        Only the new ones cost time now, and only up to [memory] recall_tokens of them.
        """
        assert self.memory is not None
        recalled = self.memory.recall(user_text)
        budget = self.config.memory.recall_tokens
        return prompt.memory_block(self._ahead, recalled, budget, self._count_tokens)

    def _drop_ahead(self) -> None:
        """Memories evaluated ahead no longer count, nor those a warm-up is evaluating now."""
        self._ahead, self._ahead_epoch = [], self._ahead_epoch + 1

    def _recall_ahead(self, about: str) -> list[str]:
        """Memories for what the user last said, to evaluate before their next turn needs them."""
        if self.memory is None or not about:
            return []
        try:
            recalled = self.memory.recall(about)
        except Exception:  # e.g. the database is busy: the prefix is still worth evaluating
            return []
        budget = self.config.memory.recall_ahead_tokens
        return prompt.fit_memories(recalled, budget, self._count_tokens)

    def warm_up(self) -> None:
        """Evaluate the stable prompt prefix (persona, pinned facts, history) ahead of need."""
        facts = self.memory.facts() if self.memory else []
        if self.memory:
            self.memory.recall("hello")  # loads the embedder and the vector index now, not mid-turn
        messages = self._messages("Hi", facts, [])
        self._drop_ahead()
        self._run_on_worker(self._locked(lambda: self.models.llm.warm_up(messages)))

    def _prewarm(self, r: Reply) -> None:
        """Evaluate the next turn's prompt prefix now, while this reply plays.

        The next prompt holds this exchange, and every few turns the oldest exchanges are
        dropped, which makes the model evaluate the whole history again (2 s measured on 2
        cores). Done here, on the model thread while the user listens, it is off the next
        turn's path. It assumes the reply will be heard in full; if it is cut, only the end of
        the prefix differs.
        """
        if self._mic is None or r.failed or r.discarded or r.cancelled or r.hold or not r.chunks:
            return
        exchange = Exchange(r.user_text, r.text, command=r.command)
        history = self.history.preview(exchange, self.config.persona.history_turns)
        self._warm_in_background(history, r.user_text)

    def _warm_in_background(self, history: list[Exchange], about: str = "") -> None:
        """Queue the evaluation of the prompt prefix for `history` on the model thread.

        Then, as a second step, the memories recalled for `about` (what the user just said) at
        its end: if they go on about it, the next turn finds them evaluated already. That step
        (up to ~1 s) is skipped once a turn has begun, so no turn ever waits for it; the turn
        counts them as evaluated only once it is done (self._ahead).
        """
        try:
            facts = self.memory.facts() if self.memory else []
            messages = self._messages("Hi", facts, [], history)
            ahead = self._recall_ahead(about)
            with_ahead = self._messages("Hi", facts, ahead, history) if ahead else None
        except Exception:  # only a head start: the turn itself will evaluate what it needs
            return
        self._drop_ahead()  # and an older warm-up still queued no longer sets its own
        epoch = self._ahead_epoch
        llm = self.models.llm

        def warm() -> None:
            with self._llm_lock:
                llm.warm_up(messages)
            if with_ahead is None:
                return
            with self._llm_lock:
                if self._ahead_epoch != epoch:
                    return  # a turn has begun since: it must not wait for these memories
                llm.warm_up(with_ahead)
                # Not if a turn began meanwhile: its prompt replaced them in the model's cache,
                # and a "forget …" turn may have erased one of them.
                if self._ahead_epoch == epoch:
                    self._ahead = ahead

        if self._warmer is None:
            self._warmer = _Worker(niceness=_WARMER_NICENESS)
        # Not waited for: the next turn's model call takes the lock after it.
        self._warming = self._warmer.submit(warm)

    def _locked(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """fn, run holding the language model (llama.cpp takes one call at a time)."""

        def run() -> Any:
            with self._llm_lock:
                return fn()

        return run

    def _memory_command(self, user_text: str) -> str | None:
        """The spoken answer to a memory command ("forget …"), or None for ordinary speech."""
        if self.skills is not None and self.skills.erases(user_text):
            return None  # "delete my notes" reads as "forget …" too: the skill's own, asks first
        if self.memory:
            result = self.memory.command(user_text)
            if result is not None and self.skills is not None and not result[1]:
                command = parse_command(user_text)
                kept = self.skills.kept() if command and command.action == "recall_all" else ""
                if kept:  # "what do you remember about me": its lists and notes are kept too
                    result = (f"{result[0]} Besides that, I keep {kept}.", result[1])
        elif self.skills is not None:  # memory off: its lists, notes, timers… are still kept
            result = self.skills.memory_command(user_text)
        else:
            return None
        if result is None:
            return None
        answer, forgotten = result
        if forgotten:  # what was forgotten must leave the conversation too
            self._drop_ahead()
            self.history.exchanges = [
                ex
                for ex in self.history.exchanges
                if forgotten != ["*"] and not any(w in ex.user.lower() for w in forgotten)
            ]
        return answer

    def _say(
        self,
        chunk: str,
        timings: dict[str, float],
        clock: Clock | None = None,
        prompt: bool = True,
        voice: str | None = None,
    ) -> float | None:
        """Speak one chunk of the reply; return the session time its audio starts (None if mute).

        `voice` is the text for the voice, if not the chunk itself. With `prompt` the audio starts
        at its first sound (see `without_lead_in`): for the first chunk of what is said, not for
        later sentences, whose lead-in is part of the pause between them.
        """
        self.emit(ev.ReplySentence(chunk))
        if self.speaker is None:
            return None
        started = time.monotonic()
        pcms = self._voice(voice or chunk, clock, prompt)
        timings.setdefault("tts_first_audio", _ms(time.monotonic() - started))
        if self._cancelled:
            return None  # the user spoke while it was being voiced: it is never played
        return self._play(pcms)

    def _voice(self, text: str, clock: Clock | None, prompt: bool = False) -> list[np.ndarray]:
        pcms = self._run_on_worker(lambda: list(self.models.tts.synthesize(text)), clock)
        return without_lead_in(pcms, self.models.tts.sample_rate) if prompt else pcms

    def _play(self, pcms: list[np.ndarray]) -> float | None:
        start_at: float | None = None
        for pcm in pcms:
            assert self.speaker is not None
            at = self.speaker.play(pcm, self.models.tts.sample_rate)
            start_at = at if start_at is None else start_at
        return start_at

    # -- model work off the engine's thread ------------------------------------------------------

    def _run_on_worker(self, fn, clock: Clock | None = None):
        """fn() on the model worker thread; meanwhile, with a microphone, keep hearing the user.

        The model calls (a token, a sentence voiced) take tens to hundreds of ms. Running them on
        one worker thread while this thread goes on polling the mic every few ms is what lets
        the user be heard — and the reply stopped — at once, even mid-sentence.
        """
        if self._mic is None or clock is None:
            return fn()
        if self._worker is None:
            self._worker = _Worker()
        future = self._worker.submit(fn)
        while True:
            try:
                return future.result(timeout=_HEAR_EVERY_S)
            except FutureTimeout:
                self._poll(clock)

    def _in_background(self, deltas, clock: Clock | None, llm: bool = True):
        """The model's deltas, each computed on the worker thread (see _run_on_worker)."""
        end = object()
        while True:
            step = lambda: next(deltas, end)  # noqa: E731
            delta = self._run_on_worker(self._locked(step) if llm else step, clock)
            if delta is end:
                return
            yield delta
