"""The engine's owner for the desktop app: loads models off the GUI thread and runs the engine.

Qt-free. The window talks to a Session (submit typed text, switch listening on and off, stop) and
observes it only through engine events, which the Session's `emit` receives on its own thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant import events as ev
from assistant.audio import echo
from assistant.audio.echo_guard import guard_for
from assistant.config import Config
from assistant.errors import AssistantError


def _load_models(config: Config, emit: ev.Sink | None = None) -> Any:
    from assistant.loader import load_models

    models, _ = load_models(config, emit=emit)
    return models


def _open_mic(config: Config, clock: Any) -> Any:
    from assistant.audio.devices import DeviceMicrophone

    return DeviceMicrophone(config.audio.input_device, clock=clock)


def _open_speaker(config: Config, clock: Any) -> Any:
    from assistant.audio.devices import DeviceSpeaker

    return DeviceSpeaker(config.audio.output_device, clock=clock)


def _keeper(config: Config, profile: str) -> Any:
    if not config.memory.enabled:
        return None
    from assistant.memory.keeper import MemoryKeeper
    from assistant.memory.store import MemoryStore

    return MemoryKeeper(
        MemoryStore(memory_path(config)), profile, config.memory, config.persona.name
    )


def _skills(config: Config, profile: str) -> Any:
    """Timers, reminders, lists and notes of the profile, kept in the memory database."""
    if not config.skills.enabled:
        return None
    from assistant.skills.router import Skills, local_zone
    from assistant.skills.store import SkillStore

    skills = Skills(SkillStore(memory_path(config)), profile, local_zone(config.skills.time_zone))
    skills.warm_up()
    return skills


def memory_path(config: Config):
    """The memory database file of this config (the same rule as the command line's)."""
    from pathlib import Path

    from assistant.paths import data_dir

    return (
        Path(config.memory.file).expanduser()
        if config.memory.file
        else data_dir() / "memory.sqlite3"
    )


class Session:
    """One running conversation: a background thread that loads the models, then runs the engine.

    Commands given before the engine exists (typed text, listening on/off) are kept and applied
    as soon as it does, so the window is usable from its first frame.
    """

    def __init__(
        self,
        config: Config,
        profile: str,
        emit: ev.Sink,
        *,
        load_models: Callable[[Config], Any] = _load_models,
        open_mic: Callable[[Config, Any], Any] | None = _open_mic,
        open_speaker: Callable[[Config, Any], Any] | None = _open_speaker,
        keeper: Callable[[Config, str], Any] = _keeper,
        models: Any = None,
        wrap_mic: Callable[[Any], Any] | None = None,
        skills: Callable[[Config, str], Any] | None = None,
    ) -> None:
        self.config = config
        self.profile = profile
        self.emit = emit
        self._load_models = load_models
        self._open_mic = open_mic
        self._open_speaker = open_speaker
        self._keeper = keeper
        # The everyday skills come with the real memory (a test that fakes the keeper gets none
        # unless it asks, so it never writes to the user's data directory).
        self._skills = skills or (_skills if keeper is _keeper else lambda c, p: None)
        self.models = models  # reused when given (a profile switch keeps the loaded models)
        self._wrap_mic = wrap_mic  # e.g. a wake-word detector watching the same frames
        self.engine: Any = None
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._listening = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.started = False

    # -- commands (any thread) -----------------------------------------------------------------

    def start(self) -> None:
        """Start loading in the background; returns at once."""
        self.started = True
        self._thread = threading.Thread(target=self._run, name="assistant-engine", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> None:
        """Answer typed text like a spoken turn (queued until the engine is ready)."""
        with self._lock:
            if self.engine is None:
                self._pending.append(text)
                return
            engine = self.engine
        engine.submit(text)

    def set_listening(self, on: bool) -> None:
        """Hear the microphone (True) or ignore it (False)."""
        with self._lock:
            self._listening = on
            engine = self.engine
        if engine is not None:
            engine.set_listening(on)

    @property
    def listening(self) -> bool:
        return self._listening

    def interrupt(self) -> None:
        """Stop the reply being spoken (the hotkey or Talk pressed while it speaks)."""
        with self._lock:
            engine = self.engine
        if engine is not None:
            engine.interrupt()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the engine and wait (up to timeout) for its thread to end."""
        with self._lock:
            self._stopping = True
            engine = self.engine
        if engine is None:
            return  # still loading: a model load cannot be interrupted; the thread ends after it
        engine.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        """Whether stop() was called (so the thread's end is expected)."""
        return self._stopping

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the engine thread ---------------------------------------------------------------------

    def _run(self) -> None:
        mic = speaker = keeper = skills = None
        try:
            from assistant.engine import Engine

            started = time.monotonic()
            if self.models is None:
                if self._load_models is _load_models:  # a model server reports its faults here
                    self.models = _load_models(self.config, self.emit)
                else:
                    self.models = self._load_models(self.config)
            from assistant.audio.ports import WallClock

            clock = WallClock()  # one timeline for the microphone and the speaker
            if self._open_speaker is not None:
                try:
                    speaker = self._open_speaker(self.config, clock)
                except AssistantError as e:  # replies are still shown without a speaker
                    self.emit(ev.Error(f"no speaker: {e}"))
            keeper = self._keeper(self.config, self.profile)
            skills = self._skills(self.config, self.profile)
            engine = Engine(self.config, self.models, speaker, self.emit, keeper, skills)
            engine.barge_in = echo.barge_in(self.config.audio)
            engine.listener.guard = guard_for(speaker, self.config.audio, engine.barge_in)
            engine.warm_up()
            if skills is not None:  # timers and reminders speak up (missed ones: at once)
                skills.start(engine.announce, lambda e: self.emit(ev.Error(f"reminders: {e}")))
            # The microphone opens last: audio captured during warm-up would only be a backlog.
            if self._open_mic is not None:
                try:
                    mic = self._open_mic(self.config, clock)
                except AssistantError as e:  # typing still works without a microphone
                    self.emit(ev.Error(f"no microphone: {e}"))
            if mic is not None and self._wrap_mic is not None:
                try:
                    mic = self._wrap_mic(mic)
                except Exception as e:  # talking by button still works
                    self.emit(ev.Error(f"wake word unavailable: {e}"))
            with self._lock:
                if self._stopping:
                    return
                self.engine = engine
                pending, self._pending = self._pending, []
                listening = self._listening
            engine.set_listening(listening)
            for text in pending:
                engine.submit(text)
            self.emit(ev.Ready(round((time.monotonic() - started) * 1000, 1)))
            if listening == engine.listening:
                # The engine reports changes only; the window still needs the starting state.
                self.emit(ev.ListeningChanged(listening))
            engine.run(mic)
        except AssistantError as e:
            self.emit(ev.Error(str(e)))
        except Exception as e:  # the window must say what went wrong, not die silently
            self.emit(ev.Error(f"the assistant stopped: {type(e).__name__}: {e}"))
        finally:
            if skills is not None:
                skills.stop()
            store = getattr(keeper, "store", None)
            for thing in (mic, speaker, store, getattr(skills, "store", None)):
                if thing is not None:
                    with contextlib.suppress(Exception):  # closing must not hide the real error
                        thing.close()
