"""Render the desktop window with a sample conversation to PNG, light and dark (for the README).

Usage: python scripts/screenshot.py [OUT_DIR]   (default docs/; writes window.png, window-dark.png)
Runs without a display (Qt's offscreen platform). The conversation is fed through the same
engine events the live app receives.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # render this checkout's window

from PySide6.QtWidgets import QApplication  # noqa: E402

from assistant import events as ev  # noqa: E402
from assistant.config import Config  # noqa: E402
from assistant.ui import theme  # noqa: E402
from assistant.ui.memory_panel import MemoryPanel  # noqa: E402
from assistant.ui.settings_panel import SettingsPanel  # noqa: E402
from assistant.ui.tray import app_icon  # noqa: E402
from assistant.ui.window import MainWindow  # noqa: E402

SCRIPT = [
    ev.Ready(1800.0),
    ev.ListeningChanged(True),
    ev.SpeechStarted(0.6),
    ev.SpeechEnded(2.4),
    ev.Transcript("Morning! Can you remind me what my sister's new city is?", 210.0),
    ev.Thinking("Morning! Can you remind me what my sister's new city is?"),
    ev.ReplySentence("Good morning!"),
    ev.ReplySentence("Ana moved to Lisbon in the spring, and she loves the light there."),
    ev.Turn(
        "Morning! Can you remind me what my sister's new city is?",
        "Good morning! Ana moved to Lisbon in the spring, and she loves the light there.",
        False,
        {},
    ),
    ev.SpeechStarted(9.0),
    ev.SpeechEnded(10.2),
    ev.Transcript("Oh right. What should I bring her?", 190.0),
    ev.Thinking("Oh right. What should I bring her?"),
    ev.ReplySentence("Maybe something from home, like"),
    ev.Turn("Oh right. What should I bring her?", "Maybe something from home, like", True, {}),
    ev.SpeechStarted(12.1),
    ev.SpeechEnded(13.0),
    ev.Transcript("Sorry — tea. She loves tea.", 170.0),
    ev.Thinking("Sorry — tea. She loves tea."),
    ev.ReplySentence("Tea it is."),
    ev.ReplySentence("A tin of that smoky one you both like would make her smile."),
    ev.SpeakingStarted(13.8),
    ev.MicLevel(-24.0),
]


def render(out: Path, look: theme.Theme) -> None:
    app = QApplication.instance() or QApplication([])
    theme.apply(app, look)
    w = MainWindow("Sam", "default", app_icon())
    with tempfile.TemporaryDirectory() as tmp:
        w.add_tab(MemoryPanel(Path(tmp) / "none.sqlite3", "default"), "Memory")
        w.add_tab(SettingsPanel(Config(), Path(tmp) / "config.toml", "default", []), "Settings")
        w.apply_theme(look)
        w.resize(440, 660)
        w.show()
        for event in SCRIPT:
            w.on_event(event)
        for _ in range(5):
            app.processEvents()
        w.view.verticalScrollBar().setValue(w.view.verticalScrollBar().maximum())
        app.processEvents()
        if not w.grab().save(str(out)):
            raise SystemExit(f"could not write {out}")
        w.close()
    print(f"wrote {out}")


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    render(folder / "window.png", theme.LIGHT)
    render(folder / "window-dark.png", theme.DARK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
