"""Model servers for the tests: llama-cpp-python's real server, and a tiny misbehaving one.

`LlamaServer` runs `python -m llama_cpp.server` with the default GGUF on a free loopback port and
can be killed (SIGKILL, by its PID) and restarted on the same port. `StubServer` speaks just
enough of the OpenAI API to fail in chosen ways: stall, drip one word then stall, keep-alive
pings without words, HTTP 500 or 401, garbage, an HTML page.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chunk(text: str | None, finish: str | None = None) -> bytes:
    """One server-sent event of a streamed chat completion."""
    delta = {"content": text} if text is not None else {}
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class StubServer:
    """An OpenAI-compatible server on loopback whose chat replies misbehave as `mode` says.

    Modes: "ok" (streams `reply`), "slow" (a long reply, a word every 50 ms; `hung_up` is set
    when the client stops reading), "stall" (headers, then nothing), "drip" (one word, then
    nothing), "ping" (SSE comments forever, never a word), "500", "401", "garbage" (an event
    that is not JSON), "html" (200 with a web page). Stalls end when the server is closed.
    """

    def __init__(self, mode: str = "ok", reply: str = "Hello there. Nice to meet you.") -> None:
        self.mode = mode
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.hung_up = threading.Event()  # the client closed a stream before its end
        self.closing = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if stub.mode == "401":
                    self._send(401, b'{"error": {"message": "invalid api key"}}')
                elif self.path == "/v1/models":
                    data = [{"id": "stub", "object": "model", "created": 0, "owned_by": "test"}]
                    self._send(200, json.dumps({"object": "list", "data": data}).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                stub.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                mode = stub.mode
                if mode in ("500", "401"):
                    msg = b'{"error": {"message": "something broke"}}'
                    self._send(int(mode), msg)
                    return
                if mode == "html":
                    self._send(200, b"<html><body>It works!</body></html>", "text/html")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    self._stream(mode)
                except OSError:
                    stub.hung_up.set()

            def _stream(self, mode: str) -> None:
                w = self.wfile
                if mode == "ok":
                    w.write(chunk(None))
                    for word in stub.reply.split(" "):
                        w.write(chunk(word + " "))
                        w.flush()
                    w.write(chunk(None, "stop") + b"data: [DONE]\n\n")
                elif mode == "slow":  # a word every 50 ms, for a long time
                    for i in range(400):
                        w.write(chunk(f"word{i} "))
                        w.flush()
                        time.sleep(0.05)
                    w.write(b"data: [DONE]\n\n")
                elif mode == "garbage":
                    w.write(b"data: {this is not json\n\n")
                elif mode == "drip":
                    w.write(chunk("Well, "))
                    w.flush()
                    stub.closing.wait(60)
                elif mode == "ping":
                    while not stub.closing.wait(0.2):
                        w.write(b": ping\n\n")
                        w.flush()
                else:  # stall
                    w.flush()
                    stub.closing.wait(60)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server with one GGUF, on a loopback port.

    One thread by default, like the tests' local model: llama.cpp's threads meet at a spinning
    barrier after every operation, so two threads on a 2-core machine that other processes
    also use run several times slower than one (measured here: 2 vs 29 tokens/s).
    """

    def __init__(self, model: Path, log: Path, threads: int = 1) -> None:
        self.model = model
        self.threads = threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> LlamaServer:
        """Start the server and wait until it lists its model."""
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", "2048",
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--verbose", "False",
        ]  # fmt: skip
        env = {**os.environ, "GGML_LOG_LEVEL": "error"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log.read_text()[-2000:]}")
            if self.ready():
                return self
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"llama_cpp.server did not start: {self.log.read_text()[-2000:]}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/models", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server by its PID, as a crash would, and reap it."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
