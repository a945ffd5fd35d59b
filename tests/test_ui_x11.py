"""The desktop app as a user meets it: a real X server (Xvfb), a tray host, real models and audio.

Starts `python -m assistant` under a private Xvfb with `trayer` as the system tray and a private
PulseAudio as the sound card, then finds its window and tray icon with xdotool/xwininfo, presses
the hotkey, runs `assistant toggle`, and checks that a second launch only brings the window forward.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ASSISTANT, ROOT, run_env

pytestmark = [pytest.mark.models, pytest.mark.audio]
TOOLS = ("Xvfb", "xdotool", "xwininfo", "trayer")


@pytest.fixture(scope="module")
def xserver(tmp_path_factory):
    """A private Xvfb with trayer as the system tray (scripts/x_up.sh, stopped by PID)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"missing {missing}: run ./scripts/setup.sh"
    base = tmp_path_factory.mktemp("x")
    up = subprocess.run(
        ["bash", str(ROOT / "scripts" / "x_up.sh"), str(base)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert up.returncode == 0, up.stderr
    words = shlex.split(up.stdout.strip().splitlines()[-1])
    exported = dict(w.split("=", 1) for w in words[1:])
    env = {**os.environ, "DISPLAY": exported["DISPLAY"]}
    env.pop("WAYLAND_DISPLAY", None)
    tray = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "pixel",
            "--width",
            "120",
            "--height",
            "24",
            "--SetDockType",
            "true",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: "panel" in tree(env), 10, "trayer's panel")
        yield env
    finally:
        tray.terminate()
        tray.wait(10)
        subprocess.run(["bash", str(ROOT / "scripts" / "x_down.sh"), str(base)], timeout=60)


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def tree(env) -> str:
    return subprocess.run(
        ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True
    ).stdout


def visible_windows(env, name="^Assistant") -> list[str]:
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def window_name(env, wid) -> str:
    return subprocess.run(
        ["xdotool", "getwindowname", wid], env=env, capture_output=True, text=True
    ).stdout.strip()


def tray_icon(env) -> str | None:
    """The id of the Assistant window embedded in trayer's panel (the tray icon), if any."""
    lines = tree(env).splitlines()
    for i, line in enumerate(lines):
        if '"panel"' in line:
            indent = len(line) - len(line.lstrip())
            for child in lines[i + 1 :]:
                if len(child) - len(child.lstrip()) <= indent:
                    break
                if '("assistant" "assistant")' in child:  # its WM_CLASS
                    return child.split()[0]
    return None


class Events:
    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text().splitlines() if x.strip()]

    def listening(self) -> list[bool]:
        return [e["on"] for e in self.all() if e["type"] == ListeningChanged.type]


from assistant.events import ListeningChanged  # noqa: E402


@pytest.fixture()
def app_env(xserver, pulse, isolated_home):
    env = {**run_env(isolated_home), **xserver, **pulse.env}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("QT_QPA_PLATFORM", None)
    return env


def start(env, *args, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*ASSISTANT, *args],
        env=env,
        cwd=ROOT,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen, env) -> int:
    if proc.poll() is None:
        subprocess.run(
            [*ASSISTANT[:1], "-c", "from assistant.ui import ipc; ipc.send('quit')"],
            env=env,
            cwd=ROOT,
            timeout=30,
        )
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise AssertionError("the app did not quit within 30 s of being asked") from None
    return proc.returncode


