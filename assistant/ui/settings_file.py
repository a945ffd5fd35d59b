"""Saving settings changed in the window back to the config file, keeping the user's comments.

Qt-free. tomlkit edits the document in place, so comments, order and untouched options survive;
the result is checked with the strict loader before it replaces the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit

from assistant.config import EXAMPLE_FILE, Config, load
from assistant.errors import AssistantError


def save(path: Path, changes: dict[str, dict[str, Any]]) -> Config:
    """Set options ({section: {key: value}}) in the config file at path; return the new config.

    A missing file starts from the documented example, so a new user's file explains itself.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else EXAMPLE_FILE.read_text()
        doc = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read config file {path}: {e}") from None
    except tomlkit.exceptions.ParseError as e:
        raise AssistantError(f"config file {path} is not valid TOML: {e}") from None
    for section, values in changes.items():
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        for key, value in values.items():
            table[key] = value
    new_text = tomlkit.dumps(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Check first, then replace atomically: a bad value must never leave a broken file behind.
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
        config = load(Path(tmp), required=True)
        os.replace(tmp, path)
    except AssistantError as e:
        os.unlink(tmp)
        raise AssistantError(str(e).replace(tmp, str(path))) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return config
