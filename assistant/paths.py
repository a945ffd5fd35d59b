"""Where the assistant keeps its config, data and downloaded models (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "assistant"


def config_dir() -> Path:
    """The user's config directory, e.g. ~/.config/assistant."""
    return Path(platformdirs.user_config_dir(APP))


def default_config_file() -> Path:
    """The config file read when no --config is given."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The data directory: --data-dir (via $ASSISTANT_DATA_DIR), else ~/.local/share/assistant."""
    override = os.environ.get("ASSISTANT_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP))


def checkout_root() -> Path | None:
    """The source checkout this package runs from (editable install), or None when installed."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "models").is_dir() else None


def default_models_dir() -> Path:
    """Where downloaded models go: the checkout's models/ folder, else <data dir>/models."""
    root = checkout_root()
    return root / "models" if root else data_dir() / "models"
