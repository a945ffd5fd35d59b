"""The desktop app: wires the window, tray, hotkey and control socket to a Session.

`run()` is what `assistant` (no subcommand) calls. The window appears before any model is
loaded; the Session loads them on its own thread and the window shows "Loading…" meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from assistant import events as ev
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.ui import theme as themes
from assistant.ui.bridge import EventBridge
from assistant.ui.hotkey import GlobalHotkey
from assistant.ui.instance import ControlServer
from assistant.ui.memory_panel import MemoryPanel
from assistant.ui.session import Session, memory_path
from assistant.ui.settings_panel import SettingsPanel
from assistant.ui.state import Entry
from assistant.ui.tray import Tray, app_icon
from assistant.ui.window import MainWindow


class _Wake(QObject):
    """Carries "the wake word was heard" from the detector's thread to the GUI thread."""

    heard = Signal()


def _note(message: str) -> None:
    print(f"assistant: {message}", file=sys.stderr, flush=True)


class App(QObject):
    """The running desktop app (one per user)."""

    def __init__(
        self,
        base: Config,
        config_path: Path,
        profile: str,
        events: IO[str] | None = None,
        session_factory: Any = Session,
        tray: bool = True,
        hotkey: bool = True,
    ) -> None:
        super().__init__()
        self.base = base  # the config file as written, before the profile's overrides
        self.config_path = config_path
        self.profile = profile
        self.config = base.for_profile(profile)
        self.session_factory = session_factory
        self.talking = False  # the user asked to listen (Talk / hotkey / push-to-talk held)
        self.muted = False
        self.bridge = EventBridge()
        self.sink: ev.Sink = (
            ev.Fanout(self.bridge, ev.JsonLinesWriter(events)) if events else self.bridge
        )
        self.icon = app_icon()
        self.window = MainWindow(self.config.persona.name, profile, self.icon)
        self.window.set_push_to_talk(base.ui.activation == "push_to_talk")
        self.theme_setting = base.ui.theme
        self.apply_theme()
        hints = QApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _s: self.apply_theme())

        self.memory = MemoryPanel(memory_path(self.config), profile)
        self.window.add_tab(self.memory, "Memory")
        self.settings = SettingsPanel(base, config_path, profile, self._profiles())
        self.window.add_tab(self.settings, "Settings")
        self.window.tabs.currentChanged.connect(self._tab_changed)
        self.settings.saved.connect(self._settings_saved)

        self.bridge.event.connect(self.window.on_event)
        self.bridge.event.connect(self._on_event)
        self.window.submitted.connect(self.submit)
        self.window.talk_clicked.connect(self.toggle)
        self.window.talk_pressed.connect(lambda: self.set_talking(True))
        self.window.talk_released.connect(lambda: self.set_talking(False))
        self.window.mute_toggled.connect(self.set_muted)

        self.tray: Tray | None = None
        if tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = Tray(self._profiles(), profile)
            self.tray.toggle_window.connect(self.toggle_window)
            self.tray.talk.connect(self.toggle)
            self.tray.mute_toggled.connect(self.set_muted)
            self.tray.profile_chosen.connect(self.switch_profile)
            self.tray.quit_requested.connect(self.quit)
            self.tray.show()
            self.window.keep_in_tray = True
            self.window.hidden_to_tray.connect(self._hidden_to_tray)
        elif tray:
            message = "no system tray here: the window stays open, and closing it quits"
            _note(message)
            self.window.conversation.entries.append(Entry("note", message, True, kind="info"))
            self.window.view.changed(0)

        self.hotkey = GlobalHotkey(self)
        self.hotkey.pressed.connect(self._hotkey_down)
        self.hotkey.released.connect(self._hotkey_up)
        self.hotkey.failed.connect(
            lambda why: _note(f"no global hotkey ({why}); bind `assistant toggle` to a key instead")
        )
        self._want_hotkey = hotkey

        self.server = ControlServer(
            {
                "show": self.window.show_and_raise,
                "toggle": self.toggle,
                "talk": lambda: self.set_talking(True),
                "quit": self.quit,
                "ping": lambda: None,
            },
            self,
        )
        self.session: Any = None
        self._stopping: list[threading.Thread] = []
        self._told_tray = False
        # A session whose thread ended on its own (the microphone vanished, a model crashed)
        # leaves the app unable to answer: the window must say so, not look idle.
        self._watch = QTimer(self)
        self._watch.setInterval(1000)
        self._watch.timeout.connect(self._check_session)
        self._watch.start()
        self.wake = _Wake()
        self.wake.heard.connect(self._wake_heard)
        # After the wake word, listening stops again if nobody speaks within this time.
        self.wake_timeout = QTimer(self)
        self.wake_timeout.setSingleShot(True)
        self.wake_timeout.setInterval(8000)
        self.wake_timeout.timeout.connect(lambda: self.set_talking(False))

    # -- start and stop ------------------------------------------------------------------------

    def start(self, minimized: bool = False) -> None:
        """Show the window (unless minimized to a tray), then start loading the models."""
        if not self.server.listen():
            _note(f"cannot listen on {self.server.path}: `assistant toggle` will not reach it")
        shown = not (minimized and self.tray is not None)
        if shown:
            self.window.show()
        self._sync_tray()
        # Loading (its imports hold the GIL) and the hotkey (pynput takes a few hundred ms to
        # import) start just after the event loop has painted the window's first frame.
        delay = 100 if shown else 0
        QTimer.singleShot(delay, self._start_session)
        if self._want_hotkey:
            QTimer.singleShot(delay, lambda: self.start_hotkey(self.base.ui.hotkey))

    def _start_session(self, models: Any = None) -> None:
        self.window.tracker.ready = False
        extra: dict[str, Any] = {"models": models} if models else {}
        if self.base.ui.activation == "wake_word":
            extra["wrap_mic"] = self._wake_mic
        self.session = self.session_factory(self.config, self.profile, self.sink, **extra)
        self._apply_listening()
        self.session.start()

    def quit(self) -> None:
        """Stop everything and leave the event loop (a failing step never keeps the app alive)."""
        # Gone from the screen at once; the engine may take a moment to finish a sentence.
        self.window.quitting = True
        self.window.hide()
        if self.tray is not None:
            self.tray.hide()
        QApplication.processEvents()
        steps = [self.hotkey.stop, self.server.close]
        if self.session is not None:
            steps.append(lambda: self.session.stop(timeout=5))
        steps += [lambda: [t.join(5) for t in self._stopping], self.memory.close_store]
        for step in steps:
            try:
                step()
            except Exception as e:
                _note(f"while quitting: {type(e).__name__}: {e}")
        self.window.close()
        QApplication.quit()

    def busy_threads(self) -> bool:
        """Whether an engine thread is still running (after quit: a model still loading)."""
        return bool(self.session is not None and self.session.alive) or any(
            t.is_alive() for t in self._stopping
        )

    # -- listening -----------------------------------------------------------------------------

    def _apply_listening(self) -> None:
        always = self.base.ui.activation == "always"
        on = not self.muted and (always or self.talking)
        if self.session is not None:
            self.session.set_listening(on)
        self._sync_tray()

    def toggle(self) -> None:
        """Start or stop listening (Talk, the hotkey, the tray, `assistant toggle`)."""
        if self.base.ui.activation == "always":
            self.set_muted(not self.muted)  # always listening: the toggle is the mute
            return
        if self.muted and not self.talking:
            self.set_muted(False)  # asking to talk unmutes
        if not self.talking and self.session is not None:
            self.session.interrupt()  # asking to talk while it speaks stops it, as a person would
        self.set_talking(not self.talking)

    def set_talking(self, on: bool) -> None:
        self.talking = on
        self._apply_listening()

    def set_muted(self, on: bool) -> None:
        if self.muted == on:
            return
        self.muted = on
        self.window.set_muted(on)
        if self.tray is not None:
            self.tray.set_muted(on)
        self._apply_listening()

    def _wake_mic(self, mic: Any) -> Any:
        """The microphone with a wake-word detector on it (called on the engine's thread)."""
        from assistant.ui.wakeword import WakeWordDetector, WakeWordMicrophone

        detector = WakeWordDetector(self.base.ui.wake_word)
        return WakeWordMicrophone(
            mic, detector, self.wake.heard.emit, armed=lambda: not (self.talking or self.muted)
        )

    def _wake_heard(self) -> None:
        if self.base.ui.activation == "wake_word" and not self.muted and not self.talking:
            self.set_talking(True)
            self.wake_timeout.start()

    def _hidden_to_tray(self) -> None:
        self._sync_tray()
        if self.tray is not None and not self._told_tray:
            self._told_tray = True  # once: it is news the first time only
            self.tray.showMessage(
                "Assistant is still running",
                "It keeps listening for your hotkey. Quit from this icon's menu.",
                self.icon,
                4000,
            )

    def _check_session(self) -> None:
        s = self.session
        if s is not None and getattr(s, "started", False) and not s.alive and not s.stopping:
            tracker = self.window.tracker
            if tracker.ready or not tracker.failed:
                tracker.ready, tracker.failed = False, True
                self.window.refresh()
                self._sync_tray()

    def _hotkey_down(self) -> None:
        if self.base.ui.activation == "push_to_talk":
            self.set_talking(True)
        else:
            self.toggle()

    def _hotkey_up(self) -> None:
        if self.base.ui.activation == "push_to_talk":
            self.set_talking(False)

    def start_hotkey(self, sequence: str) -> None:
        try:
            self.hotkey.start(sequence)
        except (RuntimeError, ValueError) as e:
            _note(f"hotkey {sequence} is off ({e}); bind `assistant toggle` to a key instead")

    # -- events and panels ---------------------------------------------------------------------

    def submit(self, text: str) -> None:
        if self.session is not None:
            self.session.submit(text)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.Ready):
            llm = getattr(getattr(self.session, "models", None), "llm", None)
            if getattr(llm, "leaves_computer", False):  # a model server on another computer
                note = f"Thinking on a model server: {llm.privacy_note}."
                self.window.conversation.entries.append(Entry("note", note, True, kind="info"))
                self.window.view.changed(len(self.window.conversation.entries) - 1)
        if self.base.ui.activation == "wake_word":
            if isinstance(event, ev.SpeechStarted):
                self.wake_timeout.stop()  # someone is talking: no time-out mid-sentence
            elif isinstance(event, ev.Turn):
                self.set_talking(False)  # one request per wake word
        self._sync_tray()
        if isinstance(event, ev.Announcement):
            self._notify(event.text)
        if isinstance(event, ev.Turn) and self.window.tabs.currentWidget() is self.memory:
            self.memory.refresh()

    def _notify(self, text: str) -> None:
        """A timer or reminder while the window is hidden: spoken, and shown by the tray too."""
        if self.tray is not None and not self.window.isVisible():
            self.tray.showMessage(self.config.persona.name, text, self.icon, 10000)

    def _sync_tray(self) -> None:
        if self.tray is not None:
            self.tray.set_state(self.window.state, self.window.tracker.listening)
            self.tray.set_window_visible(self.window.isVisible())

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.window.show_and_raise()
        self._sync_tray()

    def _tab_changed(self, _index: int) -> None:
        if self.window.tabs.currentWidget() is self.memory:
            self.memory.refresh()

    def _profiles(self) -> list[str]:
        return sorted({"default", self.profile, *self.base.profiles})

    def switch_profile(self, profile: str) -> None:
        """Talk as another profile: its own memories, persona and voice; a fresh conversation."""
        if profile == self.profile:
            return
        old_config = self.config
        self.profile = profile
        self.config = self.base.for_profile(profile)
        self.window.set_profile(profile, self.config.persona.name)
        self.window.conversation.entries.clear()
        self.window.view.changed(-1)
        self.memory.set_profile(profile, memory_path(self.config))
        if self.tray is not None:
            self.tray.set_profiles(self._profiles(), profile)
        self._restart(old_config)

    def _restart(self, old_config: Config) -> None:
        """Replace the session; loaded models are kept when the new config uses the same ones."""
        old = self.session
        same = all(
            getattr(old_config, s) == getattr(self.config, s) for s in ("vad", "stt", "llm", "tts")
        )
        models = old.models if old is not None and same else None
        if old is not None:
            # Stopping waits for a reply in progress: not on the GUI thread.
            t = threading.Thread(target=old.stop, name="assistant-stop", daemon=True)
            t.start()
            self._stopping.append(t)
        self.window.tracker.ready = False
        self.window.tracker.busy = None
        self.window.refresh()
        self._start_session(models)

    def _settings_saved(self, config: Config, changes: dict[str, dict[str, Any]]) -> None:
        old_config, old_base = self.config, self.base
        self.base = config
        ui = changes.get("ui", {})
        if "theme" in ui:
            self.theme_setting = config.ui.theme
            self.apply_theme()
        wake_changed = "wake_word" in ui or (
            "activation" in ui and "wake_word" in (old_base.ui.activation, config.ui.activation)
        )
        if "activation" in ui:
            self.window.set_push_to_talk(config.ui.activation == "push_to_talk")
            self.talking = False
            self._apply_listening()
        if "hotkey" in ui:
            self.start_hotkey(config.ui.hotkey)
        if "profile" in ui and ui["profile"] != self.profile:
            self.switch_profile(ui["profile"])
            return
        self.config = config.for_profile(self.profile)
        engine_sections = {"tts", "stt", "llm", "audio"}
        if engine_sections & set(changes) or wake_changed:  # the mic is wrapped at start
            self._restart(old_config)

    def apply_theme(self) -> None:
        app = QApplication.instance()
        theme = themes.pick(self.theme_setting)
        themes.apply(app, theme)
        self.window.apply_theme(theme)


