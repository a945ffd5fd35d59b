"""Talking to the running app: where its control socket is, and a Qt-free client.

The app listens on a Unix socket (a QLocalServer given this full path). A client sends one
command line ("show", "toggle", "quit") and reads one reply line ("ok" or "error: …"). Using a
plain socket here keeps `assistant toggle` fast: it never loads Qt.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

from assistant.errors import AssistantError

COMMANDS = ("show", "toggle", "talk", "quit", "ping")


def socket_path() -> Path:
    """The control socket of this user's running app (one per user, in the runtime dir)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "assistant.sock"
    return Path(tempfile.gettempdir()) / f"assistant-{os.getuid()}.sock"


def send(command: str, timeout: float = 5.0) -> str | None:
    """Send a command to the running app; its reply, or None when no app is running."""
    path = socket_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError as e:
            raise AssistantError(f"cannot reach the running assistant at {path}: {e}") from None
        try:
            s.sendall(command.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = s.recv(256)
                if not chunk:
                    break
                reply += chunk
        except OSError as e:
            raise AssistantError(f"the running assistant did not answer: {e}") from None
    return reply.decode(errors="replace").strip()
