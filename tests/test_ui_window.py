"""The window, its panels and the app wiring under real Qt (offscreen), with fake model stages."""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from assistant import events as ev  # noqa: E402
from assistant.config import Config, load  # noqa: E402
from assistant.ui.state import State  # noqa: E402

pytest.importorskip("pytestqt")


@pytest.fixture()
def window(qtbot):
    from assistant.ui.window import MainWindow

    w = MainWindow("Sam", "default")
    qtbot.addWidget(w)
    w.show()
    return w


def texts(w):
    return [(b.objectName(), b.text.text(), b.meta.text()) for b in w.view.bubbles]


def test_events_drive_the_window(window, qtbot):
    w = window
    assert w.state is State.LOADING and "Loading" in w.state_label.text()
    assert w.windowTitle() == "Assistant — Loading"
    w.on_event(ev.Ready(900.0))
    w.on_event(ev.ListeningChanged(True))
    assert w.windowTitle() == "Assistant — Listening" and w.talk.isChecked()
    w.on_event(ev.MicLevel(-12.0))
    assert w.meter.level == pytest.approx(0.8)
    w.on_event(ev.SpeechStarted(0.4))
    assert texts(w) == [("bubble-user", "…", "")]
    w.on_event(ev.SpeechEnded(1.4))
    w.on_event(ev.Transcript("tell me a joke", 250.0))
    w.on_event(ev.Thinking("tell me a joke"))
    assert w.state is State.THINKING
    w.on_event(ev.ReplySentence("Why did the owl"))
    assert texts(w)[-1] == ("bubble-assistant", "Why did the owl", "…")
    w.on_event(ev.Turn("tell me a joke", "Why did the owl", True, {}))
    assert texts(w) == [
        ("bubble-user", "tell me a joke", ""),
        ("bubble-assistant", "Why did the owl", "— interrupted"),
    ]
    w.on_event(ev.ListeningChanged(False))
    assert w.state is State.IDLE and w.meter.level == 0


def test_typed_input_talk_and_mute(window, qtbot):
    w = window
    with qtbot.waitSignal(w.submitted) as sent:
        qtbot.keyClicks(w.input, "  hello   there ")
        qtbot.keyClick(w.input, "\r")
    assert sent.args == ["hello there"] and w.input.text() == ""
    assert texts(w) == [("bubble-user", "hello there", "")]
    with qtbot.waitSignal(w.talk_clicked):
        w.talk.click()
    with qtbot.waitSignal(w.mute_toggled) as muted:
        w.mute.click()
    assert muted.args == [True] and w.mute.text() == "Muted"
    w.set_push_to_talk(True)
    with qtbot.waitSignals([w.talk_pressed, w.talk_released]):
        w.talk.click()  # a click is a press and a release


def test_speaking_ends_when_the_audio_has_played(window, qtbot):
    w = window
    w.on_event(ev.Ready(1.0))
    w.on_event(ev.Thinking("hi"))
    w.on_event(ev.SpeakingStarted(10.0))
    w.on_event(ev.SpeakingEnded(10.3))
    w.on_event(ev.Turn("hi", "Hello.", False, {}))
    assert w.state is State.SPEAKING
    qtbot.waitUntil(lambda: w.state is State.IDLE, timeout=2000)  # the window's own timer


def test_a_paused_reply_shows_in_the_indicator_and_the_title(window, qtbot):
    from assistant.ui import theme

    w = window
    w.on_event(ev.Ready(1.0))
    w.on_event(ev.Thinking("tell me about owls"))
    w.on_event(ev.SpeakingStarted(10.0))
    w.on_event(ev.ReplySentence("Owls hunt at night."))
    speaking = w.dot.color.name()
    assert w.state_label.text() == "Speaking" and speaking == theme.LIGHT.states[State.SPEAKING]
    w.on_event(ev.SpeakingPaused(10.4))  # voice over the reply: it goes silent
    assert w.state is State.PAUSED and w.state_label.text() == "Paused"
    assert w.windowTitle() == "Assistant — Paused"
    assert w.dot.color.name() == theme.LIGHT.states[State.PAUSED] != speaking
    qtbot.wait(300)  # the window's own timer ticks: a paused reply stays paused
    assert w.state is State.PAUSED
    w.on_event(ev.SpeakingResumed(10.7))
    assert w.state_label.text() == "Speaking" and w.dot.color.name() == speaking
    w.on_event(ev.SpeakingEnded(10.9))
    w.on_event(ev.Turn("tell me about owls", "Owls hunt at night.", False, {}))
    qtbot.waitUntil(lambda: w.state is State.IDLE, timeout=2000)


