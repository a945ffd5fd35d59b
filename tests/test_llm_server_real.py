"""Thinking on a real llama_cpp.server: a spoken turn through it, and killing it mid-reply.

The server is llama-cpp-python's own (`python -m llama_cpp.server`, the `server` extra) with the
default GGUF, on a free loopback port; it is killed with SIGKILL by its PID and restarted on the
same port, as a crash and a restart would do.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time

import pytest

from assistant import events as ev
from assistant.audio.frames import read_audio
from assistant.config import Config, LlmConfig
from assistant.engine import Engine
from assistant.loader import load_llm
from assistant.stages.fallback import FallbackChatModel
from assistant.stages.stt import WhisperTranscriber
from tests.conftest import ASSISTANT, run_env
from tests.llm_servers import LlamaServer
from tests.test_voice_real import wer

pytestmark = pytest.mark.models
OFFLINE = LlmConfig().offline_reply
LONG_ANSWER = "Tell me a long story about a dragon who lives in a library."


@pytest.fixture(scope="module")
def server(default_config, tmp_path_factory):
    from assistant.models import registry

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    srv = LlamaServer(registry.require(default_config, "llm"), log).start()
    yield srv
    srv.stop()


@pytest.fixture()
def running(server):
    """The server, started again if an earlier test killed it."""
    if server.proc is None or server.proc.poll() is not None:
        server.start()
    return server


@pytest.fixture(scope="module")
def whisper(default_config):
    from assistant.models import registry

    return WhisperTranscriber(registry.require(default_config, "stt"), default_config.stt)


def config_for(url: str, **llm) -> Config:
    changes = {"temperature": 0.0, "max_tokens": 40, "threads": 1, "backend": "openai", "url": url}
    changes.update(llm)
    return Config(llm=dataclasses.replace(LlmConfig(), **changes))


def engine_for(config: Config, tmp_path, sink=None):
    """An engine that thinks through load_llm (the server) with real memory, no voice."""
    from assistant.memory.keeper import MemoryKeeper
    from assistant.memory.store import MemoryStore
    from assistant.testing.fakes import EnergyVad, FixedTranscriber, ToneSynthesizer

    got: list[ev.Event] = []

    def emit(event):
        got.append(event)
        if sink:
            sink(event)

    llm = load_llm(config, emit)
    store = MemoryStore(tmp_path / "memory.sqlite3")
    keeper = MemoryKeeper(store, "default", config.memory, config.persona.name)
    from assistant.engine import Models

    models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
    engine = Engine(config, models, None, emit, keeper)
    return engine, llm, got


def test_spoken_turn_through_the_server(running, whisper, speech_dir, tmp_path):
    config = tmp_path / "c.toml"
    # Skills off: "what time is it" is otherwise answered by the clock, not the server.
    config.write_text("[llm]\ntemperature = 0.0\nmax_tokens = 40\n[skills]\nenabled = false\n")
    out, events = tmp_path / "out.wav", tmp_path / "ev.jsonl"
    clip = speech_dir / "commands_en" / "what_time_is_it.wav"
    served_before = running.log.read_text().count("POST /v1/chat/completions")
    result = subprocess.run(
        [
            *ASSISTANT, "talk", "--config", str(config), "--input", str(clip), "--output",
            str(out), "--events", str(events), "--fast", "--llm-url", running.url,
        ],
        capture_output=True, text=True, timeout=300, env=run_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "lost" not in result.stderr
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    (turn,) = [e for e in lines if e["type"] == "turn"]
    assert "time" in turn["user_text"].lower()
    assert turn["reply_text"] and OFFLINE not in turn["reply_text"]
    assert {"end_of_speech_to_first_audio", "llm_first_token"} <= set(turn["timings_ms"])
    # The server did the thinking: warm-up and the turn both reached it.
    assert running.log.read_text().count("POST /v1/chat/completions") >= served_before + 2
    heard = whisper.transcribe(read_audio(out)).text
    assert wer(turn["reply_text"], heard) <= 0.35, (turn["reply_text"], heard)


def test_server_and_embedded_model_give_the_same_greedy_reply(running, default_config):
    """Same GGUF, same prompt, greedy: the server path changes nothing about what is said."""
    from assistant.models import registry
    from assistant.stages.llm import LlamaChatModel

    messages = [
        {"role": "system", "content": "You are Sam, a friendly assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    llm = dataclasses.replace(default_config.llm, temperature=0.0, max_tokens=24, threads=1)
    local = "".join(LlamaChatModel(registry.require(default_config, "llm"), llm).stream(messages))
    remote = "".join(load_llm(config_for(running.url, max_tokens=24)).stream(messages))
    assert remote.strip() and remote.strip() == local.strip()


def killer(server: LlamaServer):
    """An event sink that SIGKILLs the server once, when the first sentence of a reply is out."""
    killed: list[bool] = []

    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.ReplySentence) and not killed:
            killed.append(True)
            server.kill()

    return sink


def test_killed_mid_reply_apologises_keeps_the_turn_and_reconnects(running, tmp_path):
    config = config_for(running.url, max_tokens=80)
    engine, llm, got = engine_for(config, tmp_path, killer(running))
    engine.warm_up()
    started = time.monotonic()
    turn = engine.reply(LONG_ANSWER)
    assert time.monotonic() - started < 15
    assert running.proc.poll() is not None  # it really died mid-reply
    sentences = [e.text for e in got if isinstance(e, ev.ReplySentence)]
    # The apology is its own sentence (led by the "…" that marks where the reply broke off,
    # when the words before it were already out as the first chunk).
    assert len(sentences) >= 2 and sentences[-1] in (OFFLINE, f"… {OFFLINE}")
    assert turn.reply_text.endswith(f"… {OFFLINE}") and len(turn.reply_text) > len(OFFLINE) + 5
    assert llm.connected is False
    assert any(isinstance(e, ev.Error) and "lost the language" in e.message for e in got)
    # The turn is in the conversation and in memory.
    assert engine.history.exchanges[-1].user == LONG_ANSWER
    stored = [m.text for m in engine.memory.store.list("default")]
    assert stored[-2:] == [LONG_ANSWER, turn.reply_text]
    # While it is down: a quick apology, nothing hangs.
    started = time.monotonic()
    assert engine.reply("Are you still there?").reply_text == OFFLINE
    assert time.monotonic() - started < 5
    # Restarted on the same port: the next turn just works, with the history of the outage.
    running.start()
    again = engine.reply("What is two plus two?")
    assert again.reply_text and OFFLINE not in again.reply_text
    assert llm.connected is True
    assert len(engine.memory.store.list("default")) == 6


def test_killed_mid_reply_falls_back_to_the_local_model(running, tmp_path):
    config = config_for(running.url, max_tokens=80, fallback="local")
    engine, llm, got = engine_for(config, tmp_path, killer(running))
    assert isinstance(llm, FallbackChatModel) and llm.local is None  # loaded lazily
    turn = engine.reply(LONG_ANSWER)
    assert llm.local is not None
    server_part, _, after = turn.reply_text.partition(f"… {OFFLINE}")
    assert server_part.strip() and after.strip()  # the server began, the local model finished
    stored = [m.text for m in engine.memory.store.list("default")]
    assert stored[-1] == turn.reply_text
    # Still down: the local model answers alone, without a second apology.
    second = engine.reply("What is two plus two?")
    assert second.reply_text and OFFLINE not in second.reply_text
    running.start()
    third = engine.reply("And three plus three?")
    assert third.reply_text and llm.connected is True


def test_chat_survives_a_server_down_at_start_and_uses_it_once_it_is_up(server, tmp_path):
    server.kill()
    proc = subprocess.Popen(
        [*ASSISTANT, "chat", "--quiet", "--llm-url", server.url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=run_env(tmp_path),
    )  # fmt: skip
    try:
        proc.stdin.write("Hello, are you there?\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == f"Sam: {OFFLINE}"
        server.start()
        proc.stdin.write("What is the capital of France?\n")
        proc.stdin.flush()
        reply = proc.stdout.readline().strip()
        assert reply.startswith("Sam: ") and OFFLINE not in reply and len(reply) > 6
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        errors = proc.stderr.read().strip().splitlines()
        assert len(errors) == 1 and "lost the language model server" in errors[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    listed = subprocess.run(
        [*ASSISTANT, "memory", "list"], capture_output=True, text=True, env=run_env(tmp_path),
        timeout=60,
    )  # fmt: skip
    assert "Hello, are you there?" in listed.stdout and OFFLINE in listed.stdout


def test_spoken_turn_killed_mid_reply_says_so_out_loud(running, whisper, tmp_path):
    """Through `assistant talk`: the server dies after the first spoken sentence."""
    import threading

    import numpy as np
    import soundfile

    # The question, spoken by the assistant's own voice, with silence around it.
    said = tmp_path / "said.wav"
    subprocess.run(
        [*ASSISTANT, "say", LONG_ANSWER, "--output", str(said)], check=True, timeout=120,
        env=run_env(tmp_path), capture_output=True,
    )  # fmt: skip
    pcm, rate = soundfile.read(said, dtype="float32")
    clip = tmp_path / "question.wav"
    soundfile.write(clip, np.concatenate([np.zeros(rate // 2), pcm, np.zeros(rate * 2)]), rate)
    config = tmp_path / "c.toml"
    config.write_text("[llm]\ntemperature = 0.0\nmax_tokens = 200\n")
    out, events = tmp_path / "out.wav", tmp_path / "ev.jsonl"
    proc = subprocess.Popen(
        [
            *ASSISTANT, "talk", "--config", str(config), "--input", str(clip), "--output",
            str(out), "--events", str(events), "--fast", "--llm-url", running.url,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env(tmp_path),
    )  # fmt: skip

    def kill_at_first_sentence() -> None:
        while proc.poll() is None:
            if events.exists() and '"reply_sentence"' in events.read_text():
                running.kill()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=kill_at_first_sentence)
    watcher.start()
    try:
        _, stderr = proc.communicate(timeout=300)
    finally:
        watcher.join(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    assert running.proc.poll() is not None  # the server died during the turn
    assert "lost the language model server" in stderr
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    (turn,) = [e for e in lines if e["type"] == "turn"]
    assert turn["reply_text"].endswith(f"… {OFFLINE}")
    # The apology is the last thing heard: transcribe as long a tail as the apology takes to say.
    from assistant.loader import load_tts

    tts = load_tts(Config())
    apology_s = sum(len(c) for c in tts.synthesize(OFFLINE)) / tts.sample_rate
    (end,) = [e["t"] for e in lines if e["type"] == "speaking_ended"]
    tail = read_audio(out)[int((end - apology_s - 0.3) * 16_000) :]
    heard = whisper.transcribe(tail).text.lower()
    assert "connection" in heard and "server" in heard, heard
    # The turn is in memory.
    listed = subprocess.run(
        [*ASSISTANT, "memory", "list"], capture_output=True, text=True, env=run_env(tmp_path),
        timeout=60,
    )  # fmt: skip
    assert "dragon" in listed.stdout and OFFLINE in listed.stdout
