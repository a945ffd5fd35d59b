"""Echo cancellation on the sound server: is the microphone echo-cancelled; setting it up.

Asks PulseAudio (or PipeWire's PulseAudio server) through `pactl`, with a short timeout, never the
network. Without `pactl` or a running server the answer is "not echo-cancelled", so barge-in stays
off where it is not known to be safe.

The microphone and speaker are opened through PortAudio, which reaches the sound server through
ALSA's `pulse`/`default`/`pipewire` devices: those use the server's default source and sink (or
$PULSE_SOURCE / $PULSE_SINK). An echo-cancelled source only removes what is played through the
sink of the same echo canceller, so both are checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.config import AudioConfig
from assistant.errors import AssistantError

# pactl answers in milliseconds; a hung server must not hold up starting a conversation.
PACTL_TIMEOUT_S = 3.0
AEC_SOURCE = "assistant_aec_source"
AEC_SINK = "assistant_aec_sink"
# Tried in order by setup(): webrtc cancels best; speex and adrian exist in older builds.
# The gain controls are off so that the canceller neither moves the microphone's volume nor
# amplifies what echo remains; the extended filter copes with the longer, varying echo delays
# of a desktop sound path (measured on a looped-back speaker: 25-55 dB removed with it,
# 5-20 dB without; see tests/test_echo_loop.py).
AEC_ATTEMPTS = (
    ("webrtc", 'aec_args="analog_gain_control=0 digital_gain_control=0 extended_filter=1"'),
    ("webrtc", 'aec_args="analog_gain_control=0"'),
    ("webrtc", ""),
    ("speex", ""),
    ("adrian", ""),
)
# PortAudio (ALSA) devices that go through the sound server's default source and sink.
SERVER_DEVICES = ("pulse", "default", "pipewire")
# Echo-cancel nodes: PulseAudio's module-echo-cancel, PipeWire's libpipewire-module-echo-cancel.
_ECHO_NAME = re.compile(r"echo[-_ ]?cancel|\baec\b|_aec_|\.aec\b", re.IGNORECASE)


def pactl_missing() -> bool:
    """Whether the pactl command is not installed."""
    return shutil.which("pactl") is None


def pactl(*args: str, timeout: float = PACTL_TIMEOUT_S) -> str | None:
    """pactl's output (in English), or None without pactl, without a server, or on failure."""
    out = _pactl(*args, timeout=timeout)
    return out[1] if out is not None and out[0] == 0 else None