def check_display() -> None:
    """Raise a one-line error if the X display cannot be opened (Qt would abort the process)."""
    display = os.environ.get("DISPLAY")
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY") or not display:
        return
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
    except ImportError:
        return  # python-xlib comes with pynput; without it Qt reports the problem itself
    try:
        xdisplay.Display(display).close()
    except (DisplayError, OSError) as e:
        raise AssistantError(f"cannot open the display {display}: {e}") from None


def run(
    base: Config,
    config_path: Path,
    profile: str,
    events_path: Path | None = None,
    minimized: bool = False,
) -> int:
    """Run the desktop app until it quits; returns the exit code."""
    from assistant.ui import ipc

    if ipc.send("show") is not None:
        print("assistant is already running; its window was brought forward")
        return 0
    check_display()
    # argv[0] names the X11 window class: "assistant", as the .desktop file's StartupWMClass says.
    qt_app = QApplication.instance() or QApplication(["assistant"])
    qt_app.setApplicationName("assistant")
    qt_app.setDesktopFileName("assistant")
    qt_app.setQuitOnLastWindowClosed(False)
    with contextlib.ExitStack() as stack:
        events = (
            stack.enter_context(open(events_path, "a", encoding="utf-8")) if events_path else None
        )
        app = App(base, config_path, profile, events)
        qt_app.setWindowIcon(app.icon)
        if app.tray is None:
            qt_app.setQuitOnLastWindowClosed(True)
            qt_app.lastWindowClosed.connect(app.quit)
        app.start(minimized)
        code = qt_app.exec()
        if app.busy_threads():
            # A model still loading (native code) cannot be interrupted, and finalising Python
            # under it can crash: leave at once. Every finished turn is already committed.
            if events:
                events.flush()
            os._exit(code)
        return code
