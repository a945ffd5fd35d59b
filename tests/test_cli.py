"""The command line as a user meets it: bad input gives one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ASSISTANT, run_env


def run(args, home, stdin="", timeout=120):
    return subprocess.run(
        [*ASSISTANT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=run_env(home),
    )


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assistant: error:")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_command_and_option(isolated_home):
    assert_one_line_error(run(["dance"], isolated_home), "invalid choice")
    assert_one_line_error(run(["talk", "--loud"], isolated_home), "unrecognized arguments")


def test_missing_and_corrupt_input_files(isolated_home, tmp_path):
    assert_one_line_error(
        run(["talk", "--input", str(tmp_path / "nope.wav"), "--fast"], isolated_home), "not found"
    )
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    assert_one_line_error(
        run(["talk", "--input", str(bad), "--fast"], isolated_home), "cannot read audio file"
    )


def test_fast_needs_input(isolated_home):
    assert_one_line_error(run(["talk", "--fast"], isolated_home), "--fast needs --input")


def test_config_errors(isolated_home, tmp_path):
    assert_one_line_error(
        run(["models", "--config", str(tmp_path / "none.toml")], isolated_home),
        "config file not found",
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[llm\nmodel=1")
    assert_one_line_error(run(["models", "--config", str(bad)], isolated_home), "not valid TOML")


@pytest.mark.parametrize(
    ("section", "key", "fragment"),
    [
        ("llm", "model", "cannot load the language model"),
        ("stt", "model", "cannot load the speech-to-text model"),
        ("tts", "voice", "cannot load voice"),
    ],
)
def test_corrupt_models(isolated_home, tmp_path, section, key, fragment):
    if section == "stt":
        model = tmp_path / "whisper"
        model.mkdir()
        for name in ("model.bin", "config.json", "tokenizer.json"):
            (model / name).write_text("{}")
    else:
        model = tmp_path / ("m.gguf" if section == "llm" else "v.onnx")
        model.write_bytes(b"\x00garbage" * 100)
        (tmp_path / "v.onnx.json").write_text('{"audio": {}}')
    config = tmp_path / "c.toml"
    config.write_text(f'[{section}]\n{key} = "{model}"\n')
    result = run(["chat", "--quiet", "--config", str(config)], isolated_home, stdin="hello\n")
    assert_one_line_error(result, fragment)


def test_missing_model_says_where(isolated_home, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[llm]\nmodel = "{tmp_path / "absent.gguf"}"\n')
    assert_one_line_error(
        run(["chat", "--quiet", "--config", str(config)], isolated_home), "llm model not found"
    )
    config.write_text(f'[llm]\nmodel = "qwen2.5-1.5b-instruct"\n[models]\ndir = "{tmp_path}"\n')
    assert_one_line_error(
        run(["chat", "--quiet", "--config", str(config)], isolated_home),
        "assistant models pull qwen2.5-1.5b-instruct",
    )


def test_models_lists_every_role_ok(isolated_home, default_config):
    result = run(["models", "--check"], isolated_home)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert rows == {"stt": "ok", "llm": "ok", "tts": "ok", "embedder": "ok", "vad": "ok"}


def test_models_pull_lists_and_rejects_unknown(isolated_home):
    listing = run(["models", "pull"], isolated_home)
    assert "qwen2.5-1.5b-instruct" in listing.stdout and "faster-whisper-base.en" in listing.stdout
    assert_one_line_error(run(["models", "pull", "gpt-17"], isolated_home), "unknown model")


def test_say_with_nothing_to_say(isolated_home, tmp_path):
    assert_one_line_error(
        run(["say", "  🎉 ** ", "--output", str(tmp_path / "x.wav")], isolated_home),
        "nothing to say",
    )


def test_ctrl_c_stops_it_even_when_started_with_sigint_ignored(tmp_path, default_config):
    """Shells start a script's background jobs with SIGINT ignored; `kill -INT` must still work."""
    import signal
    import subprocess
    import time

    import numpy as np
    import soundfile

    from tests.conftest import ASSISTANT, interrupt, run_env

    quiet = tmp_path / "quiet.wav"  # a minute of near-silence, played in real time
    soundfile.write(quiet, np.random.default_rng(0).normal(0, 1e-3, 60 * 16_000), 16_000)
    proc = subprocess.Popen(
        [*ASSISTANT, "talk", "--input", str(quiet), "--output", str(tmp_path / "out.wav")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env(tmp_path),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    time.sleep(4)  # importing and loading; the handler is set before either
    out, err = interrupt(proc, timeout=20)
    assert "did not end" not in err, err
    assert proc.returncode in (0, 130) and "Traceback" not in err, err
