"""Benchmark audio device block sizes: how late mic frames arrive, how late the speaker is heard.

Usage (from the checkout):

    .venv/bin/python scripts/bench_device_blocks.py [--blocks 0.032,0.024,0.016] [--runs 2]

Starts a private PulseAudio (scripts/pa_up.sh). For each block size:
- microphone: opens `DeviceMicrophone` on the virtual mic, plays a speech clip into it, and
  records for every frame how long after its end (the engine's estimate of when its sound reached
  the mic: the most punctual block's timing) it was delivered. Lateness here is time the engine
  cannot hear the end of the user's speech.
- speaker: opens `DeviceSpeaker`, plays 5 s of tone and reports the delay PortAudio measures from
  writing a sample to hearing it (its DAC time), and the underruns counted.
Prints p50 / p95 / max per block size, with the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from bench import DEFAULT_SPEECH  # noqa: E402  (scripts/bench.py)
from bench_live import private_pulse  # noqa: E402  (scripts/bench_live.py)

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


def speaker_delay(block_s: float) -> tuple[float, int]:
    """(Delay from writing a sample to hearing it in ms, underruns) while 5 s of tone play."""
    import time

    import assistant.audio.devices as devices

    devices._SPEAKER_BLOCK_S = block_s
    speaker = devices.DeviceSpeaker("")
    rate = 22_050
    tone = 0.2 * np.sin(np.arange(rate * 5) * 2 * np.pi * 440 / rate)
    speaker.play(tone.astype(np.float32), rate)
    time.sleep(5.3)
    delay = (speaker._delay or 0.0) * 1000
    speaker.close()
    return delay, speaker.underruns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", default="0.032,0.024,0.016", help="block sizes in seconds")
    parser.add_argument("--runs", type=int, default=2, help="runs per block size")
    parser.add_argument("--clip", type=Path, default=CLIP, help="speech clip to play")
    args = parser.parse_args()
    base = Path("/tmp") / f"bench-mic-{os.getpid()}"
    try:
        with private_pulse(base):
            report(args)
    except RuntimeError as e:  # scripts/pa_up.sh failed
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def report(args: argparse.Namespace) -> None:
    """Measure each block size on the running private PulseAudio and print the results."""
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for block in [float(b) for b in args.blocks.split(",")]:
        late = np.concatenate([measure(block, args.clip) for _ in range(args.runs)])
        delays = [speaker_delay(block) for _ in range(args.runs)]
        print(
            f"speaker block {block * 1000:.0f} ms: heard "
            f"{', '.join(f'{d:.0f}' for d, _ in delays)} ms after writing, "
            f"{sum(u for _, u in delays)} underruns"
        )
        print(
            f"mic block {block * 1000:.0f} ms: frames late p50 {np.percentile(late, 50):.1f} "
            f"ms, p95 {np.percentile(late, 95):.1f} ms, max {late.max():.1f} ms "
            f"({len(late)} frames)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
