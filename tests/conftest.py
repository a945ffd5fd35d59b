"""Shared fixtures: where the benchmark speech lives, the venv's command, the default models."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _benchmarks() -> Path:
    """The shared benchmark data: $ASSISTANT_BENCHMARKS, ../shared/benchmarks, or /work/shared."""
    candidates = [Path(p) for p in [os.environ.get("ASSISTANT_BENCHMARKS", "")] if p]
    candidates += [ROOT.parent / "shared" / "benchmarks", Path("/work/shared/benchmarks")]
    return next((c for c in candidates if c.is_dir()), candidates[0])


SPEECH = _benchmarks() / "speech"
ASSISTANT = [sys.executable, "-m", "assistant"]


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if not SPEECH.is_dir():
        pytest.skip(f"benchmark speech clips not found at {SPEECH}")
    return SPEECH


@pytest.fixture(scope="session")
def default_config():
    """The default config; fails (never skips) when a default model is missing."""
    from assistant.config import Config
    from assistant.models import registry

    config = Config()
    missing = [r for r in registry.ROLES if not registry.info(config, r).ok]
    assert not missing, f"default models missing: {missing}; run ./scripts/setup.sh"
    return config


@pytest.fixture()
def isolated_home(tmp_path, monkeypatch) -> Path:
    """Point XDG dirs at a temp folder so no test reads or writes the user's real config."""
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


def run_env(home: Path) -> dict[str, str]:
    """Environment for running the CLI as a subprocess with a private home."""
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_DATA_HOME"] = str(home / "data")
    return env


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """A private PulseAudio with virtual devices (scripts/pa_up.sh), for the whole session.

    Devices: default speaker `vspeaker` (record it from `vspeaker.monitor`), mic feed `vmic_in`
    (play a WAV into it with `paplay --device=vmic_in`), default mic `vmic` (its monitor).
    Sets XDG_RUNTIME_DIR and PULSE_SERVER for this process (subprocesses inherit them) and stops
    the server by its PID at the end. Skips only when the `pulseaudio` binary is missing.
    """
    import shlex
    import shutil
    import subprocess
    from types import SimpleNamespace

    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed (apt install pulseaudio pulseaudio-utils)")
    base = tmp_path_factory.mktemp("pulse")
    scripts = ROOT / "scripts"
    up = subprocess.run(
        ["bash", str(scripts / "pa_up.sh"), str(base)], capture_output=True, text=True, timeout=60
    )
    log = base / "pulse.log"
    assert up.returncode == 0, (
        f"scripts/pa_up.sh failed: {up.stderr}\n{log.read_text() if log.exists() else ''}"
    )
    words = shlex.split(up.stdout.strip().splitlines()[-1])  # export K='v' K='v' PA_PID=n
    exported = dict(w.split("=", 1) for w in words[1:])
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_RUNTIME_DIR", exported["XDG_RUNTIME_DIR"])
    patch.setenv("PULSE_SERVER", exported["PULSE_SERVER"])
    sd = sys.modules.get("sounddevice")
    if sd is not None:  # PortAudio lists devices when initialised: rescan with the server up
        sd._terminate()
        sd._initialize()
    try:
        yield SimpleNamespace(
            base=base,
            pid=int(exported["PA_PID"]),
            env={k: exported[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")},
        )
    finally:
        patch.undo()
        subprocess.run(["bash", str(scripts / "pa_down.sh"), str(base)], timeout=60)


def interrupt(proc, timeout: float = 30.0) -> tuple[str, str]:
    """Ctrl+C a running `assistant` process and collect its output.

    If it has not ended after `timeout`, SIGABRT makes Python's faulthandler (enabled by the CLI)
    print every thread's stack to stderr, so a hang on the way out is reported with where it was.
    """
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return out, f"did not end within {timeout} s of Ctrl+C; its threads:\n{err}"
