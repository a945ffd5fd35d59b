"""Speech-to-text with faster-whisper, tuned for short spoken turns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.audio.frames import RATE
from assistant.config import SttConfig
from assistant.errors import AssistantError

# Whisper writes these for breath, music or noise; they are not words the user said.
_NON_SPEECH = re.compile(r"^[\s\W_]*$|^\s*[\[\(][^\]\)]*[\]\)]\s*$")


@dataclass(frozen=True)
class Transcript:
    """What was said; `text` is empty when nothing intelligible was."""

    text: str
    no_speech_prob: float = 0.0


class Transcriber(Protocol):
    """Turns one utterance (16 kHz mono float32) into text."""

    def transcribe(self, pcm: np.ndarray) -> Transcript: ...


def clean(text: str) -> str:
    """Trim Whisper's output and blank out non-speech markers like "[Music]" or "..."."""
    text = " ".join(text.split())
    return "" if _NON_SPEECH.match(text) else text


# Fast speech is ~4 words (~6 tokens) a second; a transcript far denser than this is a loop.
_MAX_TOKENS_PER_S = 10


class WhisperTranscriber:
    """faster-whisper with greedy decoding and no conditioning on earlier text.

    Short turns (up to `window_s`) are encoded in a window of that length instead of Whisper's
    fixed 30 s: the encoder's cost falls with the window, and on short speech accuracy holds
    (measured in scripts/bench.py). Longer turns use the library's normal transcribe().
    """

    def __init__(self, model_dir: Path, config: SttConfig) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.config = config
        try:
            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type="int8",
                cpu_threads=config.threads,
                local_files_only=True,
            )
        except Exception as e:  # CTranslate2 raises RuntimeError/ValueError for bad files
            raise AssistantError(f"cannot load the speech-to-text model {model_dir}: {e}") from None
        multilingual = self._model.model.is_multilingual
        language = config.language if multilingual else None
        if not multilingual and config.language not in ("en", ""):
            raise AssistantError(
                f'the speech-to-text model {model_dir} is English-only; set [stt] language = "en"'
            )
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer, multilingual, task="transcribe", language=language or "en"
        )
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self._suppress = _suppressed_tokens(self._tokenizer)

    def transcribe(self, pcm: np.ndarray) -> Transcript:
        if len(pcm) == 0:
            return Transcript("")
        seconds = len(pcm) / RATE
        short, window = self.config.short_window_s, self.config.window_s
        if 0 < short < window and seconds <= short - 0.5:
            # In the smaller window Whisper sometimes loops ("next next next ..."); more tokens
            # than anyone says in that time means it did, and the larger window decides.
            limit = int(_MAX_TOKENS_PER_S * seconds) + 8
            said = self._transcribe_window(pcm, short, limit)
            if said is not None:
                return said
        if 0 < window <= 30 and seconds <= window - 0.5:
            return self._transcribe_window(pcm, window) or Transcript("")
        return self._transcribe_full(pcm)

    def _transcribe_window(
        self, pcm: np.ndarray, window_s: float, limit: int = 224
    ) -> Transcript | None:
        """Greedy transcription in a window of window_s; None if it ran to `limit` tokens."""
        import ctranslate2
        from faster_whisper.audio import pad_or_trim

        frames = int(window_s * 100)  # 10 ms per feature frame
        features = pad_or_trim(self._model.feature_extractor(pcm.astype(np.float32)), frames)
        encoded = self._model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])), to_cpu=False
        )
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=self.config.beam_size,
            max_length=limit,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens)
        if limit < 224 and _looped(text, len(tokens), len(pcm) / RATE):
            return None
        return self._accept(text, result.no_speech_prob, result.scores[0], len(tokens))

    def _transcribe_full(self, pcm: np.ndarray) -> Transcript:
        segments, _ = self._model.transcribe(
            pcm,
            language=self.config.language or None,
            beam_size=self.config.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            temperature=0.0,
            vad_filter=False,
            no_speech_threshold=self.config.no_speech_threshold,
        )
        kept = [
            s.text
            for s in segments
            if s.no_speech_prob < self.config.no_speech_threshold or s.avg_logprob > -0.5
        ]
        return Transcript(clean(" ".join(kept)))

    def _accept(self, text: str, no_speech_prob: float, score: float, n_tokens: int) -> Transcript:
        # Whisper's own rule: drop the text when it says "no speech" and is unsure of the words.
        # CTranslate2's score is the length-normalised log probability of the sequence.
        if no_speech_prob > self.config.no_speech_threshold and score < -0.5:
            return Transcript("", no_speech_prob)
        return Transcript(clean(text), no_speech_prob)


def _looped(text: str, n_tokens: int, seconds: float) -> bool:
    """Whether a transcript repeats itself or is too dense to have been said in `seconds`.

    Repeats: Whisper's own gzip-ratio test, or a run of three or more words said twice in a
    row ("I'm glad. I'm glad."), which people seldom do and small windows sometimes produce.
    """
    from faster_whisper.transcribe import get_compression_ratio

    if n_tokens > _MAX_TOKENS_PER_S * seconds or get_compression_ratio(text) > 2.4:
        return True
    words = re.findall(r"\w+", text.lower())
    return any(
        words[i : i + k] == words[i + k : i + 2 * k]
        for k in range(3, len(words) // 2 + 1)
        for i in range(len(words) - 2 * k + 1)
    )


def _suppressed_tokens(tokenizer) -> list[int]:
    """The tokens faster-whisper suppresses by default (non-speech symbols and special tokens)."""
    from faster_whisper.transcribe import get_suppressed_tokens

    return list(get_suppressed_tokens(tokenizer, [-1]))
