"""A faster copy of the packaged language model: its Q4_1 weights stored again as Q8_0.

llama.cpp's CPU kernels for a batch of tokens (evaluating a prompt) have fast paths for Q8_0 and
Q4_0 but not for Q4_1, so the packaged SmolLM2 (Q4_1) evaluated a prompt at the speed of
generating: ~10 ms per token on one core here, 180 ms for a short question, 0.5–1 s with
recalled memories. Q8_0 holds each Q4_1 weight to within 1/254 of its block's largest value
(a sixteenth of a Q4_1 step), so it is the same model up to rounding: its next-word scores
correlate 0.998 with the original's, same top word (tests/test_requantize.py). It evaluates
prompts ~1.7× faster for ~15 % slower generation (measured in the README). The copy is made
once, in about a second, into the models folder; if that fails the packaged file is used as is.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def copy_path(source: Path, folder: Path) -> Path:
    """Where the Q8_0 copy of a Q4_1 GGUF goes in `folder` (made or not)."""
    return folder / source.name.replace("Q4_1", "Q8_0")


def fast_copy(source: Path, folder: Path) -> Path:
    """The Q8_0 copy of a Q4_1 GGUF in `folder`, made if missing; `source` if it cannot be made."""
    if "Q4_1" not in source.name:
        return source
    target = copy_path(source, folder)
    if target.is_file() and target.stat().st_size > 0:
        return target
    part = target.with_name(f"{target.name}.{os.getpid()}.part")  # two starts at once: no clash
    try:
        folder.mkdir(parents=True, exist_ok=True)
        import llama_cpp

        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
        params.allow_requantize = True
        params.nthread = max(1, os.cpu_count() or 1)
        with _native_stderr_silenced():
            rc = llama_cpp.llama_model_quantize(str(source).encode(), str(part).encode(), params)
        if rc != 0 or not part.is_file():
            raise OSError(f"llama_model_quantize returned {rc}")
        os.replace(part, target)  # whole or not at all: a crash mid-way leaves only the .part
        return target
    except Exception:  # a read-only or full disk: the packaged model works, only slower
        with contextlib.suppress(OSError):
            part.unlink()
        return source


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Keep llama.cpp's per-tensor log lines (written by C to fd 2) off the user's terminal."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
