#!/usr/bin/env bash
# Start a private, hardware-free PulseAudio server (for tests; works as root, no D-Bus, no systemd).
# Usage:  eval "$(scripts/pa_up.sh [BASE_DIR])"   -> exports XDG_RUNTIME_DIR, PULSE_SERVER, PA_PID
#         scripts/pa_down.sh [BASE_DIR]            -> stops it (by its PID only)
# Devices: sink   vspeaker  (48 kHz stereo, default sink; record it from vspeaker.monitor)
#          sink   vmic_in   (16 kHz mono; play into it to "speak into the mic")
#          source vmic      (remap of vmic_in.monitor; the default source = the virtual mic)
#          source pipemic   (module-pipe-source: raw s16le 16 kHz mono written to $BASE/mic.fifo;
#                            a FIFO source with no writer hangs on close: prefer vmic)
set -euo pipefail
command -v pulseaudio >/dev/null || { echo "pulseaudio is not installed (apt install pulseaudio pulseaudio-utils)" >&2; exit 1; }
command -v pactl >/dev/null || { echo "pactl is not installed (apt install pulseaudio-utils)" >&2; exit 1; }
BASE=${1:-${TMPDIR:-/tmp}/virtual-audio}
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
if [ -s "$BASE/pulse.pid" ] && kill -0 "$(cat "$BASE/pulse.pid")" 2>/dev/null; then
  echo "a PulseAudio started by pa_up.sh already runs for $BASE (PID $(cat "$BASE/pulse.pid")); stop it with pa_down.sh" >&2
  exit 1
fi
export XDG_RUNTIME_DIR="$BASE/run"            # socket: $XDG_RUNTIME_DIR/pulse/native
export PULSE_STATE_PATH="$BASE/state"          # keeps cookie/db out of $HOME
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$PULSE_STATE_PATH"
SOCKET="$XDG_RUNTIME_DIR/pulse/native"
cat > "$BASE/virtual.pa" <<PA
load-module module-native-protocol-unix auth-anonymous=1 socket=$SOCKET
load-module module-null-sink sink_name=vspeaker rate=48000 channels=2 sink_properties=device.description=VirtualSpeaker
load-module module-null-sink sink_name=vmic_in format=s16le rate=16000 channels=1 sink_properties=device.description=VirtualMicFeed
load-module module-remap-source master=vmic_in.monitor source_name=vmic source_properties=device.description=VirtualMic
load-module module-pipe-source source_name=pipemic file=$BASE/mic.fifo format=s16le rate=16000 channels=1 source_properties=device.description=PipeMic
set-default-sink vspeaker
set-default-source vmic
PA
# -n: no default.pa (no ALSA/udev/bluetooth/X11 modules); no realtime/nice (unprivileged containers).
# setsid: its own session, so a Ctrl+C in the caller's terminal does not reach it.
setsid pulseaudio --daemonize=no -n -F "$BASE/virtual.pa" --exit-idle-time=-1 \
  --realtime=no --high-priority=no --use-pid-file=no --disallow-exit=no \
  --log-target=file:"$BASE/pulse.log" --log-level=notice </dev/null >/dev/null 2>&1 &
PA_PID=$!
echo "$PA_PID" > "$BASE/pulse.pid"
for _ in $(seq 100); do
  if PULSE_SERVER="unix:$SOCKET" pactl info >/dev/null 2>&1; then break; fi
  if ! kill -0 "$PA_PID" 2>/dev/null; then
    rm -f "$BASE/pulse.pid"
    echo "pulseaudio died; see $BASE/pulse.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! PULSE_SERVER="unix:$SOCKET" pactl info >/dev/null 2>&1; then
  kill -TERM "$PA_PID" 2>/dev/null || true
  rm -f "$BASE/pulse.pid"
  echo "pulseaudio did not answer within 10 s; see $BASE/pulse.log" >&2
  exit 1
fi
echo "export XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' PULSE_SERVER='unix:$SOCKET' PA_PID=$PA_PID"
