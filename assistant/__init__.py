"""assistant: a private, voice-first desktop companion that runs entirely on this machine."""

import os

__version__ = "0.1.0"

# Threads of the OpenMP runtimes (CTranslate2's Whisper, llama.cpp) sleep instead of spinning
# while they wait: on 2 cores, spinning threads of one model stalled the others. Measured
# beside a busy language model thread: speech-to-text of a command 295–527 ms spinning, 176–184
# ms sleeping (105 vs 144–172 ms alone). Set before any of them loads; the user's value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
