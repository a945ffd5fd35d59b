"""Benchmark how late microphone frames reach the engine, for several capture block sizes.

Usage (from the checkout):

    .venv/bin/python scripts/bench_mic_delivery.py [--blocks 0.032,0.016,0.008] [--runs 2]

Starts a private PulseAudio (scripts/pa_up.sh), opens `DeviceMicrophone` on its virtual mic with
each block size, plays a speech clip into it, and records for every frame how long after its end
(the engine's estimate of when its sound reached the mic: the most punctual block's timing) it
was delivered. Lateness here is time the engine cannot hear the end of the user's speech.
Prints p50 / p95 / max per block size, with the load average.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from bench import DEFAULT_SPEECH  # noqa: E402  (scripts/bench.py)

CLIP = DEFAULT_SPEECH / "commands_en" / "what_time_is_it.wav"


def measure(block_s: float, clip: Path) -> np.ndarray:
    """Delivery lateness (ms) of the frames captured while `clip` plays into the virtual mic."""
    import assistant.audio.devices as devices

    devices._MIC_BLOCK_S = block_s
    mic = devices.DeviceMicrophone("")
    late: list[float] = []

    def consume() -> None:
        for frame in mic.frames():
            late.append(mic.clock.now() - frame.end)
            if len(late) >= round(4.0 / block_s):  # ~4 s of audio
                break

    reader = threading.Thread(target=consume)
    reader.start()
    player = subprocess.Popen(["paplay", "--device=vmic_in", str(clip)])
    reader.join()
    player.wait()
    mic.close()
    skip = round(0.5 / block_s)  # the stream's first half second settles its timing
    return np.array(late[skip:]) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", default="0.032,0.016,0.008", help="block sizes in seconds")
    parser.add_argument("--runs", type=int, default=2, help="runs per block size")
    parser.add_argument("--clip", type=Path, default=CLIP, help="speech clip to play")
    args = parser.parse_args()
    base = Path("/tmp") / f"bench-mic-{os.getpid()}"
    up = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pa_up.sh"), str(base)], capture_output=True, text=True
    )
    if up.returncode != 0:
        print(f"error: scripts/pa_up.sh failed: {up.stderr.strip()}", file=sys.stderr)
        return 2
    words = shlex.split(up.stdout.strip().splitlines()[-1])
    os.environ.update(dict(w.split("=", 1) for w in words[1:]))
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for block in [float(b) for b in args.blocks.split(",")]:
            late = np.concatenate([measure(block, args.clip) for _ in range(args.runs)])
            print(
                f"block {block * 1000:.0f} ms: frames late p50 {np.percentile(late, 50):.1f} ms, "
                f"p95 {np.percentile(late, 95):.1f} ms, max {late.max():.1f} ms "
                f"({len(late)} frames)"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "pa_down.sh"), str(base)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
