"""The optional wake word: the real bundled model hears "Hey Jarvis" spoken by the real voice."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soxr

from assistant.audio.files import FileMicrophone
from assistant.errors import AssistantError
from assistant.ui.wakeword import WakeWordDetector, WakeWordMicrophone

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def speak(default_config):
    from assistant.loader import load_tts

    tts = load_tts(default_config)

    def say(text: str) -> np.ndarray:
        pcm = np.concatenate(list(tts.synthesize(text)))
        pcm = soxr.resample(pcm, tts.sample_rate, 16_000).astype(np.float32)
        pad = np.zeros(8_000, np.float32)
        return np.concatenate([pad, pcm, pad, pad])

    return say


def test_detector_hears_the_wake_word_and_not_other_speech(speak):
    detector = WakeWordDetector("hey_jarvis")
    quiet = speak("Good morning, how are you today?")
    assert not any(detector.feed(quiet[i : i + 1280]) for i in range(0, len(quiet), 1280))
    wake = speak("Hey Jarvis!")
    assert any(detector.feed(wake[i : i + 1280]) for i in range(0, len(wake), 1280))


def test_microphone_wrapper_passes_frames_through_and_reports_the_wake_word(speak):
    pcm = np.concatenate([speak("Good morning."), speak("Hey Jarvis!")])
    heard = threading.Event()
    mic = WakeWordMicrophone(  # in real time, as a microphone delivers it
        FileMicrophone(pcm, realtime=True), WakeWordDetector("hey_jarvis"), heard.set
    )
    frames = list(mic.frames())
    assert np.array_equal(np.concatenate([f.pcm for f in frames])[: len(pcm)], pcm)
    assert heard.wait(30)
    mic.close()

    disarmed = threading.Event()
    mic = WakeWordMicrophone(
        FileMicrophone(speak("Hey Jarvis!"), realtime=False),
        WakeWordDetector("hey_jarvis"),
        disarmed.set,
        armed=lambda: False,  # already listening: the detector rests
    )
    list(mic.frames())
    mic.close()
    assert not disarmed.is_set()


def test_unknown_wake_word():
    with pytest.raises(AssistantError, match="unknown wake word"):
        WakeWordDetector("hey_computer")
