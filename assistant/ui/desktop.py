"""Desktop integration: install the launcher (.desktop file and icon) and, if asked, autostart.

Qt-free. Files go where the XDG base directory spec says ($XDG_DATA_HOME/applications,
$XDG_DATA_HOME/icons/hicolor/scalable/apps, $XDG_CONFIG_HOME/autostart).
"""

from __future__ import annotations

import os
import shlex
import sys
from importlib import resources
from pathlib import Path

from assistant.errors import AssistantError

DESKTOP_ID = "assistant.desktop"


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value and os.path.isabs(value) else Path.home() / default


def icon_svg() -> bytes:
    """The app's icon (SVG)."""
    return resources.files("assistant.ui").joinpath("data/assistant.svg").read_bytes()


def command() -> str:
    """How the launcher starts this installation: the console script beside this Python if any."""
    script = Path(sys.executable).with_name("assistant")
    if script.is_file() and os.access(script, os.X_OK):
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m assistant"


def desktop_entry(extra_args: str = "") -> str:
    """The .desktop file's text, with Exec pointing at this installation."""
    text = resources.files("assistant.ui").joinpath("data/assistant.desktop").read_text()
    exe = command()
    text = text.replace("Exec=assistant toggle", f"Exec={exe} toggle")
    return text.replace("Exec=assistant\n", f"Exec={exe}{extra_args}\n")


def install(autostart: bool = False) -> list[Path]:
    """Write the launcher and icon (and the autostart entry); return the files written."""
    data = _xdg("XDG_DATA_HOME", ".local/share")
    config = _xdg("XDG_CONFIG_HOME", ".config")
    targets = [
        (data / "applications" / DESKTOP_ID, desktop_entry().encode()),
        (data / "icons" / "hicolor" / "scalable" / "apps" / "assistant.svg", icon_svg()),
    ]
    if autostart:
        # Started with the session: straight to the tray, no window in the way.
        targets.append((config / "autostart" / DESKTOP_ID, desktop_entry(" --minimized").encode()))
    written = []
    for path, content in targets:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as e:
            raise AssistantError(f"cannot write {path}: {e}") from None
        written.append(path)
    return written
