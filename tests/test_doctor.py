"""`assistant doctor` and the echo-cancellation detection behind barge_in = "auto".

The command runs as a subprocess (one line per check, exit 1 on a problem, never a traceback),
against a private PulseAudio (the `pulse` fixture) or with no sound server at all. The pactl
parser is checked on PulseAudio's and PipeWire's real listing formats.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from assistant.audio import echo
from assistant.config import AudioConfig
from tests.conftest import ASSISTANT, ROOT, run_env

LINE = re.compile(r"^(ok|warning|problem) {1,3}[a-z -]+: \S")


def doctor(home: Path, *args: str, env: dict[str, str] | None = None):
    result = subprocess.run(
        [*ASSISTANT, "doctor", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env or run_env(home),
        cwd=ROOT,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def lines(result) -> dict[str, str]:
    """The report as {what: line}; every line must be one well-formed check."""
    out = {}
    for line in result.stdout.splitlines():
        assert LINE.match(line), line
        what = line[9:].split(":", 1)[0]
        out[what] = line
    return out


def no_server_env(home: Path) -> dict[str, str]:
    env = run_env(home)
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(home / "run")
    env["PULSE_SERVER"] = f"unix:{home / 'run' / 'no-such-socket'}"
    return env


def _no_sound_card() -> bool:
    cards = Path("/proc/asound/cards")
    return not cards.exists() or "no soundcards" in cards.read_text()


# -- the whole report ----------------------------------------------------------------------------


@pytest.mark.audio
@pytest.mark.timeout(120)
def test_doctor_all_well_on_a_working_set_up(pulse, tmp_path, default_config):
    result = doctor(tmp_path)
    report = lines(result)
    assert result.returncode == 0, result.stdout
    for what in ("sound server", "microphone", "speaker", "data directory", "memory"):
        assert report[what].startswith("ok "), report[what]
    assert "pulseaudio" in report["sound server"].lower()
    for role in ("stt", "llm", "tts", "embedder", "vad"):
        assert report[f"model {role}"].startswith("ok "), report
    # The virtual mic hears the speaker unfiltered: a warning saying what to do, barge-in off.
    assert report["echo"].startswith("warning ") and "--setup-echo-cancel" in report["echo"]
    assert '"auto" → off' in report["barge-in"]
    # Nothing was created: no data directory, no database.
    assert not (tmp_path / "data" / "assistant").exists()


@pytest.mark.timeout(120)
def test_doctor_without_a_sound_server_says_so_and_fails(tmp_path):
    if not _no_sound_card():
        pytest.skip("this machine has a sound card: PortAudio would find it without a server")
    result = doctor(tmp_path, env=no_server_env(tmp_path))
    report = lines(result)
    assert result.returncode == 1, result.stdout
    assert report["sound server"].startswith("problem ")
    assert "start it" in report["sound server"]
    assert report["microphone"].startswith("problem ")
    assert report["speaker"].startswith("problem ")
    assert "no sound server answers" in report["echo"]
    assert '"auto" → off' in report["barge-in"]  # unknown echo: half-duplex, never on


@pytest.mark.timeout(120)
def test_doctor_reports_a_corrupt_memory_database_and_leaves_it_alone(tmp_path):
    data = tmp_path / "mydata"
    data.mkdir()
    db = data / "memory.sqlite3"
    junk = b"SQLite format 3\x00" + os.urandom(4000)
    db.write_bytes(junk)
    result = doctor(tmp_path, "--data-dir", str(data), env=no_server_env(tmp_path))
    report = lines(result)
    assert result.returncode == 1
    assert report["memory"].startswith("problem ") and "corrupt" in report["memory"]
    assert "left untouched" in report["memory"]
    assert db.read_bytes() == junk
    assert sorted(p.name for p in data.iterdir()) == ["memory.sqlite3"]  # no -wal, no -journal


@pytest.mark.timeout(120)
def test_doctor_counts_the_memories_of_a_good_database(tmp_path):
    from assistant.memory.store import MemoryStore

    data = tmp_path / "mydata"
    store = MemoryStore(data / "memory.sqlite3")
    store._db.execute(
        "INSERT INTO memories (id, profile, kind, text, at, created) "
        "VALUES ('m1', 'default', 'note', 'likes tea', 0, 0)"
    )
    store.close()
    report = lines(doctor(tmp_path, "--data-dir", str(data), env=no_server_env(tmp_path)))
    assert report["memory"].startswith("ok ") and "(1 memories)" in report["memory"]
    assert report["data directory"].startswith("ok ")


@pytest.mark.timeout(120)
def test_doctor_reports_a_missing_model_a_bad_data_dir_and_a_bad_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nmodel = "/no/such/model.gguf"\n')
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = no_server_env(tmp_path)
    result = doctor(tmp_path, "--config", str(config), "--data-dir", str(blocker / "data"), env=env)
    report = lines(result)
    assert result.returncode == 1
    assert (
        report["model llm"].startswith("problem ") and "/no/such/model.gguf" in report["model llm"]
    )
    assert report["model stt"].startswith("ok ")
    assert report["data directory"].startswith("problem ")
    assert "not a directory" in report["data directory"]

    config.write_text("[audio\nbarge_in = 'auto'\n")
    report = lines(result := doctor(tmp_path, "--config", str(config), env=env))
    assert result.returncode == 1
    assert report["config"].startswith("problem ") and "not valid TOML" in report["config"]
    assert "model llm" in report  # the other checks still ran, with the defaults


@pytest.mark.timeout(120)
def test_setup_echo_cancel_without_a_sound_server_fails_in_one_line(tmp_path):
    result = doctor(tmp_path, "--setup-echo-cancel", env=no_server_env(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("assistant: error: no sound server")


def test_without_pactl_nothing_is_echo_cancelled(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pactl on it
    assert echo.pactl_missing()
    state = echo.check(AudioConfig())
    assert not state.cancelled and state.why == "pactl is not installed"
    assert echo.barge_in(AudioConfig()) is False
    assert echo.barge_in(AudioConfig(barge_in="on")) is True
    assert echo.barge_in(AudioConfig(), file_input=True) is True


# -- barge_in = "auto" ---------------------------------------------------------------------------


def test_barge_in_auto_is_on_only_where_the_mic_cannot_hear_the_speaker():
    assert AudioConfig().barge_in_on() is False
    assert AudioConfig(headphones=True).barge_in_on() is True
    assert AudioConfig().barge_in_on(file_input=True) is True
    assert AudioConfig(barge_in="off").barge_in_on(file_input=True) is False
    assert AudioConfig(barge_in="on").barge_in_on() is True
    # An echo-cancelled source (as the sound server says, never a device name) turns it on: the
    # echo guard keeps its residual echo from starting a turn (tests/test_echo_loop.py).
    assert AudioConfig(input_device="echo-cancel source").barge_in_on() is False
    assert AudioConfig().barge_in_on(echo_cancelled=True) is True
    assert AudioConfig(barge_in="off").barge_in_on(echo_cancelled=True) is False


# -- reading pactl -------------------------------------------------------------------------------

PULSEAUDIO_SOURCES = """Source #2
\tState: RUNNING
\tName: vmic
\tDescription: VirtualMic
\tDriver: module-remap-source.c
\tOwner Module: 3
\tMonitor of Sink: n/a
\tProperties:
\t\tdevice.master_device = "vmic_in.monitor"
\t\tdevice.description = "VirtualMic"