def _pactl(*args: str, timeout: float = PACTL_TIMEOUT_S) -> tuple[int, str] | None:
    """(exit code, stdout + stderr) of pactl, or None when it cannot run."""
    exe = shutil.which("pactl")
    if exe is None:
        return None
    env = dict(os.environ, LC_ALL="C")  # its labels ("Name:", "Driver:") are translated otherwise
    try:
        done = subprocess.run(
            [exe, *args], capture_output=True, text=True, timeout=timeout, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return done.returncode, (done.stderr or done.stdout).strip()
    return 0, done.stdout


@dataclass(frozen=True)
class Server:
    """What `pactl info` says about the sound server."""

    name: str
    version: str
    default_source: str
    default_sink: str

    @property
    def pipewire(self) -> bool:
        return "pipewire" in self.name.lower()

    @property
    def label(self) -> str:
        return self.name if self.pipewire else f"{self.name} {self.version}".strip()


@dataclass(frozen=True)
class Node:
    """A source or sink as `pactl list sources|sinks` shows it."""

    kind: str  # "source" or "sink"
    index: int
    name: str
    description: str = ""
    driver: str = ""
    module: str = ""  # owner module's index ("" when none)
    monitor_of: str = ""  # a source that records a sink: that sink's name
    properties: dict[str, str] = field(default_factory=dict)


def server() -> Server | None:
    """The running sound server, or None when none answers."""
    out = pactl("info")
    if out is None:
        return None
    info = _fields(out)
    return Server(
        name=info.get("Server Name", ""),
        version=info.get("Server Version", ""),
        default_source=info.get("Default Source", ""),
        default_sink=info.get("Default Sink", ""),
    )


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key and key not in out:
            out[key] = value.strip()
    return out


def nodes(kind: str) -> list[Node]:
    """All sources (kind "source") or sinks ("sink") of the sound server ([] without one)."""
    out = pactl("list", f"{kind}s")
    return parse_nodes(out, kind) if out else []


def parse_nodes(text: str, kind: str) -> list[Node]:
    """Parse `LC_ALL=C pactl list sources` (or sinks)."""
    found: list[Node] = []
    header = re.compile(rf"^{kind.capitalize()} #(\d+)\s*$")
    block: dict[str, str] = {}
    props: dict[str, str] = {}
    index = -1
    in_props = False

    def close() -> None:
        if index >= 0:
            module = block.get("Owner Module", "")
            found.append(
                Node(
                    kind,
                    index,
                    block.get("Name", ""),
                    block.get("Description", ""),
                    block.get("Driver", ""),
                    module if module.isdigit() else "",
                    ""
                    if block.get("Monitor of Sink", "n/a") == "n/a"
                    else block["Monitor of Sink"],
                    dict(props),
                )
            )

    for line in text.splitlines():
        m = header.match(line)
        if m:
            close()
            index, block, props, in_props = int(m.group(1)), {}, {}, False
            continue
        if index < 0 or not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        stripped = line.strip()
        if depth == 1:
            in_props = stripped == "Properties:"
            key, sep, value = stripped.partition(":")
            if sep and key not in block:
                block[key] = value.strip()
        elif in_props and depth >= 2:
            key, sep, value = stripped.partition(" = ")
            if sep:
                props[key.strip()] = value.strip().strip('"')
    close()
    return found


def modules() -> dict[str, tuple[str, str]]:
    """Loaded modules: index → (name, arguments)."""
    out = pactl("list", "short", "modules") or ""
    found: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip().isdigit():
            found[parts[0].strip()] = (parts[1].strip(), parts[2].strip() if len(parts) > 2 else "")
    return found


def is_echo_cancel(node: Node, loaded: dict[str, tuple[str, str]] | None = None) -> bool:
    """Whether a source/sink belongs to an echo canceller (PulseAudio or PipeWire)."""
    if node.monitor_of:  # what the canceller's sink plays, not a cancelled microphone
        return False
    if "echo-cancel" in node.driver or "echo_cancel" in node.driver:
        return True
    if loaded and node.module in loaded and "echo-cancel" in loaded[node.module][0]:
        return True
    names = [
        node.name,
        node.description,
        node.properties.get("node.name", ""),
        node.properties.get("node.description", ""),
        node.properties.get("device.description", ""),
    ]
    return any(_ECHO_NAME.search(n) for n in names if n)


@dataclass(frozen=True)
class Echo:
    """Whether the microphone in use is echo-cancelled, and why (one line for a person)."""

    cancelled: bool
    why: str
    server: Server | None = None
    source: Node | None = None  # the source the microphone reads (None: not via the server)
    sink: Node | None = None  # the sink the speaker plays to


def _device_name(spec: str, kind: str) -> str | None:
    """The PortAudio device name `spec` opens ("" = the default device); None if unknown."""
    try:
        from assistant.audio.devices import find_device, list_devices

        index = find_device(spec, kind)
        rows = list_devices()
    except AssistantError:
        return None
    if index is None:
        flag = "default_input" if kind == "input" else "default_output"
        index = next((r["index"] for r in rows if r[flag]), None)
    return next((r["name"] for r in rows if r["index"] == index), None)


def _node_for(
    spec: str, device: str | None, kind: str, default: str, all_nodes: list[Node]
) -> Node | None:
    """The server's source/sink a PortAudio device reaches, or None if it bypasses the server."""

    def by_name(name: str) -> Node | None:
        low = name.strip().lower()
        return next(
            (n for n in all_nodes if low and low in (n.name.lower(), n.description.lower())), None
        )

    if device is None:
        # PortAudio does not list it: a sound-server name given directly (say, the AEC source).
        return by_name(spec)
    if device.strip().lower() in SERVER_DEVICES:
        env = os.environ.get("PULSE_SOURCE" if kind == "source" else "PULSE_SINK", "")
        return by_name(env or default) or by_name(default)
    return by_name(device)  # a PortAudio build with a PulseAudio host API lists nodes by name


def check(audio: AudioConfig) -> Echo:
    """Whether the configured microphone is echo-cancelled for the configured speaker."""
    srv = server()
    if srv is None:
        why = "no sound server answers" if shutil.which("pactl") else "pactl is not installed"
        return Echo(False, why)
    loaded = modules()
    sources = nodes("source")
    sinks = nodes("sink")
    mic = _node_for(
        audio.input_device,
        _device_name(audio.input_device, "input"),
        "source",
        srv.default_source,
        sources,
    )
    spk = _node_for(
        audio.output_device,
        _device_name(audio.output_device, "output"),
        "sink",
        srv.default_sink,
        sinks,
    )
    if mic is None:
        return Echo(False, "the microphone does not go through the sound server", srv, mic, spk)
    if not is_echo_cancel(mic, loaded):
        return Echo(False, f"the microphone {mic.name} is not echo-cancelled", srv, mic, spk)
    if spk is None or not is_echo_cancel(spk, loaded):
        where = spk.name if spk else "a device outside the sound server"
        return Echo(
            False,
            f"the microphone {mic.name} is echo-cancelled, but the speaker plays to {where}, "
            "not the echo canceller's sink, so its sound is not removed",
            srv,
            mic,
            spk,
        )
    if mic.module and spk.module and mic.module != spk.module:
        return Echo(
            False,
            f"the microphone {mic.name} and the speaker {spk.name} belong to different echo "
            "cancellers",
            srv,
            mic,
            spk,
        )
    return Echo(True, f"the microphone {mic.name} is echo-cancelled", srv, mic, spk)


def cancelled(audio: AudioConfig) -> bool:
    """Whether the microphone in use is echo-cancelled (False whenever it cannot be told)."""
    try:
        return check(audio).cancelled
    except Exception:  # a strange server or pactl output must never stop a conversation
        return False


def barge_in(audio: AudioConfig, file_input: bool = False) -> bool:
    """Whether barge-in is on for this set-up (`[audio] barge_in`; see AudioConfig.barge_in_on).

    Asks the sound server only when it matters: "auto" with a live mic and no headphones.
    """
    if audio.barge_in_on(file_input=file_input) or audio.barge_in != "auto":
        return audio.barge_in_on(file_input=file_input)
    return audio.barge_in_on(echo_cancelled=cancelled(audio))


@dataclass(frozen=True)
class Setup:
    """What setup() did."""

    module: str  # index of the loaded module-echo-cancel
    method: str  # the aec_method that loaded
    arguments: str  # the module arguments (for a permanent config line)
    loaded_now: bool  # False: it was already loaded


def setup(
    source_master: str = "",
    sink_master: str = "",
    run: Callable[..., tuple[int, str] | None] = _pactl,
) -> Setup:
    """Load module-echo-cancel (first aec_method that works) and make its source and sink default.

    Raises AssistantError (one line) when there is no server or no method loads.
    """
    srv = server()
    if srv is None:
        raise AssistantError(
            "no sound server answers: start PulseAudio or PipeWire (pipewire-pulse) first"
        )
    loaded = modules()
    for index, (name, args) in loaded.items():
        if "echo-cancel" in name and f"source_name={AEC_SOURCE}" in args:
            _make_default(run)
            return Setup(index, _arg(args, "aec_method") or "webrtc", args, loaded_now=False)
    # Masters: what plays and records now (not an echo canceller already in place).
    source_master = source_master or srv.default_source
    sink_master = sink_master or srv.default_sink
    masters = []
    if source_master and not _ECHO_NAME.search(source_master):
        masters.append(f"source_master={source_master}")
    if sink_master and not _ECHO_NAME.search(sink_master):
        masters.append(f"sink_master={sink_master}")
    errors = []
    for method, extra in AEC_ATTEMPTS:
        args = " ".join(
            a
            for a in (
                f"aec_method={method}",
                extra,
                f"source_name={AEC_SOURCE}",
                f"sink_name={AEC_SINK}",
                *masters,
            )
            if a
        )
        done = run("load-module", "module-echo-cancel", *_split(args))
        if done is None:
            raise AssistantError("pactl could not be run (install pulseaudio-utils)")
        code, out = done
        if code == 0 and out.strip().isdigit():
            _make_default(run)
            return Setup(out.strip(), method, args, loaded_now=True)
        errors.append(f"{method}: {out.strip() or f'exit {code}'}")
    raise AssistantError(
        "the sound server could not load module-echo-cancel (" + "; ".join(errors) + ")"
    )


def _split(args: str) -> list[str]:
    """Module arguments as pactl's argv (a quoted aec_args="a=1 b=2" stays one argument)."""
    return re.findall(r'\S+="[^"]*"|\S+', args)


def _arg(args: str, key: str) -> str:
    m = re.search(rf"\b{key}=(\S+)", args)
    return m.group(1) if m else ""


def _make_default(run: Callable[..., tuple[int, str] | None]) -> None:
    for what, name in (("set-default-source", AEC_SOURCE), ("set-default-sink", AEC_SINK)):
        done = run(what, name)
        if done is None or done[0] != 0:
            raise AssistantError(
                f"loaded the echo canceller but could not make {name} the default "
                f"({done[1] if done else 'pactl failed'}); run: pactl {what} {name}"
            )


def permanent_pulseaudio(setup_: Setup) -> str:
    """Lines for ~/.config/pulse/default.pa that load the echo canceller at every login."""
    # Without masters it filters the defaults at login (device names can change between boots).
    args = " ".join(
        a for a in _split(setup_.arguments) if not a.startswith(("source_master=", "sink_master="))
    )
    return (
        ".include /etc/pulse/default.pa\n"
        f"load-module module-echo-cancel {args}\n"
        f"set-default-source {AEC_SOURCE}\n"
        f"set-default-sink {AEC_SINK}\n"
    )


def permanent_pipewire() -> str:
    """A file for ~/.config/pipewire/pipewire.conf.d/ that creates the echo canceller."""
    return (
        "context.modules = [\n"
        "  { name = libpipewire-module-echo-cancel\n"
        "    args = {\n"
        "      library.name = aec/libspa-aec-webrtc\n"
        "      aec.args = { webrtc.extended_filter = true webrtc.gain_control = false }\n"
        '      capture.props = { node.name = "assistant_aec_capture" }\n'
        f'      source.props = {{ node.name = "{AEC_SOURCE}" '
        'node.description = "Echo-cancelled microphone" }\n'
        f'      sink.props = {{ node.name = "{AEC_SINK}" '
        'node.description = "Echo-cancelled speaker" }\n'
        '      playback.props = { node.name = "assistant_aec_playback" }\n'
        "    }\n"
        "  }\n"
        "]\n"
    )
