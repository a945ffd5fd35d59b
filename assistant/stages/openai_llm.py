"""The language model on a server: streamed chat replies over the OpenAI-compatible API.

Works with any server that speaks `/v1/chat/completions` with server-sent events: llama.cpp's
server and llama-cpp-python's, Ollama, vLLM, LM Studio. The official `openai` client does the
HTTP; this module adds what a voice needs on top: a reply that stalls is given up after a
timeout (a first-token and a between-tokens deadline, enforced by a watchdog because a server's
keep-alive pings would defeat a socket timeout), failures become one `ServerError` with a
one-line reason, and the URL is checked for privacy (is it this computer? is it encrypted?).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import queue
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.config import LlmConfig
from assistant.errors import AssistantError
from assistant.stages.llm import Message

BACKENDS = ("llama-cpp", "openai")
FALLBACKS = ("none", "local")
LEAVES = "your words leave this computer"


class ServerError(Exception):
    """The server gave no usable reply (down, too slow, an HTTP error, or garbage)."""


@dataclass(frozen=True)
class Endpoint:
    """A checked server URL and where it is, for the privacy notice."""

    url: str
    host: str  # host:port as the user wrote it
    local: bool  # on this computer (loopback or one of its own addresses)

    @property
    def leaves_computer(self) -> bool:
        return not self.local

    @property
    def privacy_note(self) -> str:
        """What the user should know about where their words go."""
        if self.local:
            return "on this computer"
        return f"{LEAVES} (sent to {self.host})"


def is_this_computer(host: str) -> bool:
    """True when host names this computer: localhost, a loopback address or one of its own IPs.

    Host names other than localhost and this computer's own name count as elsewhere, without a
    DNS lookup: a name can point anywhere, and it is safer to warn than to guess.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return name == socket.gethostname().lower()
    if ip.is_loopback or ip.is_unspecified:
        return True
    # Binding succeeds only for an address of one of this computer's own interfaces.
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((str(ip), 0))
        return True
    except OSError:
        return False


def check_config(config: LlmConfig) -> None:
    """Raise a one-line AssistantError for a backend or fallback the assistant does not know."""
    if config.backend not in BACKENDS:
        raise AssistantError(
            f'[llm] backend must be "llama-cpp" or "openai", not {config.backend!r}'
        )
    if config.fallback not in FALLBACKS:
        raise AssistantError(f'[llm] fallback must be "none" or "local", not {config.fallback!r}')
    for name in ("connect_timeout_s", "first_token_timeout_s", "token_timeout_s"):
        if getattr(config, name) <= 0:
            raise AssistantError(f"[llm] {name} must be more than 0")


