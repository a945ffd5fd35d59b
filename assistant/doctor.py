"""`assistant doctor`: checks the set-up and says, one line per check, what to do about it.

Each check gives ok, warning (works, but could be better) or problem (something will not work).
Nothing is changed: the memory database is opened read-only, the data directory is probed with a
temporary file; only `--setup-echo-cancel` loads the sound server's echo canceller.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assistant.audio import echo
from assistant.config import Config
from assistant.errors import AssistantError

OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Check:
    """The outcome of one check: its level, what was checked, and what was found or to do."""

    level: str
    what: str
    message: str

    def line(self) -> str:
        return f"{self.level:<8} {self.what}: {self.message}"


def sound_server() -> Check:
    """PulseAudio or PipeWire's PulseAudio server answers `pactl info`."""
    srv = echo.server()
    if srv is not None:
        return Check(OK, "sound server", srv.label)
    if echo.pactl_missing():
        return Check(
            WARNING,
            "sound server",
            "pactl is not installed, so the sound server cannot be checked "
            "(sudo apt install pulseaudio-utils)",
        )
    return Check(
        PROBLEM,
        "sound server",
        "no PulseAudio or PipeWire server answers; start it (systemctl --user start "
        "pipewire-pulse, or pulseaudio --start) — without it there is no microphone or speaker",
    )


def device(config: Config, kind: str) -> Check:
    """The configured (or default) microphone or speaker exists."""
    from assistant.audio.devices import find_device, list_devices

    what = "microphone" if kind == "input" else "speaker"
    spec = config.audio.input_device if kind == "input" else config.audio.output_device
    try:
        index = find_device(spec, kind)
        rows = list_devices()
    except AssistantError as e:
        return Check(PROBLEM, what, str(e))
    if index is None:
        flag = "default_input" if kind == "input" else "default_output"
        index = next((r["index"] for r in rows if r[flag]), None)
    name = next((r["name"] for r in rows if r["index"] == index), "?")
    how = f"{spec!r}" if spec else "the system default"
    return Check(OK, what, f"{how} → device {index} {name!r}")


def models(config: Config) -> list[Check]:
    """Each model role has its file."""
    from assistant.models import registry

    out = []
    for role in registry.ROLES:
        try:
            m = registry.info(config, role)
        except AssistantError as e:
            out.append(Check(PROBLEM, f"model {role}", str(e)))
            continue
        if m.ok:
            out.append(Check(OK, f"model {role}", m.name))
        else:
            out.append(
                Check(
                    PROBLEM,
                    f"model {role}",
                    f"{m.name} is missing ({m.path or 'not installed'}); run ./scripts/setup.sh, "
                    "or `assistant models pull NAME` for a downloadable one",
                )
            )
    return out


