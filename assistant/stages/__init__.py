"""The model stages of a turn: VAD, speech-to-text, language model, text-to-speech."""
