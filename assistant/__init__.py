"""assistant: a private, voice-first desktop companion that runs entirely on this machine."""

__version__ = "0.1.0"
