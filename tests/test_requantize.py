"""The packaged language model's faster Q8_0 copy: made once, the same model, never in the way."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.config import Config, ModelsConfig
from assistant.loader import llm_path
from assistant.models import registry
from assistant.models.requantize import fast_copy

SOURCE = registry.packaged_path("llm")
pytestmark = pytest.mark.skipif(
    SOURCE is None or not SOURCE.is_file(), reason="the default models are not installed"
)


def _last_logits(path, text="The capital of France is"):
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=256, n_threads=1, logits_all=True, verbose=False)
    tokens = llm.tokenize(text.encode())
    llm.eval(tokens)
    return np.array(llm.scores[len(tokens) - 1]), llm.metadata.get("general.file_type")


def test_the_copy_is_q8_0_and_the_same_model_within_rounding(tmp_path):
    copy = fast_copy(SOURCE, tmp_path)
    assert copy == tmp_path / "SmolLM2-135M-Instruct.Q8_0.gguf"
    assert not list(tmp_path.glob("*.part"))
    logits, kind = _last_logits(copy)
    original, original_kind = _last_logits(SOURCE)
    assert (kind, original_kind) == ("7", "3")  # LLAMA_FTYPE_MOSTLY_Q8_0, _Q4_1
    assert int(np.argmax(logits)) == int(np.argmax(original))
    assert np.corrcoef(logits, original)[0, 1] > 0.995  # measured 0.998
    # Made once: a second call finds it and leaves it alone.
    stamp = copy.stat().st_mtime_ns
    assert fast_copy(SOURCE, tmp_path) == copy and copy.stat().st_mtime_ns == stamp


def test_when_the_copy_cannot_be_made_the_packaged_model_is_used(tmp_path):
    blocked = tmp_path / "models"
    blocked.write_text("a file where the folder should be")
    assert fast_copy(SOURCE, blocked) == SOURCE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]


def test_the_default_model_runs_from_its_copy_and_a_chosen_file_as_it_is(tmp_path):
    config = Config(models=ModelsConfig(dir=str(tmp_path)))
    assert llm_path(config) == tmp_path / "SmolLM2-135M-Instruct.Q8_0.gguf"
    assert registry.info(config, "llm").path == llm_path(config)  # `assistant models` shows it
    chosen = dataclasses.replace(config, llm=dataclasses.replace(config.llm, model=str(SOURCE)))
    assert llm_path(chosen) == SOURCE
