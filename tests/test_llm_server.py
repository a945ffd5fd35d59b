"""Thinking on a model server: URL and privacy checks, deadlines and faults, against loopback stubs.

The stub servers here are real HTTP servers on 127.0.0.1 that misbehave on purpose (stall, drip,
ping without words, 500, 401, garbage, HTML); the real llama_cpp.server is in
test_llm_server_real.py.
"""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from assistant import events as ev
from assistant.config import Config, LlmConfig
from assistant.engine import Engine, Models
from assistant.errors import AssistantError
from assistant.loader import load_llm
from assistant.stages.fallback import FallbackChatModel
from assistant.stages.openai_llm import (
    OpenAIChatModel,
    ServerError,
    check_config,
    endpoint,
    is_this_computer,
)
from assistant.testing.fakes import EnergyVad, FixedTranscriber, ScriptedChatModel
from tests.llm_servers import StubServer, free_port

OFFLINE = LlmConfig().offline_reply
MESSAGES = [{"role": "system", "content": "You are Sam."}, {"role": "user", "content": "Hi"}]


def server_config(url: str, **changes) -> LlmConfig:
    fast = {"first_token_timeout_s": 1.0, "token_timeout_s": 0.5, "connect_timeout_s": 1.0}
    return dataclasses.replace(LlmConfig(), backend="openai", url=url, **{**fast, **changes})


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there


# -- URL, privacy, settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]", "0.0.0.0", "app.localhost"]
)
def test_loopback_hosts_are_this_computer(host):
    assert is_this_computer(host)


@pytest.mark.parametrize("host", ["192.0.2.7", "example.com", "gpu-box.lan", "2001:db8::1"])
def test_other_hosts_are_not(host):
    assert not is_this_computer(host)


def test_own_interface_address_is_this_computer():
    # The address this machine would use to reach another: one of its own interfaces.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("198.51.100.1", 9))  # UDP connect sends nothing; it only picks a route
        own = s.getsockname()[0]
    assert not own.startswith("127.")  # a real interface, not loopback
    assert is_this_computer(own)


def test_remote_url_says_words_leave_this_computer():
    local = endpoint(server_config("http://localhost:8080/v1/"))
    assert local.local and not local.leaves_computer and local.url == "http://localhost:8080/v1"
    assert endpoint(server_config("http://[::1]:8080/v1")).host == "[::1]:8080"
    remote = endpoint(server_config("https://gpu-box.lan:8000/v1"))
    assert remote.leaves_computer
    assert remote.privacy_note == "your words leave this computer (sent to gpu-box.lan:8000)"


def test_plain_http_to_another_computer_needs_opt_in():
    with pytest.raises(AssistantError, match="allow_insecure_http") as err:
        endpoint(server_config("http://192.0.2.7:11434/v1"))
    assert "\n" not in str(err.value)
    opted = endpoint(server_config("http://192.0.2.7:11434/v1", allow_insecure_http=True))
    assert opted.leaves_computer


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "needs the server's url"),
        ("nonsense", "is not a URL"),
        ("ftp://127.0.0.1/v1", "is not a URL"),
        ("http://", "is not a URL"),
        ("http://127.0.0.1:99999/v1", "bad port"),
    ],
)
def test_malformed_urls_are_one_line_errors(url, message):
    with pytest.raises(AssistantError, match=message) as err:
        endpoint(server_config(url))
    assert "\n" not in str(err.value)


def test_unknown_backend_fallback_and_timeouts_are_errors():
    for changes, message in [
        ({"backend": "gpt"}, "backend must be"),
        ({"fallback": "cloud"}, "fallback must be"),
        ({"token_timeout_s": 0.0}, "token_timeout_s must be more than 0"),
    ]:
        with pytest.raises(AssistantError, match=message):
            check_config(dataclasses.replace(LlmConfig(), **changes))


def test_api_key_comes_from_the_named_variable(monkeypatch):
    with StubServer() as stub:
        config = server_config(stub.url, api_key_env="ASSISTANT_TEST_KEY")
        monkeypatch.delenv("ASSISTANT_TEST_KEY", raising=False)
        with pytest.raises(AssistantError, match="ASSISTANT_TEST_KEY.*not set"):
            OpenAIChatModel(config)
        monkeypatch.setenv("ASSISTANT_TEST_KEY", "sk-secret")
        assert "".join(OpenAIChatModel(config).stream(MESSAGES)).strip() == stub.reply
        assert stub.headers[-1]["authorization"] == "Bearer sk-secret"