def test_events_from_another_thread_arrive_on_the_gui_thread(window, qtbot):
    from assistant.ui.bridge import EventBridge

    bridge = EventBridge()
    seen = []
    bridge.event.connect(lambda e: seen.append((e, threading.current_thread())))
    bridge.event.connect(window.on_event)
    t = threading.Thread(target=lambda: [bridge(ev.Ready(5.0)), bridge(ev.Thinking("x"))])
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert all(thread is threading.main_thread() for _e, thread in seen)
    assert window.state is State.THINKING


def test_themes(qtbot, window):
    from PySide6.QtWidgets import QApplication

    from assistant.ui import theme

    theme.apply(QApplication.instance(), theme.DARK)
    window.apply_theme(theme.DARK)
    assert QApplication.instance().palette().window().color().name() == theme.DARK.window
    theme.apply(QApplication.instance(), theme.LIGHT)
    assert theme.pick("dark") is theme.DARK and theme.pick("light") is theme.LIGHT
    for t in (theme.LIGHT, theme.DARK):  # every state has its own colour in the indicator
        assert set(t.states) == set(State) and len(set(t.states.values())) == len(State)


# -- the memory panel: a real MemoryStore ------------------------------------------------------


@pytest.fixture()
def memory_file(tmp_path):
    from assistant.memory.store import MemoryStore

    path = tmp_path / "memory.sqlite3"
    with MemoryStore(path) as store:
        store.add("My sister Ana lives in Lisbon.", profile="default", speaker="you")
        store.add("I play the cello on Sundays.", profile="default", speaker="you")
        store.add("Work notes: the launch is in March.", profile="work", speaker="you")
    return path


def test_memory_panel_lists_searches_and_forgets(qtbot, memory_file):
    from assistant.memory.store import MemoryStore
    from assistant.ui.memory_panel import MemoryPanel

    panel = MemoryPanel(memory_file, "default")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.refresh()
    shown = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert len(shown) == 2 and not any("launch" in s for s in shown)  # profiles isolated
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.search.setText("where does my sister live")
    assert "Lisbon" in panel.list.item(0).text()
    panel.list.item(0).setSelected(True)
    panel.confirm = False
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.forget.click()
    with MemoryStore(memory_file) as store:
        assert [m.text for m in store.list("default")] == ["I play the cello on Sundays."]
        assert len(store.list("work")) == 1
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.set_profile("work")
    assert panel.list.count() == 1 and "launch" in panel.list.item(0).text()
    panel.close_store()


def test_memory_panel_shows_and_forgets_the_skills_records_too(qtbot, memory_file):
    from PySide6.QtCore import Qt

    from assistant.skills.store import SkillStore
    from assistant.ui.memory_panel import MemoryPanel

    skills = SkillStore(memory_file)
    skills.add_item("default", "shopping", "oat milk", 1e9)
    skills.add_note("default", "the gate code is 4711", 1e9)
    skills.add_timer("default", "tea", 600, 1e9)
    skills.add_item("work", "shopping", "printer paper", 1e9)
    panel = MemoryPanel(memory_file, "default")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.refresh()
    shown = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert len(shown) == 5 and panel.status.text() == "5 kept"
    assert any(s.startswith("shopping list: oat milk\n") for s in shown)
    assert any(s.startswith("note: the gate code is 4711\n") for s in shown)
    assert not any("printer" in s for s in shown)  # another profile's
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.search.setText("oat milk")
    found = {
        panel.list.item(i).data(Qt.ItemDataRole.UserRole): i for i in range(panel.list.count())
    }
    assert "list_item:1" in found
    panel.list.item(found["list_item:1"]).setSelected(True)
    panel.confirm = False
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.forget.click()
    assert skills.lists("default") == [] and skills.lists("work") == [("shopping", 1)]
    assert len(skills.notes("default")) == 1 and len(skills.timers("default")) == 1
    skills.close()
    panel.close_store()


