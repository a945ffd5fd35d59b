#!/usr/bin/env bash
# Stop the Xvfb started by scripts/x_up.sh for BASE_DIR (by its recorded PID, never by name).
BASE=${1:-${TMPDIR:-/tmp}/virtual-x}
PID=$(cat "$BASE/xvfb.pid" 2>/dev/null) || exit 0
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID"
  for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
fi
rm -f "$BASE/xvfb.pid"