def test_rejected_key_is_a_one_line_error_at_start():
    with StubServer("401") as stub:
        with pytest.raises(AssistantError, match="rejected the API key \\(HTTP 401\\)") as err:
            load_llm(Config(llm=server_config(stub.url)))
        assert "\n" not in str(err.value)


def test_url_without_an_api_is_a_one_line_error_at_start():
    with StubServer() as stub:
        url = stub.url.removesuffix("/v1") + "/nothing-here"
        with pytest.raises(AssistantError, match="no OpenAI-compatible API.*ends in /v1"):
            load_llm(Config(llm=server_config(url)))


# -- streaming ------------------------------------------------------------------------------------


def test_streams_the_reply_with_the_prompt_and_cache_flag_as_sent():
    with StubServer(reply="The kettle is on. Tea in five minutes.") as stub:
        model = OpenAIChatModel(server_config(stub.url, max_tokens=33, temperature=0.0))
        deltas = list(model.stream(MESSAGES))
        assert len(deltas) > 3  # streamed word by word, not in one piece
        assert "".join(deltas).strip() == "The kettle is on. Tea in five minutes."
        (request,) = stub.requests
        assert request["messages"] == MESSAGES  # the stable prefix first, exactly as built
        assert request["stream"] is True and request["cache_prompt"] is True
        assert request["model"] == "stub"  # the server's first listed model
        assert request["max_tokens"] == 33 and request["temperature"] == 0.0
        no_cache = OpenAIChatModel(server_config(stub.url, cache_prompt=False))
        list(no_cache.stream(MESSAGES))
        assert "cache_prompt" not in stub.requests[-1]


def test_warm_up_sends_the_prefix_for_one_token():
    with StubServer() as stub:
        stub.mode = "ok"
        OpenAIChatModel(server_config(stub.url, server_model="mine")).warm_up(MESSAGES)
        (request,) = stub.requests
        assert request["max_tokens"] == 1 and request["messages"] == MESSAGES
        assert request["model"] == "mine" and not request.get("stream")


@pytest.mark.parametrize(
    ("mode", "limit_s", "message"),
    [
        ("stall", 1.0, "waited 1 s for the first word"),
        ("ping", 1.0, "waited 1 s for the first word"),  # keep-alives are not words
        ("drip", 0.5, "waited 0.5 s for the next word"),
        ("500", 0.0, "^HTTP 500: something broke$"),
        ("401", 0.0, "HTTP 401"),
        ("garbage", 0.0, "garbled reply"),
        ("html", 0.0, "sent no chat completion"),
    ],
)
def test_faults_raise_server_error_in_time(mode, limit_s, message):
    with StubServer(mode) as stub:
        model = OpenAIChatModel(server_config(stub.url, server_model="stub"))
        started = time.monotonic()
        got: list[str] = []
        with pytest.raises(ServerError, match=message) as err:
            for delta in model.stream(MESSAGES):
                got.append(delta)
        elapsed = time.monotonic() - started
        assert "\n" not in str(err.value)
        assert elapsed < limit_s + 1.5, elapsed  # never hangs
        if limit_s:
            assert elapsed >= limit_s * 0.9
        assert got == (["Well, "] if mode == "drip" else [])


def test_server_down_raises_at_once():
    model = OpenAIChatModel(server_config(closed_url(), server_model="x"))
    started = time.monotonic()
    with pytest.raises(ServerError, match="cannot connect"):
        list(model.stream(MESSAGES))
    assert time.monotonic() - started < 1.5


# -- the wrapper inside a conversation -----------------------------------------------------------


def engine_with(llm, tmp_path, memory=True):
    from assistant.memory.keeper import MemoryKeeper
    from assistant.memory.store import MemoryStore

    config = Config()
    keeper = None
    if memory:
        keeper = MemoryKeeper(MemoryStore(tmp_path / "m.sqlite3"), "default", config.memory, "Sam")
    got: list[ev.Event] = []
    models = Models(EnergyVad(), FixedTranscriber([]), llm, None)  # type: ignore[arg-type]
    return Engine(config, models, None, got.append, keeper), got


