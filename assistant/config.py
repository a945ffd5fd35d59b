"""The assistant's settings: one typed tree of frozen dataclasses, read from a TOML file.

Every option is documented in `config.example.toml` (shipped with the package); a test keeps the two
in step. Unknown or mistyped options are an error, not silently ignored.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

EXAMPLE_FILE = Path(__file__).with_name("config.example.toml")


BARGE_IN = ("auto", "on", "off")


@dataclass(frozen=True)
class AudioConfig:
    """Microphone and speaker selection."""

    input_device: str = ""  # name (or part of it) or index; "" = system default
    output_device: str = ""
    echo_tail_ms: int = 250  # ignore the mic this long after playback ends (room echo)
    barge_in: str = "auto"  # talk over it to stop it: "auto", "on" or "off" (see the example)
    headphones: bool = False  # the mic cannot hear the speaker, so barge-in is safe
    barge_in_resume_ms: int = 300  # a reply paused by a blip of voice resumes after this quiet

    def __post_init__(self) -> None:
        if self.barge_in not in BARGE_IN:
            raise AssistantError(
                f"[audio] barge_in must be one of {', '.join(BARGE_IN)}, not {self.barge_in!r}"
            )

    def barge_in_on(self, file_input: bool = False, echo_cancelled: bool = False) -> bool:
        """Whether talking over the assistant stops it, for this microphone.

        "auto" turns it on where the mic cannot hear the speaker (file input, headphones) or
        hears it only through an echo canceller (`echo_cancelled`, see assistant.audio.echo),
        whose residual echo the echo guard keeps from starting a turn (measured in
        tests/test_echo_loop.py). A raw mic next to a speaker stays half-duplex: the guard is
        for a canceller's residual, not a replacement for it.
        """
        if self.barge_in != "auto":
            return self.barge_in == "on"
        return file_input or self.headphones or echo_cancelled


@dataclass(frozen=True)
class VadConfig:
    """Speech detection (Silero VAD) and end-of-turn timing."""

    threshold: float = 0.5  # speech probability that starts speech
    release: float = 0.35  # probability below which a frame counts as silence
    min_speech_ms: int = 160  # shorter blips (clicks, coughs) do not start a turn
    onset_ms: int = 64  # with barge-in, this much voice pauses a reply at once; 0 = no pause
    barge_in_release: float = 0.25  # voice that paused a reply goes on down to this probability
    end_silence_ms: int = 400  # silence that ends the user's turn
    unfinished_silence_ms: int = 1000  # ... when the words so far sound unfinished; 0 = off
    speculate_ms: int = 32  # silence after which a reply is prepared (and held); 0 = off
    pause_release: float = 0.5  # ... counted from the last chunk at or over this probability
    early_commit: bool = True  # play a prepared reply before end_silence_ms if the words ended
    early_commit_ms: int = 160  # ... once the silence has lasted this long
    pre_roll_ms: int = 500  # audio kept from before speech started (Silero can be late)
    fragment_join_ms: int = 1000  # voice too short for speech this soon before speech joins it
    post_roll_ms: int = 150  # audio kept after speech ended
    max_utterance_s: float = 30.0  # a turn is cut here even if the user keeps talking


@dataclass(frozen=True)
class SttConfig:
    """Speech-to-text (faster-whisper)."""

    model: str = "default"  # "default", a name from `assistant models pull`, or a path to a dir
    language: str = "en"
    beam_size: int = 1
    threads: int = 2
    window_s: float = 15.0  # encode short turns in this window instead of 30 s; 0 = off
    short_window_s: float = 10.0  # turns this short use an even smaller window; 0 = off
    no_speech_threshold: float = 0.6  # drop text Whisper itself thinks is not speech


@dataclass(frozen=True)
class LlmConfig:
    """The language model: a GGUF file run by llama.cpp, or a model server."""

    model: str = "default"
    context_tokens: int = 2048
    threads: int = 0  # 0 = one less than the CPU cores (at least 1); see the example file
    max_tokens: int = 200  # a spoken reply is short
    temperature: float = 0.7
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    # A reply may not repeat any run of this many tokens from its earlier replies (0 = off): the
    # small default model otherwise copies its last reply, whatever the user said.
    no_repeat_ngram: int = 4
    # Thinking on a model server (OpenAI-compatible API) instead of the embedded llama.cpp.
    backend: str = "llama-cpp"  # "llama-cpp" (the GGUF above, in-process) or "openai" (a server)
    url: str = ""  # the server's API base, e.g. "http://127.0.0.1:8080/v1"
    server_model: str = ""  # the model name on the server; "" = the one the server lists first
    api_key_env: str = ""  # name of the environment variable holding the key; "" = no key
    fallback: str = "none"  # when the server fails: "none" (apologise) or "local" (the GGUF)
    allow_insecure_http: bool = False  # plain http to another computer needs this opt-in
    cache_prompt: bool = True  # ask llama.cpp servers to keep the prompt cache (others ignore it)
    connect_timeout_s: float = 3.0
    first_token_timeout_s: float = 20.0
    token_timeout_s: float = 10.0  # the longest pause between two tokens of a reply
    offline_reply: str = "Sorry, I lost the connection to my server."

    def __post_init__(self) -> None:
        if self.no_repeat_ngram < 0 or self.no_repeat_ngram == 1:
            raise AssistantError(
                f"[llm] no_repeat_ngram must be 0 (off) or at least 2, not {self.no_repeat_ngram}"
            )


@dataclass(frozen=True)
class TtsConfig:
    """Text-to-speech (piper)."""

    voice: str = "default"  # "default", a pulled voice name, or a path to a .onnx voice
    speaker_id: int = -1  # for multi-speaker voices; -1 = the voice's default
    length_scale: float = 1.0  # > 1 speaks slower
    volume: float = 1.0
    first_clause_words: int = 2  # the first chunk may end at a comma after this many words; 0 = off
    first_phrase_words: int = 3  # ... or before "to", "in", "is"... after this many; 0 = off


@dataclass(frozen=True)
class EmbedderConfig:
    """The sentence-embedding model used by long-term memory."""

    model: str = "default"


@dataclass(frozen=True)
class ModelsConfig:
    """Where downloaded models are kept."""

    dir: str = ""  # "" = the checkout's models/ folder, or ~/.local/share/assistant/models


@dataclass(frozen=True)
class PersonaConfig:
    """Who the assistant is."""

    name: str = "Sam"
    system_prompt: str = (
        "You are {name}, a warm, witty companion who lives on the user's computer. "
        "You talk with the user out loud, so answer in one to three short, natural spoken "
        "sentences. No lists, no markdown, no emoji."
    )
    history_turns: int = 6  # earlier exchanges kept in the prompt
    fallback_reply: str = "Sorry, I lost my train of thought. Could you say that again?"


@dataclass(frozen=True)
class MemoryConfig:
    """Long-term memory."""

    enabled: bool = True
    file: str = ""  # "" = <data dir>/memory.sqlite3
    recall: int = 4  # memories recalled into the prompt each turn
    min_similarity: float = 0.3  # a memory found only by meaning must be at least this similar
    # Each prompt token costs ~5 ms before the first word on 2 cores: the memories found for
    # what was just said may add this many; those found for the previous turn (up to
    # recall_ahead_tokens) were evaluated while its reply played and cost nothing.
    recall_tokens: int = 48
    recall_ahead_tokens: int = 160


ACTIVATIONS = ("hotkey", "push_to_talk", "always", "wake_word")
THEMES = ("system", "light", "dark")


@dataclass(frozen=True)
class UiConfig:
    """The desktop app: how talking starts, the hotkey, the look, the profile it opens with."""

    activation: str = "hotkey"  # how talking starts: one of ACTIVATIONS (see the example file)
    hotkey: str = "Ctrl+Alt+Space"
    theme: str = "system"  # "system" follows the desktop; "light" or "dark"
    profile: str = "default"  # the profile the window opens with (--profile overrides it)
    wake_word: str = "hey_jarvis"  # for activation = "wake_word": a pyopen-wakeword model

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise AssistantError(
                f"[ui] activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}"
            )
        if self.theme not in THEMES:
            raise AssistantError(
                f"[ui] theme must be one of {', '.join(THEMES)}, not {self.theme!r}"
            )


@dataclass(frozen=True)
class SkillsConfig:
    """Everyday skills answered without the LLM: time, timers, reminders, lists, notes."""

    enabled: bool = True
    time_zone: str = ""  # IANA name, e.g. "Europe/London"; "" = the system's zone


@dataclass(frozen=True)
class ProfileConfig:
    """One relationship: its own name, persona and voice (empty = the main settings)."""

    name: str = ""
    system_prompt: str = ""
    voice: str = ""


@dataclass(frozen=True)
class Config:
    """All settings."""

    audio: AudioConfig = field(default_factory=AudioConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    persona: PersonaConfig = field(default_factory=PersonaConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    skills: SkillsConfig = field(default_factory=SkillsConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    profiles: dict[str, ProfileConfig] = field(default_factory=dict)

    def for_profile(self, profile: str) -> Config:
        """These settings with the profile's own name, persona and voice applied."""
        p = self.profiles.get(profile)
        if p is None:
            return self
        persona = dataclasses.replace(
            self.persona,
            name=p.name or self.persona.name,
            system_prompt=p.system_prompt or self.persona.system_prompt,
        )
        tts = dataclasses.replace(self.tts, voice=p.voice or self.tts.voice)
        return dataclasses.replace(self, persona=persona, tts=tts)


