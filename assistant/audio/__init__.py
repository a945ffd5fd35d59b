"""Audio: pure PCM helpers, the microphone/speaker interfaces, and their file and device forms."""