@pytest.mark.parametrize("mode", ["stall", "drip", "500", "garbage", "down"])
def test_a_failed_server_turn_is_spoken_and_recorded(tmp_path, mode):
    stub = StubServer(mode)
    url = closed_url() if mode == "down" else stub.url
    try:
        got_errors: list[ev.Event] = []
        llm = FallbackChatModel(
            OpenAIChatModel(server_config(url, server_model="stub")), OFFLINE, None,
            got_errors.append,
        )  # fmt: skip
        engine, got = engine_with(llm, tmp_path)
        started = time.monotonic()
        turn = engine.reply("What is the capital of France?")
        assert time.monotonic() - started < 5
        expected = ("Well, … " if mode == "drip" else "") + OFFLINE
        assert turn.reply_text == expected
        assert [e.text for e in got if isinstance(e, ev.ReplySentence)][-1] == OFFLINE
        assert engine.history.exchanges[-1].user == "What is the capital of France?"
        stored = [m.text for m in engine.memory.store.list("default")]
        assert stored == ["What is the capital of France?", expected]
        assert llm.connected is False
        (error,) = got_errors
        assert isinstance(error, ev.Error) and "lost the language model server" in error.message
        # Still down: the apology again (it is the whole answer), but the log is not repeated.
        assert engine.reply("Are you there?").reply_text == expected
        assert len(got_errors) == 1
    finally:
        stub.close()


def test_reconnects_on_the_next_turn(tmp_path):
    with StubServer("500", reply="Back again. What did I miss?") as stub:
        llm = FallbackChatModel(OpenAIChatModel(server_config(stub.url)), OFFLINE)
        engine, _ = engine_with(llm, tmp_path, memory=False)
        assert engine.reply("Hello?").reply_text == OFFLINE
        stub.mode = "ok"
        assert engine.reply("Hello again?").reply_text == "Back again. What did I miss?"
        assert llm.connected is True
        # The history of the failed turn went to the server with the next prompt.
        sent = stub.requests[-1]["messages"]
        assert [m["content"] for m in sent[1:3]] == ["Hello?", OFFLINE]


def test_fallback_loads_the_local_model_lazily_and_apologises_once_per_outage(tmp_path):
    loads = []

    def load_local():
        loads.append(1)
        return ScriptedChatModel(["Paris, I think.", "Still me, locally.", "Local again."])

    with StubServer("500", reply="From the server.") as stub:
        llm = FallbackChatModel(OpenAIChatModel(server_config(stub.url)), OFFLINE, load_local)
        engine, _ = engine_with(llm, tmp_path, memory=False)
        assert loads == [] and llm.local is None  # nothing loaded until it is needed
        assert engine.reply("Capital of France?").reply_text == f"{OFFLINE} Paris, I think."
        assert loads == [1]
        assert engine.reply("And now?").reply_text == "Still me, locally."  # no second apology
        stub.mode = "ok"
        assert engine.reply("Server back?").reply_text == "From the server."
        stub.mode = "drip"  # a new outage, mid-sentence: apologise again
        assert engine.reply("Again?").reply_text == f"Well, … {OFFLINE} Local again."
        assert loads == [1]


def test_a_broken_local_fallback_still_leaves_the_apology(tmp_path):
    def load_local():
        raise AssistantError("llm model not found: /nowhere.gguf")

    errors: list[ev.Event] = []
    llm = FallbackChatModel(
        OpenAIChatModel(server_config(closed_url(), server_model="x")), OFFLINE, load_local,
        errors.append,
    )  # fmt: skip
    engine, _ = engine_with(llm, tmp_path, memory=False)
    assert engine.reply("Hello?").reply_text == OFFLINE
    assert any("cannot load the local model" in e.message for e in errors)


def test_server_down_at_start_is_reported_not_fatal():
    errors: list[ev.Event] = []
    llm = load_llm(Config(llm=server_config(closed_url())), errors.append)
    assert isinstance(llm, FallbackChatModel) and llm.connected is False
    assert not llm.leaves_computer and llm.privacy_note == "on this computer"
    (error,) = errors
    assert "lost the language model server" in error.message and "cannot connect" in error.message


