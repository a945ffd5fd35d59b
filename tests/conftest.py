"""Shared fixtures: where the benchmark speech lives, the venv's command, the default models."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT.parent / "shared" / "benchmarks" / "speech"
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
