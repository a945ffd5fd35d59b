#!/usr/bin/env bash
# Start a private Xvfb on a free display (for the desktop app's tests; no real display needed).
# Usage:  eval "$(scripts/x_up.sh [BASE_DIR])"   -> exports DISPLAY, XVFB_PID
#         scripts/x_down.sh [BASE_DIR]           -> stops it (by its PID only)
# apt: xvfb xauth x11-utils (xdpyinfo); the app's tests also use xdotool and trayer.
set -euo pipefail
command -v Xvfb >/dev/null || { echo "Xvfb is not installed (apt install xvfb)" >&2; exit 1; }
BASE=${1:-${TMPDIR:-/tmp}/virtual-x}
mkdir -p "$BASE"
rm -f "$BASE/display"
# -displayfd: Xvfb picks a free display number and writes it to fd 3 when ready to accept clients
# setsid: its own session, so a Ctrl+C in the caller's terminal does not reach it.
setsid Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$BASE/display" >"$BASE/xvfb.log" 2>&1 &
XVFB_PID=$!
echo "$XVFB_PID" > "$BASE/xvfb.pid"
for _ in $(seq 100); do
  [ -s "$BASE/display" ] && break
  kill -0 "$XVFB_PID" 2>/dev/null || { echo "Xvfb died; see $BASE/xvfb.log" >&2; exit 1; }
  sleep 0.05
done
D=":$(tr -d '\n' < "$BASE/display")"
DISPLAY=$D xdpyinfo >/dev/null 2>&1 || { echo "Xvfb not answering on $D" >&2; exit 1; }
echo "export DISPLAY='$D' XVFB_PID=$XVFB_PID"