# -- the command line ------------------------------------------------------------------------------


def cli(args, home, stdin="", timeout=120, **env):
    import subprocess

    from tests.conftest import ASSISTANT, run_env

    return subprocess.run(
        [*ASSISTANT, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
        env={**run_env(home), **env},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["chat", "--quiet", "--llm-url", "nonsense"], "'nonsense' is not a URL"),
        (["--llm-url", "nonsense"], "'nonsense' is not a URL"),  # the app
        (["talk", "--llm-url", "http://:8080/v1"], "is not a URL"),
        (["chat", "--llm-url", "http://192.0.2.7:8080/v1"], "allow_insecure_http"),
    ],
)
def test_bad_server_urls_are_one_line_errors(isolated_home, args, fragment):
    from tests.test_cli import assert_one_line_error

    started = time.monotonic()
    # The app (no command) checks for a display first: give it Qt's offscreen one.
    result = cli(args, isolated_home, stdin="hello\n", QT_QPA_PLATFORM="offscreen")
    assert_one_line_error(result, fragment)
    assert result.returncode == 2
    assert time.monotonic() - started < 30  # before any model is loaded


def test_rejected_key_stops_chat_with_one_line(isolated_home):
    from tests.test_cli import assert_one_line_error

    with StubServer("401") as stub:
        result = cli(["chat", "--quiet", "--llm-url", stub.url], isolated_home, stdin="hello\n")
    assert_one_line_error(result, "rejected the API key (HTTP 401)")
    assert result.returncode == 2


def test_chat_through_a_server(isolated_home):
    with StubServer(reply="Hello from the server. How are you?") as stub:
        result = cli(["chat", "--quiet", "--llm-url", stub.url], isolated_home, stdin="Hi!\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Sam: Hello from the server. How are you?"
    assert stub.requests[-1]["messages"][-1] == {"role": "user", "content": "Hi!"}


def test_models_shows_the_server_and_where_words_go(isolated_home, tmp_path):
    with StubServer() as stub:
        result = cli(["models", "--llm-url", stub.url], isolated_home)
        wrong = cli(["models", "--llm-url", stub.url.removesuffix("/v1")], isolated_home)
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("server")]
    assert row.split()[:3] == ["server", "ok", "-"] and "stub" in row and stub.url in row
    assert "leave" not in row
    (row,) = [line for line in wrong.stdout.splitlines() if line.startswith("server")]
    assert row.split()[1] == "error" and "usually ends in /v1" in row
    config = tmp_path / "remote.toml"
    config.write_text(
        '[llm]\nbackend = "openai"\nurl = "https://192.0.2.7:8443/v1"\nconnect_timeout_s = 0.5\n'
    )
    result = cli(["models", "--config", str(config)], isolated_home)
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("server")]
    assert row.split()[1] == "down" and "(your words leave this computer)" in row
    checked = cli(["models", "--check", "--config", str(config)], isolated_home)
    assert checked.returncode == 2 and "192.0.2.7:8443/v1 is down" in checked.stderr


def test_a_key_rejected_mid_conversation_costs_a_turn_not_the_app(tmp_path):
    # Down at start (so never asked), then back, rejecting the key: a spoken apology, no crash.
    with StubServer("401") as stub:
        errors: list[ev.Event] = []
        llm = FallbackChatModel(
            OpenAIChatModel(server_config(stub.url)), OFFLINE, None, errors.append
        )
        engine, _ = engine_with(llm, tmp_path, memory=False)
        engine.warm_up()
        assert engine.reply("Hello?").reply_text == OFFLINE
    assert "rejected the API key (HTTP 401)" in errors[0].message


def test_a_cancelled_reply_hangs_up_so_the_server_stops_writing():
    # Barge-in closes the reply stream; the server must notice, not write 400 words to no one.
    with StubServer("slow") as stub:
        llm = FallbackChatModel(OpenAIChatModel(server_config(stub.url)), OFFLINE)
        reply = llm.stream(MESSAGES)
        assert [next(reply), next(reply)] == ["word0 ", "word1 "]
        reply.close()
        assert stub.hung_up.wait(5)
        assert llm.connected is not False  # a cancel is not an outage
