"""Downloading a recommended model into the models folder, with a progress bar and checksums.

This is the only code that uses the network, and only when the user asks for it.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from assistant.errors import AssistantError
from assistant.models.registry import CatalogueEntry, CatalogueFile

_CHUNK = 1 << 20


def _fetch(f: CatalogueFile, dest: Path, timeout: float) -> None:
    """Download one file to dest via a .part file, verifying size and sha256."""
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        request = urllib.request.Request(f.url, headers={"User-Agent": "assistant"})
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            open(part, "wb") as out,
            tqdm(total=f.size, unit="B", unit_scale=True, desc=f.filename) as bar,
        ):
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", e)
        raise AssistantError(
            f"cannot download {f.filename}: {reason} "
            "(are you online? the model hub must be reachable)"
        ) from None
    except OSError as e:
        part.unlink(missing_ok=True)
        raise AssistantError(f"cannot write {part}: {e}") from None
    size = part.stat().st_size
    if size != f.size or digest.hexdigest() != f.sha256:
        part.unlink(missing_ok=True)
        raise AssistantError(
            f"{f.filename} failed its checksum (got {size} bytes, "
            f"sha256 {digest.hexdigest()[:12]}…); nothing was kept, try again"
        )
    part.replace(dest)


def pull(entry: CatalogueEntry, models_dir: Path, timeout: float = 30.0) -> Path:
    """Download every file of entry into models_dir/NAME (skipping files already verified)."""
    folder = models_dir / entry.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AssistantError(f"cannot create {folder}: {e}") from None
    free = shutil.disk_usage(folder).free
    if free < entry.size:
        raise AssistantError(
            f"not enough disk space in {folder}: need {entry.size:,} B, have {free:,} B"
        )
    for f in entry.files:
        dest = folder / f.filename
        if dest.is_file() and dest.stat().st_size == f.size and _sha256(dest) == f.sha256:
            continue
        _fetch(f, dest, timeout)
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
