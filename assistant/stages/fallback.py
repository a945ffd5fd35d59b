"""A chat model that never fails a turn: the server's reply, or a short apology and a fallback.

The engine records a turn only when the reply stream ends normally, so a server that dies
mid-reply must not raise into it. This wrapper turns every server failure into words: what the
server already said, then "Sorry, I lost the connection to my server.", then (with
`fallback = "local"`) the local GGUF model's answer, loaded the first time it is needed. Each
turn tries the server again, so when it is back the next turn just works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from assistant import events as ev
from assistant.stages.llm import ChatModel, Message
from assistant.stages.openai_llm import Endpoint, OpenAIChatModel, ServerError


class FallbackChatModel:
    """Wraps a server model; speaks an apology instead of raising, optionally answers locally.

    `connected` is None until the server has been tried, then whether its last reply worked;
    `leaves_computer` and `privacy_note` say where the user's words go, for the window (the
    embedded model has neither: `getattr(llm, "leaves_computer", False)`).
    """

    def __init__(
        self,
        server: OpenAIChatModel,
        offline_reply: str,
        load_local: Callable[[], ChatModel] | None = None,
        emit: ev.Sink | None = None,
    ) -> None:
        self.server = server
        self.offline_reply = offline_reply
        self.n_ctx = server.n_ctx
        self.connected: bool | None = None
        self.local: ChatModel | None = None
        self._told = False  # the user has heard that the server is gone
        self._load_local = load_local
        self._emit = emit or (lambda event: None)

    @property
    def endpoint(self) -> Endpoint:
        return self.server.endpoint

    @property
    def leaves_computer(self) -> bool:
        return self.endpoint.leaves_computer

    @property
    def privacy_note(self) -> str:
        """Where the words go: "on this computer" or "your words leave this computer (…)"."""
        return self.endpoint.privacy_note

    def lost(self, why: str) -> None:
        """Note that the server failed, telling the user once per outage."""
        if self.connected is not False:
            local = "; answering with the local model" if self._load_local else ""
            message = f"lost the language model server {self.endpoint.url}: {why}{local}"
            self._emit(ev.Error(message))
        self.connected = False

    def stream(self, messages: list[Message]) -> Iterator[str]:
        said = False
        try:
            for delta in self.server.stream(messages):
                said = said or bool(delta.strip())
                yield delta
            self.connected, self._told = True, False
            return
        except ServerError as e:
            self.lost(str(e))
        # Without a fallback every failed turn needs the apology (it is the whole answer); with
        # one, once per outage is enough, unless the server stopped mid-sentence.
        if said or not self._told or self._load_local is None:
            yield (" … " if said else "") + self.offline_reply + " "
            self._told = True
        yield from self._local_stream(messages)

    def _local_stream(self, messages: list[Message]) -> Iterator[str]:
        local = self._local()
        if local is None:
            return
        try:
            yield from local.stream(messages)
        except Exception as e:  # the fallback failing must not cost the turn either
            self._emit(ev.Error(f"the local model failed too: {type(e).__name__}: {e}"))

    def _local(self) -> ChatModel | None:
        if self.local is None and self._load_local is not None:
            try:
                self.local = self._load_local()
            except Exception as e:
                self._emit(ev.Error(f"cannot load the local model: {e}"))
                self._load_local = None  # do not retry a broken file every turn
        return self.local

    def warm_up(self, messages: list[Message]) -> None:
        """Warm the server's prompt cache (or the local model's, if it is in use)."""
        try:
            self.server.warm_up(messages)
            self.connected, self._told = True, False
        except ServerError as e:
            self.lost(str(e))
            if self.local is not None:
                self.local.warm_up(messages)