# -- settings: saved to the config file, comments kept -----------------------------------------


def test_settings_save_keeps_comments(qtbot, tmp_path):
    from PySide6.QtGui import QKeySequence

    from assistant.ui.settings_panel import SettingsPanel

    path = tmp_path / "config.toml"
    path.write_text(
        "# my own notes about this file\n[llm]\n# I like it cooler\ntemperature = 0.5\n",
        encoding="utf-8",
    )
    config = load(path)
    panel = SettingsPanel(config, path, "default", ["default", "work"])
    qtbot.addWidget(panel)
    panel.activation.setCurrentIndex(panel.activation.findData("always"))
    panel.theme.setCurrentIndex(panel.theme.findData("dark"))
    panel.hotkey.setKeySequence(QKeySequence("Ctrl+Shift+J"))
    with qtbot.waitSignal(panel.saved) as saved:
        assert panel.save()
    new, changes = saved.args
    assert changes == {"ui": {"hotkey": "Ctrl+Shift+J", "activation": "always", "theme": "dark"}}
    text = path.read_text(encoding="utf-8")
    assert "# my own notes about this file" in text and "# I like it cooler" in text
    assert load(path) == new and new.llm.temperature == 0.5 and new.ui.activation == "always"
    panel.profile.setEditText("not a valid/profile")
    assert not panel.save()
    assert load(path) == new  # nothing written


def test_settings_file_rejects_bad_values_and_starts_from_the_example(tmp_path):
    from assistant.errors import AssistantError
    from assistant.ui import settings_file

    path = tmp_path / "new" / "config.toml"
    config = settings_file.save(path, {"ui": {"theme": "light"}})
    assert config.ui.theme == "light" and "# How talking starts" in path.read_text()
    before = path.read_text()
    with pytest.raises(AssistantError, match="theme must be one of"):
        settings_file.save(path, {"ui": {"theme": "purple"}})
    assert path.read_text() == before and list(path.parent.iterdir()) == [path]


# -- the app: window, control socket, session wiring --------------------------------------------


class Sessions:
    """Makes real Sessions (real engine, real threads) whose model stages are the test fakes.

    There is no microphone or speaker unless a test gives `mic`; `made` records every session.
    """

    made: list = []
    mic = None  # a callable (config, clock) -> Microphone, for tests that need one

    def __new__(cls, config, profile, emit, models=None, wrap_mic=None):
        from assistant.engine import Models
        from assistant.testing.fakes import (
            EnergyVad,
            FixedTranscriber,
            ScriptedChatModel,
            ToneSynthesizer,
        )
        from assistant.ui.session import Session

        fakes = Models(
            EnergyVad(), FixedTranscriber([]), ScriptedChatModel(["Noted."] * 5), ToneSynthesizer()
        )
        session = Session(
            config,
            profile,
            emit,
            load_models=lambda c: fakes,
            open_mic=cls.mic,
            open_speaker=None,
            keeper=lambda c, p: None,
            models=models,
            wrap_mic=wrap_mic,
        )
        cls.made.append(session)
        return session


def close(a) -> None:
    """End an App made by a test: its socket, its memory worker and every session's thread."""
    a.server.close()
    a.memory.close_store()
    for session in Sessions.made:
        session.stop()


@pytest.fixture()
def app(qtbot, tmp_path, monkeypatch):
    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    Sessions.made = []
    Sessions.mic = None
    started = time.monotonic()
    a = App(
        Config(),
        tmp_path / "config.toml",
        "default",
        session_factory=Sessions,
        tray=False,
        hotkey=False,
    )
    qtbot.addWidget(a.window)
    a.start()
    qtbot.waitExposed(a.window)
    a.shown_after = time.monotonic() - started  # building every panel, then the first frame
    qtbot.waitUntil(lambda: a.window.state is State.IDLE)
    yield a
    close(a)


