"""The settings panel: profile, voice, models, audio devices, hotkey, activation mode and look.

Saving writes only the changed options into the config file (comments kept, see settings_file)
and emits `saved(config, changes)` so the app can apply them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.config import ACTIVATIONS, THEMES, Config
from assistant.errors import AssistantError
from assistant.ui import settings_file

ACTIVATION_LABELS = {
    "hotkey": "Press to talk, press again to stop",
    "push_to_talk": "Hold Talk to talk",
    "always": "Always listening",
    "wake_word": "Say the wake word",
}


def _combo(items: list[tuple[str, str]], current: str, editable: bool = False) -> QComboBox:
    """A combo box of (label, value) items with `current` selected (added if unknown)."""
    box = QComboBox()
    box.setEditable(editable)
    for label, value in items:
        box.addItem(label, value)
    i = box.findData(current)
    if i < 0:
        box.addItem(current, current)
        i = box.count() - 1
    box.setCurrentIndex(i)
    return box


def _value(box: QComboBox) -> str:
    if box.isEditable() and box.currentText() != box.itemText(box.currentIndex()):
        return box.currentText().strip()
    data = box.currentData()
    return str(data) if data is not None else box.currentText().strip()


def _catalogue(role: str) -> list[tuple[str, str]]:
    try:
        from assistant.models import registry

        return [(e.name, e.name) for e in registry.catalogue().values() if e.role == role]
    except Exception:  # the catalogue is a nicety here; typing a name or path still works
        return []


def _devices(kind: str) -> list[tuple[str, str]]:
    try:
        from assistant.audio.devices import list_devices

        key = "inputs" if kind == "input" else "outputs"
        return [(d["name"], d["name"]) for d in list_devices() if d[key] > 0]
    except Exception:  # no sound server: only the system default is offered
        return []


class SettingsPanel(QWidget):
    """A form over the settings the window can change."""

    saved = Signal(object, object)  # (Config, {section: {key: value}} that changed)

    def __init__(self, config: Config, path: Path, profile: str, profiles: list[str]):
        super().__init__()
        self.setObjectName("page")
        self.config = config
        self.path = path
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        form = QFormLayout()
        form.setSpacing(10)
        names = sorted({"default", profile, *config.profiles, *profiles})
        self.profile = _combo([(n, n) for n in names], profile, editable=True)
        self.voice = _combo(
            [("Default (Joe)", "default"), *_catalogue("tts")], config.tts.voice, editable=True
        )
        self.stt = _combo(
            [("Default (Whisper tiny.en)", "default"), *_catalogue("stt")],
            config.stt.model,
            editable=True,
        )
        self.llm = _combo(
            [("Default (SmolLM2 135M)", "default"), *_catalogue("llm")],
            config.llm.model,
            editable=True,
        )
        # Devices are listed when the panel is first shown: asking the sound server takes time
        # that the window's first frame should not wait for.
        self.mic = _combo([("System default", "")], config.audio.input_device)
        self.speaker = _combo([("System default", "")], config.audio.output_device)
        self._devices_listed = False
        self.hotkey = QKeySequenceEdit(QKeySequence(config.ui.hotkey))
        self.activation = _combo(
            [(ACTIVATION_LABELS[a], a) for a in ACTIVATIONS], config.ui.activation
        )
        self.theme = _combo([(t.capitalize(), t) for t in THEMES], config.ui.theme)
        form.addRow("Profile", self.profile)
        form.addRow("Voice", self.voice)
        form.addRow("Speech model", self.stt)
        form.addRow("Language model", self.llm)
        form.addRow("Microphone", self.mic)
        form.addRow("Speaker", self.speaker)
        form.addRow("Hotkey", self.hotkey)
        form.addRow("Talking", self.activation)
        form.addRow("Look", self.theme)
        box.addLayout(form)
        box.addStretch(1)
        row = QHBoxLayout()
        self.status = QLabel(f"Settings file: {path}")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save")
        row.addWidget(self.status, 1)
        row.addWidget(self.save_button)
        box.addLayout(row)
        self.save_button.clicked.connect(self.save)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.list_devices()

    def list_devices(self) -> None:
        """Offer the sound server's microphones and speakers (once)."""
        if self._devices_listed:
            return
        self._devices_listed = True
        for box, kind in ((self.mic, "input"), (self.speaker, "output")):
            current = _value(box)
            for label, value in _devices(kind):
                if box.findData(value) < 0:
                    box.addItem(label, value)
            box.setCurrentIndex(max(0, box.findData(current)))

    def changes(self) -> dict[str, dict[str, Any]]:
        """The options whose values differ from the current config."""
        c = self.config
        wanted = {
            ("ui", "profile"): (_value(self.profile) or "default", c.ui.profile),
            ("tts", "voice"): (_value(self.voice) or "default", c.tts.voice),
            ("stt", "model"): (_value(self.stt) or "default", c.stt.model),
            ("llm", "model"): (_value(self.llm) or "default", c.llm.model),
            ("audio", "input_device"): (_value(self.mic), c.audio.input_device),
            ("audio", "output_device"): (_value(self.speaker), c.audio.output_device),
            ("ui", "hotkey"): (
                self.hotkey.keySequence().toString(QKeySequence.SequenceFormat.PortableText),
                c.ui.hotkey,
            ),
            ("ui", "activation"): (_value(self.activation), c.ui.activation),
            ("ui", "theme"): (_value(self.theme), c.ui.theme),
        }
        out: dict[str, dict[str, Any]] = {}
        for (section, key), (new, old) in wanted.items():
            if new != old and not (key == "hotkey" and not new):
                out.setdefault(section, {})[key] = new
        return out

    def save(self) -> bool:
        """Write the changes to the config file; False (and the reason shown) if invalid."""
        changes = self.changes()
        if not changes:
            self.status.setText("Nothing changed")
            return True
        if "profile" in changes.get("ui", {}):
            from assistant.memory.store import check_profile

            try:
                check_profile(changes["ui"]["profile"])
            except AssistantError as e:
                self.status.setText(str(e))
                return False
        try:
            self.config = settings_file.save(self.path, changes)
        except AssistantError as e:
            self.status.setText(str(e))
            return False
        self.status.setText(f"Saved to {self.path}")
        self.saved.emit(self.config, changes)
        return True