Source #4
\tState: IDLE
\tName: assistant_aec_source
\tDescription: VirtualMic (echo cancelled with VirtualSpeaker)
\tDriver: module-echo-cancel.c
\tOwner Module: 11
\tMonitor of Sink: n/a
\tProperties:
\t\tdevice.master_device = "vmic"
\t\tdevice.class = "filter"
\t\tdevice.intended_roles = "phone"

Source #5
\tState: IDLE
\tName: assistant_aec_sink.monitor
\tDescription: Monitor of VirtualSpeaker (echo cancelled with VirtualMic)
\tDriver: module-echo-cancel.c
\tOwner Module: 11
\tMonitor of Sink: assistant_aec_sink
\tProperties:
\t\tdevice.class = "monitor"
"""

# pipewire-pulse: every driver is "PipeWire"; the echo canceller is known by its node names.
PIPEWIRE_SOURCES = """Source #48
\tState: SUSPENDED
\tName: alsa_input.pci-0000_00_1f.3.analog-stereo
\tDescription: Built-in Audio Analog Stereo
\tDriver: PipeWire
\tOwner Module: n/a
\tMonitor of Sink: n/a
\tProperties:
\t\tnode.name = "alsa_input.pci-0000_00_1f.3.analog-stereo"
\t\tmedia.class = "Audio/Source"