def test_app_talk_toggle_and_single_instance_socket(app, qtbot):
    from assistant.ui import ipc

    session = Sessions.made[-1]
    app.window.talk.click()
    assert session.listening
    qtbot.waitUntil(lambda: app.window.state is State.LISTENING)
    app.window.mute.click()  # mute wins over talking
    assert not session.listening
    app.window.mute.click()
    assert session.listening

    replies = []
    t = threading.Thread(target=lambda: replies.append(ipc.send("toggle")))
    t.start()
    qtbot.waitUntil(lambda: replies == ["ok"])  # served by the GUI thread's event loop
    t.join()
    assert not session.listening
    app.window.hide()
    t = threading.Thread(target=lambda: replies.append(ipc.send("show")))
    t.start()
    qtbot.waitUntil(lambda: app.window.isVisible())
    t.join()
    t = threading.Thread(target=lambda: replies.append(ipc.send("dance")))
    t.start()
    qtbot.waitUntil(lambda: len(replies) == 3)
    assert replies[-1].startswith("error: unknown command")

    qtbot.keyClicks(app.window.input, "remind me")
    qtbot.keyClick(app.window.input, "\r")
    qtbot.waitUntil(lambda: app.window.view.bubbles[-1].text.text() == "Noted.", timeout=5000)
    assert [e.text for e in app.window.conversation.entries] == ["remind me", "Noted."]


def test_app_switches_profile_with_a_fresh_conversation(app, qtbot):
    first = Sessions.made[-1]
    app.window.conversation.add_user_text("secret of the default profile")
    app.switch_profile("work")
    qtbot.waitUntil(lambda: first.stopping and not first.alive, timeout=5000)
    second = Sessions.made[-1]
    assert second is not first and second.profile == "work"
    assert app.window.conversation.entries == [] and app.window.view.bubbles == []
    assert "work" in app.window.profile_label.text()


def test_always_listening_mode(qtbot, tmp_path, monkeypatch):
    import dataclasses

    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    config = Config()
    config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, activation="always"))
    a = App(
        config,
        tmp_path / "c.toml",
        "default",
        session_factory=Sessions,
        tray=False,
        hotkey=False,
    )
    qtbot.addWidget(a.window)
    a.start()
    qtbot.waitUntil(lambda: bool(Sessions.made) and Sessions.made[-1].config is a.config)
    session = Sessions.made[-1]
    assert session.listening
    a.toggle()  # in this mode the toggle mutes
    assert not session.listening and a.window.mute.isChecked()
    close(a)


def test_window_opens_fast(app):
    # The window is built and shown before any model loads (the process's imports are measured
    # by the X11 test); 1.5 s is the whole budget on a desktop.
    assert app.shown_after < 1.5, app.shown_after
    assert app.window.state is State.IDLE  # and it was usable while the session started


def test_wake_word_mode_listens_for_one_request(qtbot, tmp_path, monkeypatch):
    import dataclasses

    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    config = Config()
    config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, activation="wake_word"))
    made = []

    def factory(config, profile, emit, models=None, wrap_mic=None):
        made.append(wrap_mic)
        return Sessions(config, profile, emit, models)

    a = App(
        config, tmp_path / "c.toml", "default", session_factory=factory, tray=False, hotkey=False
    )
    qtbot.addWidget(a.window)
    a.start()
    qtbot.waitUntil(lambda: bool(made))
    assert made[0] is not None  # the microphone gets a wake-word detector
    session = Sessions.made[-1]
    assert not session.listening
    a.wake.heard.emit()  # as the detector's thread does
    qtbot.waitUntil(lambda: session.listening)
    a.window.on_event(ev.SpeechStarted(1.0))
    a.bridge(ev.Turn("what time is it", "Nine.", False, {}))
    qtbot.waitUntil(lambda: not session.listening)  # one request per wake word
    a.set_muted(True)
    a.wake.heard.emit()
    qtbot.wait(50)
    assert not session.listening  # muted: the wake word is ignored
    close(a)


class VanishingMic:
    """A microphone that is unplugged after a moment (as a USB headset can be)."""

    def __init__(self, config, clock):
        self.clock = clock

    def frames(self):
        import numpy as np

        from assistant.audio.ports import Frame
        from assistant.errors import AssistantError

        for i in range(10):
            yield Frame(np.zeros(512, np.float32), i * 0.032)
        raise AssistantError("the microphone stopped delivering audio")

    def close(self):
        pass


