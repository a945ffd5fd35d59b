"""The skills in the desktop app: the Session runs them with the engine, and an announcement
while the window is hidden also shows as a tray notification (real Qt, offscreen)."""

from __future__ import annotations

import os
import threading
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from assistant import events as ev  # noqa: E402
from assistant.config import Config  # noqa: E402
from assistant.engine import Models  # noqa: E402
from assistant.skills.router import Skills  # noqa: E402
from assistant.skills.store import SkillStore  # noqa: E402
from assistant.testing.fakes import (  # noqa: E402
    EnergyVad,
    FixedTranscriber,
    ScriptedChatModel,
    ToneSynthesizer,
)

pytest.importorskip("pytestqt")


def test_the_session_answers_commands_and_speaks_up(tmp_path):
    from assistant.ui.session import Session

    got: list[ev.Event] = []
    done = threading.Event()

    def emit(e: ev.Event) -> None:
        got.append(e)
        if isinstance(e, ev.Announcement):
            done.set()

    llm = ScriptedChatModel(["not asked"])
    models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
    made: list[Skills] = []

    def skills(config: Config, profile: str) -> Skills:
        s = Skills(SkillStore(tmp_path / "memory.sqlite3"), profile, ZoneInfo("UTC"))
        made.append(s)
        return s

    session = Session(Config(), "default", emit, models=models, open_mic=None,
                      open_speaker=None, keeper=lambda c, p: None, skills=skills)  # fmt: skip
    session.start()
    session.submit("set a tea timer for 1 second")
    try:
        assert done.wait(20), got
    finally:
        session.stop()
    (turn,) = [e for e in got if isinstance(e, ev.Turn)]
    assert turn.reply_text == "Tea timer set for 1 second."
    assert [e.text for e in got if isinstance(e, ev.Announcement)] == ["Your tea timer is done."]
    assert llm.calls == []
    assert len(made) == 1
    reopened = SkillStore(tmp_path / "memory.sqlite3")  # the session closed its own
    assert reopened.timers("default") == []  # the timer that rang is gone
    reopened.close()


class _Tray:
    """Stands in for the system tray icon (offscreen Qt has no tray): records its messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title, text, icon=None, msecs=0) -> None:  # noqa: N802 (Qt's name)
        self.messages.append((title, text))

    def set_state(self, *args) -> None:
        pass

    def set_window_visible(self, visible: bool) -> None:
        pass


def test_an_announcement_with_the_window_hidden_is_a_tray_notification(
    qtbot, tmp_path, monkeypatch
):
    from assistant.ui.app import App

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))

    class NoSession:
        def __init__(self, *args, **kwargs) -> None:
            self.started = False

        def set_listening(self, on: bool) -> None:
            pass

        def start(self) -> None:
            pass

        def stop(self, timeout: float = 0) -> None:
            pass

    app = App(Config(), tmp_path / "config.toml", "default", session_factory=NoSession,
              tray=False, hotkey=False)  # fmt: skip
    qtbot.addWidget(app.window)
    tray = _Tray()
    app.tray = tray  # type: ignore[assignment]
    try:
        app.window.show()
        app.sink(ev.Announcement("Reminder: stretch."))
        qtbot.wait(200)
        assert tray.messages == []  # the window shows it; no notification needed
        app.window.hide()
        app.sink(ev.Announcement("Your tea timer is done."))
        qtbot.waitUntil(lambda: tray.messages == [("Sam", "Your tea timer is done.")])
    finally:
        app.server.close()
        app.memory.close_store()
