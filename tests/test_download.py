"""`models pull`: downloads are verified, failures keep nothing and say why in one line."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial

import pytest

from assistant.errors import AssistantError
from assistant.models.download import pull
from assistant.models.registry import CatalogueEntry, CatalogueFile, catalogue


@pytest.fixture()
def server(tmp_path):
    """A loopback HTTP server serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def entry(url: str, data: bytes, sha: str | None = None) -> CatalogueEntry:
    f = CatalogueFile(url, "model.gguf", len(data), sha or hashlib.sha256(data).hexdigest())
    return CatalogueEntry("tiny-test", "llm", "test", "MIT", (f,))


def test_pull_downloads_and_verifies(server, tmp_path):
    www, base = server
    data = b"GGUF" + bytes(range(256)) * 1000
    (www / "model.gguf").write_bytes(data)
    folder = pull(entry(f"{base}/model.gguf", data), tmp_path / "models")
    assert (folder / "model.gguf").read_bytes() == data
    assert not list(folder.glob("*.part"))
    # A second pull finds the verified file and downloads nothing.
    (www / "model.gguf").unlink()
    pull(entry(f"{base}/model.gguf", data), tmp_path / "models")


def test_bad_checksum_keeps_nothing(server, tmp_path):
    www, base = server
    (www / "model.gguf").write_bytes(b"tampered!")
    with pytest.raises(AssistantError, match="failed its checksum"):
        pull(entry(f"{base}/model.gguf", b"tampered!", sha="0" * 64), tmp_path / "models")
    assert list((tmp_path / "models" / "tiny-test").iterdir()) == []


def test_unreachable_server_is_one_clear_line(tmp_path):
    with pytest.raises(AssistantError, match="are you online") as err:
        pull(entry("http://127.0.0.1:9/model.gguf", b"x"), tmp_path / "models", timeout=5)
    assert "\n" not in str(err.value)


def test_catalogue_entries_are_pinned_and_checksummed():
    entries = catalogue()
    assert {e.role for e in entries.values()} == {"llm", "stt", "tts"}
    for e in entries.values():
        for f in e.files:
            assert f.url.startswith("https://huggingface.co/") and "/resolve/" in f.url
            assert "/resolve/main/" not in f.url, f"{f.url} is not pinned to a revision"
            assert len(f.sha256) == 64 and f.size > 0
        if e.role == "stt":
            assert {f.filename for f in e.files} >= {"model.bin", "config.json", "tokenizer.json"}
        if e.role == "tts":
            assert {f.filename.rsplit(".", 1)[-1] for f in e.files} == {"onnx", "json"}