def _check_type(value: Any, annotation: Any, where: str) -> Any:
    """Return value if it fits the annotation (ints are accepted for floats), else raise."""
    expected = {"str": str, "int": int, "float": float, "bool": bool}[annotation]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise AssistantError(f"{where} must be a {annotation}, not {value!r}")
    return value


def _build(cls: type, table: dict[str, Any], where: str) -> Any:
    """Build dataclass cls from a TOML table, rejecting unknown keys and wrong types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            known = ", ".join(fields)
            raise AssistantError(f"unknown option {where}{key} (known: {known})")
        f = fields[key]
        if key == "profiles" and cls is Config:
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise AssistantError("[profiles.NAME] must be tables")
            kwargs[key] = {
                name: _build(ProfileConfig, v, f"[profiles.{name}] ") for name, v in value.items()
            }
        elif dataclasses.is_dataclass(f.default_factory):
            if not isinstance(value, dict):
                raise AssistantError(f"[{key}] must be a table")
            kwargs[key] = _build(f.default_factory, value, f"[{key}] ")
        else:
            kwargs[key] = _check_type(value, f.type, f"{where}{key}")
    return cls(**kwargs)


def load(path: Path | None, required: bool = False) -> Config:
    """Read the config file; a missing optional file gives the defaults."""
    if path is None or not path.exists():
        if required and path is not None:
            raise AssistantError(f"config file not found: {path}")
        return Config()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read config file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise AssistantError(f"config file {path} is not valid TOML: {e}") from None
    try:
        return _build(Config, table, "")
    except AssistantError as e:
        raise AssistantError(f"{path}: {e}") from None


def override(config: Config, section: str, **changes: Any) -> Config:
    """Return a copy of config with some options of one section changed (for CLI flags)."""
    changed = dataclasses.replace(getattr(config, section), **changes)
    return dataclasses.replace(config, **{section: changed})