def test_window_tray_hotkey_toggle_and_single_instance(app_env, tmp_path):
    env = app_env
    events = Events(tmp_path / "events.jsonl")
    log = tmp_path / "app.log"
    started = time.monotonic()
    app = start(env, "--events", str(events.path), log=log)
    try:
        wid = wait_for(lambda: visible_windows(env), 30, "the window")[0]
        shown_s = time.monotonic() - started
        print(f"window visible {shown_s:.2f} s after launch (load {os.getloadavg()[0]:.2f})")
        assert window_name(env, wid) == "Assistant — Loading" or events.all()
        assert "hotkey" not in log.read_text()  # no "hotkey … is off" note
        icon = wait_for(lambda: tray_icon(env), 20, "the tray icon")
        ready = wait_for(
            lambda: [e for e in events.all() if e["type"] == "ready"], 120, "models loaded"
        )[0]
        print(f"models loaded and warmed in the background: {ready['load_ms']:.0f} ms")
        assert "no system tray" not in log.read_text()
        wait_for(lambda: window_name(env, wid) == "Assistant — Idle", 10, "idle")

        # The global hotkey: press to talk, press again to stop.
        subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=env, check=True)
        wait_for(lambda: events.listening()[-1:] == [True], 10, "listening after the hotkey")
        wait_for(lambda: window_name(env, wid) == "Assistant — Listening", 10, "the title")
        levels = wait_for(
            lambda: [e for e in events.all() if e["type"] == "mic_level"], 10, "mic levels"
        )
        assert levels
        subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=env, check=True)
        wait_for(lambda: events.listening()[-1:] == [False], 10, "not listening after the hotkey")

        # `assistant toggle`, as bound in a desktop's keyboard settings.
        r = subprocess.run(
            [*ASSISTANT, "toggle"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        assert r.returncode == 0, r.stderr
        wait_for(lambda: events.listening()[-1:] == [True], 10, "listening after toggle")
        r = subprocess.run(
            [*ASSISTANT, "toggle"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        wait_for(lambda: events.listening()[-1:] == [False], 10, "not listening after toggle")

        # A click on the tray icon hides the window (the app stays in the tray) ...
        subprocess.run(
            ["xdotool", "mousemove", "--window", icon, "8", "8", "click", "1"], env=env, check=True
        )
        wait_for(lambda: not visible_windows(env), 10, "the window to hide")
        assert app.poll() is None
        # ... and a second launch brings it forward and exits at once.
        second = subprocess.run(
            [*ASSISTANT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        wait_for(lambda: visible_windows(env) == [wid], 10, "the window to come back")
        assert app.poll() is None
    finally:
        code = stop(app, env)
    assert code == 0, log.read_text()
    assert shown_s < 5.0, f"window took {shown_s:.2f} s"


def test_minimized_start_and_a_second_launch_bring_the_window(app_env, tmp_path):
    env = app_env
    log = tmp_path / "app.log"
    app = start(env, "--minimized", log=log)
    try:
        wait_for(lambda: tray_icon(env), 30, "the tray icon")
        time.sleep(0.5)
        assert visible_windows(env) == []  # in the tray only
        second = subprocess.run(
            [*ASSISTANT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0 and "already running" in second.stdout, second.stderr
        wait_for(lambda: visible_windows(env), 10, "the window to come forward")
    finally:
        code = stop(app, env)
    assert code == 0, log.read_text()


def test_push_to_talk_with_the_hotkey(app_env, tmp_path):
    env = app_env
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nactivation = "push_to_talk"\n')
    events = Events(tmp_path / "events.jsonl")
    log = tmp_path / "app.log"
    app = start(env, "--config", str(config), "--events", str(events.path), log=log)
    try:
        wait_for(lambda: any(e["type"] == "ready" for e in events.all()), 120, "models loaded")
        wait_for(lambda: events.listening()[-1:] == [False], 10, "not listening at first")
        subprocess.run(["xdotool", "keydown", "ctrl+alt+space"], env=env, check=True)
        wait_for(lambda: events.listening()[-1:] == [True], 10, "listening while held")
        subprocess.run(["xdotool", "keyup", "ctrl+alt+space"], env=env, check=True)
        wait_for(lambda: events.listening()[-1:] == [False], 10, "not listening once released")
    finally:
        code = stop(app, env)
    assert code == 0, log.read_text()
