#!/usr/bin/env bash
# Stop the PulseAudio started by pa_up.sh for BASE_DIR, by its recorded PID only.
# Usage: scripts/pa_down.sh [BASE_DIR]
set -u
BASE=${1:-${TMPDIR:-/tmp}/virtual-audio}
PID=$(cat "$BASE/pulse.pid" 2>/dev/null) || exit 0
case "$PID" in ''|*[!0-9]*) rm -f "$BASE/pulse.pid"; exit 0 ;; esac
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID"
  for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi
fi
rm -f "$BASE/pulse.pid"