def data_dir(path: Path) -> Check:
    """The data directory is writable (probed with a temporary file, or created later)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check(PROBLEM, "data directory", f"{existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        return Check(
            PROBLEM,
            "data directory",
            f"cannot write in {existing} ({e.strerror or e}); fix its permissions or choose "
            "another with --data-dir",
        )
    if existing != path:
        return Check(OK, "data directory", f"{path} (created on first use)")
    return Check(OK, "data directory", str(path))


def memory_db(config: Config, path: Path) -> Check:
    """The memory database opens and is intact (read-only: a broken file is never touched)."""
    from assistant.memory import schema

    if not config.memory.enabled:
        return Check(OK, "memory", "off ([memory] enabled = false)")
    if not path.exists():
        return Check(OK, "memory", f"no database yet ({path} is created on first use)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error as e:
        return Check(PROBLEM, "memory", f"cannot open {path}: {e}")
    try:
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        count = (
            db.execute("SELECT count(*) FROM memories").fetchone()[0] if "memories" in tables else 0
        )
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            return Check(WARNING, "memory", f"{path} is locked by another program ({e})")
        return _corrupt(path, e)
    except sqlite3.DatabaseError as e:
        return _corrupt(path, e)
    finally:
        db.close()
    if check != "ok":
        return _corrupt(path, check)
    if version > schema.VERSION:
        return Check(
            PROBLEM,
            "memory",
            f"{path} was written by a newer version of assistant (schema {version}); upgrade",
        )
    if "memories" not in tables:
        return Check(WARNING, "memory", f"{path} holds no memories table; it will be set up")
    return Check(OK, "memory", f"{path} ({count} memories)")


def _corrupt(path: Path, e: object) -> Check:
    return Check(
        PROBLEM,
        "memory",
        f"{path} is corrupt ({e}); it was left untouched — restore a backup or move it aside "
        "to start a new one",
    )


def echo_and_barge_in(config: Config) -> list[Check]:
    """Whether the mic is echo-cancelled, and so whether barge_in = "auto" turns barge-in on."""
    state = echo.check(config.audio)
    audio = config.audio
    if state.cancelled:
        first = Check(OK, "echo", f"{state.why}: its own voice is removed from what the mic hears")
    elif audio.headphones:
        first = Check(OK, "echo", f"headphones = true ({state.why})")
    else:
        first = Check(
            WARNING,
            "echo",
            f"{state.why}; the mic may hear the speaker — run `assistant doctor "
            "--setup-echo-cancel`, or set [audio] headphones = true if you use headphones",
        )
    on = audio.barge_in_on(echo_cancelled=state.cancelled)
    safe = state.cancelled or audio.headphones
    if audio.barge_in == "auto":
        if on and state.cancelled and not audio.headphones:
            second = Check(
                OK,
                "barge-in",
                'barge_in = "auto" → on: talk over it to stop it (the echo canceller removes '
                "its voice from the mic, and the echo guard keeps what is left from starting "
                "a turn)",
            )
        elif on:
            second = Check(OK, "barge-in", 'barge_in = "auto" → on: talk over it to stop it')
        else:
            second = Check(
                OK,
                "barge-in",
                'barge_in = "auto" → off (half-duplex: the mic is ignored while it speaks, so '
                "its own voice never starts a turn)",
            )
    elif audio.barge_in == "on" and not safe:
        second = Check(
            WARNING,
            "barge-in",
            'barge_in = "on" without echo cancellation or headphones: its own voice can stop '
            'its replies; use "auto"',
        )
    else:
        second = Check(OK, "barge-in", f'barge_in = "{audio.barge_in}"')
    return [first, second]


def run_checks(
    config: Config | None, config_error: str, memory_path: Path, data: Path
) -> Iterator[Check]:
    """Every check, in order (one failing check does not stop the others)."""
    if config_error:
        yield Check(PROBLEM, "config", config_error)
    base = config or Config()
    steps: list[Callable[[], Check | list[Check]]] = [
        sound_server,
        lambda: device(base, "input"),
        lambda: device(base, "output"),
        lambda: echo_and_barge_in(base),
        lambda: models(base),
        lambda: data_dir(data),
        lambda: memory_db(base, memory_path),
    ]
    for step in steps:
        try:
            result = step()
        except AssistantError as e:
            result = Check(PROBLEM, getattr(step, "__name__", "check"), str(e))
        yield from result if isinstance(result, list) else [result]


def report(checks: Iterator[Check], out: IO[str]) -> int:
    """Print each check as it finishes; 1 if any is a problem, else 0."""
    worst = 0
    for c in checks:
        print(c.line(), file=out, flush=True)
        worst = max(worst, 1 if c.level == PROBLEM else 0)
    return worst


def setup_echo_cancel(out: IO[str]) -> int:
    """Load module-echo-cancel, make it the default source and sink, say how to keep it."""
    done = echo.setup()
    srv = echo.server()
    verb = "loaded" if done.loaded_now else "already loaded"
    print(
        f"ok       echo canceller {verb} (module {done.module}, aec_method={done.method}); "
        f"{echo.AEC_SOURCE} is now the default microphone and {echo.AEC_SINK} the default "
        'speaker, so barge_in = "auto" turns barge-in on',
        file=out,
    )
    print(
        f"To undo it: pactl unload-module {done.module}. It lasts until the sound server "
        "restarts; to keep it,",
        file=out,
    )
    if srv is not None and srv.pipewire:
        conf = Path(os.path.expanduser("~/.config/pipewire/pipewire.conf.d/60-assistant-aec.conf"))
        print(f"(PipeWire) save this as {conf}, then restart PipeWire", file=out)
        print("(systemctl --user restart pipewire pipewire-pulse) and choose the", file=out)
        print("echo-cancelled microphone and speaker in your sound settings:\n", file=out)
        print(echo.permanent_pipewire(), file=out)
    else:
        print("(PulseAudio) put these lines in ~/.config/pulse/default.pa:\n", file=out)
        print(echo.permanent_pulseaudio(done), file=out)
    print(
        'The assistant uses the default microphone and speaker ([audio] input_device = "" and '
        'output_device = ""); keep them there, or pick the sound server\'s `pulse` device.',
        file=out,
    )
    return 0