def endpoint(config: LlmConfig) -> Endpoint:
    """The config's server URL, checked: well-formed, and encrypted unless local or opted in."""
    url = config.url.strip()
    example = "like http://127.0.0.1:8080/v1"
    if not url:
        raise AssistantError(f'[llm] backend "openai" needs the server\'s url ({example})')
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise AssistantError(f"the language model server URL {url!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise AssistantError(f"the language model server URL {url!r} is not a URL {example}")
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    host = name + (f":{port}" if port else "")
    local = is_this_computer(parts.hostname)
    if parts.scheme == "http" and not local and not config.allow_insecure_http:
        raise AssistantError(
            f"{url} is plain http to another computer, so your words would cross the network "
            "unencrypted; use https, or set [llm] allow_insecure_http = true"
        )
    return Endpoint(url.rstrip("/"), host, local)


def api_key(config: LlmConfig) -> str | None:
    """The key from the environment variable the config names (None when it names none)."""
    if not config.api_key_env:
        return None
    key = os.environ.get(config.api_key_env, "").strip()
    if not key:
        raise AssistantError(
            f"[llm] api_key_env names {config.api_key_env}, but that environment variable is "
            "not set"
        )
    return key


def reason(error: BaseException) -> str:
    """One short line saying why a request failed."""
    import openai

    if isinstance(error, ServerError):
        return str(error)
    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error
        what = "cannot connect" if type(cause).__name__ == "ConnectError" else "connection lost"
        return f"{what} ({type(cause).__name__}: {cause})".replace("\n", " ")[:200]
    if isinstance(error, openai.APIStatusError):
        message = " ".join(str(error.message).split())
        message = message.removeprefix(f"Error code: {error.status_code} - ")[:120]
        return f"HTTP {error.status_code}: {message}"
    if isinstance(error, ValueError | openai.APIResponseValidationError):  # JSON, pydantic
        return f"garbled reply ({type(error).__name__}: {error})".replace("\n", " ")[:200]
    return f"{type(error).__name__}: {error}".replace("\n", " ")[:200]


class OpenAIChatModel:
    """Streams replies from a model server through the `openai` client, with deadlines.

    The prompt arrives as the engine built it, stable prefix first (persona, pinned facts,
    history), so a server that caches prompts (llama.cpp, vLLM prefix caching) only evaluates
    each turn's new words; `cache_prompt` asks llama.cpp servers to keep that cache.
    """

    def __init__(self, config: LlmConfig, where: Endpoint | None = None) -> None:
        import openai

        self.config = config
        self.endpoint = where or endpoint(config)
        self.n_ctx = config.context_tokens
        self._model = config.server_model
        slowest = max(config.first_token_timeout_s, config.token_timeout_s)
        self._client = openai.OpenAI(
            base_url=self.endpoint.url,
            api_key=api_key(config) or "no-key",  # the client insists on one; servers ignore it
            # The socket deadline only makes sure a stuck reader ends: the watchdog in stream()
            # enforces the real first-token and between-token deadlines.
            timeout=openai.Timeout(slowest + 5, connect=config.connect_timeout_s),
            max_retries=0,  # a voice cannot wait through back-off; the next turn tries again
        )

    # -- start-up --------------------------------------------------------------------------------

    def check(self) -> str | None:
        """Ask the server which models it serves: None if it answers, else why not.

        A rejected key, or a URL where no OpenAI-compatible API lives, is a setting the user must
        fix, so it raises AssistantError; a server that is merely down may come back later.
        """
        import openai

        try:
            models = self._client.models.list(timeout=self.config.connect_timeout_s + 5)
            ids = [m.id for m in models.data]
        except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
            env = self.config.api_key_env
            fix = f"check ${env}" if env else "set [llm] api_key_env to the variable holding it"
            raise AssistantError(
                f"the language model server at {self.endpoint.url} rejected the API key "
                f"(HTTP {e.status_code}); {fix}"
            ) from None
        except openai.NotFoundError:
            # Every server this is for lists its models, so a 404 means the URL is wrong.
            raise AssistantError(
                f"no OpenAI-compatible API at {self.endpoint.url} (HTTP 404); the URL usually "
                "ends in /v1"
            ) from None
        except Exception as e:
            return reason(e)
        if not self._model:
            if not ids:
                return "the server lists no models; set [llm] server_model"
            self._model = ids[0]
        return None

    @property
    def model(self) -> str:
        """The model's name on the server ("" until the server has listed its models)."""
        return self._model

    def _model_name(self) -> str:
        if not self._model:  # the server was down at start: ask it now
            try:
                problem = self.check()
            except AssistantError as e:  # mid-conversation, a bad key costs a turn, not the app
                raise ServerError(str(e)) from None
            if problem:
                raise ServerError(problem)
        return self._model

    # -- replies ---------------------------------------------------------------------------------

    def _request(self, messages: list[Message], max_tokens: int, stream: bool, **kw: Any) -> Any:
        extra = {"cache_prompt": True} if self.config.cache_prompt else None
        return self._client.chat.completions.create(
            model=self._model_name(),
            messages=messages,  # type: ignore[arg-type]
            stream=stream,
            max_tokens=max_tokens,
            temperature=self.config.temperature,
            top_p=self.config.top_p,
            extra_body=extra,
            **kw,
        )

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yield the reply's text as it arrives; raise ServerError when the server fails."""
        self._model_name()  # resolved here, so that failing raises before any thread starts
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        held: list[Any] = []

        def read() -> None:
            chunks = 0
            try:
                response = self._request(messages, self.config.max_tokens, stream=True)
                held.append(response)
                for chunk in response:
                    if stop.is_set():
                        return
                    chunks += 1
                    for choice in chunk.choices or []:
                        text = choice.delta.content if choice.delta else None
                        if text:
                            inbox.put(("text", text))
                inbox.put(("end", chunks))
            except Exception as e:
                inbox.put(("error", e))
            finally:
                with contextlib.suppress(Exception):
                    if held:
                        held[0].close()

        threading.Thread(target=read, name="llm-server-reader", daemon=True).start()
        deadline, waiting_for = self.config.first_token_timeout_s, "the first word"
        try:
            while True:
                try:
                    kind, value = inbox.get(timeout=deadline)
                except queue.Empty:
                    raise ServerError(
                        f"no reply from {self.endpoint.host}: waited {deadline:g} s for "
                        f"{waiting_for}"
                    ) from None
                if kind == "text":
                    deadline, waiting_for = self.config.token_timeout_s, "the next word"
                    yield value
                elif kind == "error":
                    raise ServerError(reason(value))
                else:
                    if value == 0:  # a 200 response with no parsable chunk is not a reply
                        raise ServerError(f"{self.endpoint.host} sent no chat completion")
                    return
        finally:
            stop.set()
            # Closing the response unblocks a reader stuck on a stalled server.
            with contextlib.suppress(Exception):
                if held:
                    held[0].close()

    def warm_up(self, messages: list[Message]) -> None:
        """Send the prompt for one token so the server caches its prefix; ServerError on failure."""
        try:
            self._request(messages, 1, stream=False, timeout=self.config.first_token_timeout_s)
        except ServerError:
            raise
        except Exception as e:
            raise ServerError(reason(e)) from None


def describe(config: LlmConfig) -> tuple[str, str, str]:
    """(status, model, where) of the configured server, for `assistant models`.

    status is "ok", "down" (no answer now) or "error" (it answers, but rejects the key or has no
    API at that URL: the problem follows `where`).
    """
    where = endpoint(config)
    model = OpenAIChatModel(config, where)
    try:
        status, problem = ("ok", "") if model.check() is None else ("down", "")
    except AssistantError as e:
        status, problem = "error", f"  ({e})"
    note = "" if where.local else f"  ({LEAVES})"
    return (
        status,
        model.model or config.server_model or "(first listed)",
        where.url + note + problem,
    )