def test_a_session_that_dies_shows_not_ready(qtbot, tmp_path, monkeypatch):
    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    Sessions.made, Sessions.mic = [], VanishingMic
    a = App(
        Config(), tmp_path / "c.toml", "default", session_factory=Sessions, tray=False, hotkey=False
    )
    qtbot.addWidget(a.window)
    a.start()
    qtbot.waitUntil(lambda: a.window.state is State.ERROR, timeout=10000)
    assert a.window.windowTitle() == "Assistant — Not ready"
    notes = [e.text for e in a.window.conversation.entries if e.role == "note"]
    assert any("microphone stopped" in n for n in notes)
    Sessions.mic = None
    close(a)


def test_without_a_tray_the_window_stays_and_says_so(qtbot, tmp_path, monkeypatch, capsys):
    from PySide6.QtWidgets import QSystemTrayIcon

    from assistant.ui.app import App

    assert not QSystemTrayIcon.isSystemTrayAvailable()  # the offscreen platform has none
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    a = App(Config(), tmp_path / "c.toml", "default", session_factory=Sessions, hotkey=False)
    qtbot.addWidget(a.window)
    assert a.tray is None and not a.window.keep_in_tray
    assert "no system tray" in capsys.readouterr().err
    assert a.window.conversation.entries[0].kind == "info"
    a.start(minimized=True)  # nowhere to minimize to: the window shows
    qtbot.waitExposed(a.window)
    close(a)


def test_tray_menu_and_state_icon(qtbot):
    from assistant.ui.tray import Tray

    tray = Tray(["default", "work"], "default")
    assert tray.toolTip() == "Assistant — Loading…"
    loading = tray.icon().pixmap(32, 32).toImage()
    tray.set_state(State.LISTENING, listening=True)
    assert tray.toolTip() == "Assistant — Listening"
    assert tray.icon().pixmap(32, 32).toImage() != loading  # the dot's colour changed
    assert tray.talk_action.text() == "Stop listening"
    listening = tray.icon().pixmap(32, 32).toImage()
    tray.set_state(State.PAUSED, listening=True)
    assert tray.toolTip() == "Assistant — Paused"
    assert tray.icon().pixmap(32, 32).toImage() not in (loading, listening)
    with qtbot.waitSignal(tray.talk):
        tray.talk_action.trigger()
    with qtbot.waitSignal(tray.toggle_window):
        tray.show_action.trigger()
    with qtbot.waitSignal(tray.mute_toggled) as muted:
        tray.mute_action.trigger()
    assert muted.args == [True]
    names = {a.text(): a for a in tray.profiles_menu.actions()}
    assert set(names) == {"default", "work"} and names["default"].isChecked()
    with qtbot.waitSignal(tray.profile_chosen) as chosen:
        names["work"].trigger()
    assert chosen.args == ["work"]
    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()


def test_saving_settings_applies_them(app, qtbot):
    first = Sessions.made[-1]
    panel = app.settings
    panel.activation.setCurrentIndex(panel.activation.findData("push_to_talk"))
    assert panel.save()
    assert app.window.push_to_talk and app.base.ui.activation == "push_to_talk"
    assert Sessions.made[-1] is first  # how talking starts needs no new engine
    panel.profile.setEditText("work")
    assert panel.save()
    qtbot.waitUntil(lambda: first.stopping and not first.alive, timeout=5000)
    assert Sessions.made[-1].profile == "work" and app.profile == "work"
    assert 'profile = "work"' in app.config_path.read_text()


def test_a_stale_control_socket_is_taken_over(qtbot, tmp_path, monkeypatch):
    import socket

    from assistant.ui import ipc
    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    stale = socket.socket(socket.AF_UNIX)  # left behind by an instance that crashed
    stale.bind(str(ipc.socket_path()))
    stale.close()
    assert ipc.send("ping") is None  # nobody answers there
    a = App(
        Config(), tmp_path / "c.toml", "default", session_factory=Sessions, tray=False, hotkey=False
    )
    qtbot.addWidget(a.window)
    a.start()
    replies = []
    t = threading.Thread(target=lambda: replies.append(ipc.send("ping")))
    t.start()
    qtbot.waitUntil(lambda: replies == ["ok"])
    t.join()
    close(a)