Source #71
\tState: RUNNING
\tName: echo-cancel-source
\tDescription: Echo-Cancel Source
\tDriver: PipeWire
\tOwner Module: n/a
\tMonitor of Sink: n/a
\tProperties:
\t\tnode.name = "echo-cancel-source"
\t\tnode.description = "Echo-Cancel Source"
\t\tmedia.class = "Audio/Source"
"""


def test_parses_pulseaudio_sources_and_tells_a_cancelled_mic_from_a_monitor():
    vmic, aec, monitor = echo.parse_nodes(PULSEAUDIO_SOURCES, "source")
    assert (vmic.index, vmic.name, vmic.driver, vmic.module) == (
        2,
        "vmic",
        "module-remap-source.c",
        "3",
    )
    assert aec.properties["device.class"] == "filter" and aec.monitor_of == ""
    assert monitor.monitor_of == "assistant_aec_sink"
    assert not echo.is_echo_cancel(vmic)
    assert echo.is_echo_cancel(aec)
    assert not echo.is_echo_cancel(monitor)  # records the canceller's output, not the mic
    loaded = {"11": ("module-echo-cancel", "aec_method=webrtc")}
    renamed = echo.Node("source", 9, "mymic", "My mic", "", "11")
    assert echo.is_echo_cancel(renamed, loaded)  # known by its owner module alone


def test_parses_pipewire_sources():
    builtin, aec = echo.parse_nodes(PIPEWIRE_SOURCES, "source")
    assert builtin.module == "" and aec.name == "echo-cancel-source"
    assert not echo.is_echo_cancel(builtin)
    assert echo.is_echo_cancel(aec)


def test_setup_falls_back_to_another_aec_method(monkeypatch):
    """When webrtc does not load, the next method is tried; the first that loads is kept."""
    srv = echo.Server("pulseaudio", "16.1", "alsa_input.mic", "alsa_output.speakers")
    monkeypatch.setattr(echo, "server", lambda: srv)
    monkeypatch.setattr(echo, "modules", lambda: {})
    calls = []

    def run(*args):
        calls.append(args)
        if args[0] == "load-module":
            if "aec_method=speex" in args:
                return 0, "27\n"
            return 1, "Failure: Module initialization failed"
        return 0, ""

    done = echo.setup(run=run)
    assert (done.module, done.method, done.loaded_now) == ("27", "speex", True)
    loads = [c for c in calls if c[0] == "load-module"]
    assert [next(a for a in c if a.startswith("aec_method=")) for c in loads] == [
        "aec_method=webrtc",
        "aec_method=webrtc",
        "aec_method=webrtc",
        "aec_method=speex",
    ]
    # The quoted aec_args stays one argument; the masters are what played and recorded before.
    assert 'aec_args="analog_gain_control=0 digital_gain_control=0 extended_filter=1"' in loads[0]
    assert (
        "source_master=alsa_input.mic" in loads[0]
        and "sink_master=alsa_output.speakers" in loads[0]
    )
    assert calls[-2:] == [
        ("set-default-source", echo.AEC_SOURCE),
        ("set-default-sink", echo.AEC_SINK),
    ]
    # The permanent line leaves the masters to the sound server (device names change).
    line = echo.permanent_pulseaudio(done)
    assert "load-module module-echo-cancel aec_method=speex" in line and "master" not in line


def test_setup_reports_when_no_method_loads(monkeypatch):
    from assistant.errors import AssistantError

    monkeypatch.setattr(echo, "server", lambda: echo.Server("pulseaudio", "16.1", "a", "b"))
    monkeypatch.setattr(echo, "modules", lambda: {})
    with pytest.raises(AssistantError, match="could not load module-echo-cancel"):
        echo.setup(run=lambda *a: (1, "Failure: No such entity"))
