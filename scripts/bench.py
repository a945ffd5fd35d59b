"""Benchmark the voice loop with the default models: latency, STT accuracy, speed and memory.

Usage (from the checkout):

    .venv/bin/python scripts/bench.py [--out DIR] [--speech DIR] [--quick] [--clips N]
                                      [--retries N] [--wait-idle S]

What it measures, all with `Config()` and the packaged default models:

1. End of speech → first reply audio, per spoken prompt, through the real file path: one
   `assistant talk --input CLIP --output OUT --events EV --fast` subprocess per clip of
   `commands_en/`, each with a fresh data dir (memory is on by default, and starts empty).
   Reported as the engine reports it (`timings_ms` of each turn, with its stage breakdown) and
   as measured from the audio files alone: the end of speech in CLIP by offline Silero VAD, and
   by energy, → the first non-silent sample of OUT after it. Runs during which other processes
   used the CPU are repeated (`--retries`) and otherwise left out of the timing figures.
2. Speech-to-text WER and speed on all clips of the speech folder (WhisperTranscriber with the
   config's window, and with window_s=0, the library's plain transcribe path).
3. LLM first-token time (cold, and with the system prompt cached) and tokens/s.
4. TTS first-audio time and real-time factor.
5. Peak RSS of the talk process, model load time and launch → listening wall time.

Writes OUT/bench.json (all numbers, machine info) and OUT/bench.png (per-turn latency breakdown),
and prints a markdown table for the README on stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEECH = ROOT.parent / "shared" / "benchmarks" / "speech"
SILENT = 10 ** (-50 / 20)  # |sample| above -50 dBFS counts as sound in the reply recording
TALK_TIMEOUT_S = 180.0
DISTURBED = 0.05  # other processes using more than this share of the CPU make a run suspect

LLM_PROMPTS = [
    "What time is it?",
    "Set a timer for five minutes.",
    "What's the weather like in New York?",
    "Tell me something interesting about the moon.",
    "Can you help me plan a quiet evening at home?",
]
TTS_SENTENCES = [
    "Sure thing.",
    "It is twenty past three in the afternoon.",
    "I set a timer for five minutes, and I will tell you when it ends.",
    "The weather in New York is mild today, with a light breeze from the west and a chance of "
    "rain later in the evening, so take an umbrella.",
]
STAGES = ["endpointing", "stt", "recall", "llm_first_token", "rest", "tts_first_audio"]
STAGE_LABELS = {
    "endpointing": "end-of-turn silence (VAD, from config)",
    "stt": "speech-to-text",
    "recall": "memory recall",
    "llm_first_token": "LLM first token",
    "rest": "LLM rest of first spoken chunk + other",
    "tts_first_audio": "TTS first audio",
}


def log(msg: str) -> None:
    """Progress on stderr, so stdout stays the markdown table."""
    print(msg, file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation), or None for no values."""
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else None


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, mean, min, max and count of a list of numbers."""
    vals = [float(v) for v in values]
    return {
        "n": len(vals),
        "p50": pct(vals, 50),
        "p95": pct(vals, 95),
        "mean": statistics.fmean(vals) if vals else None,
        "min": min(vals) if vals else None,
        "max": max(vals) if vals else None,
    }


# -- machine -------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, Python, date, package versions and the checkout's commit."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for pkg in (
        "faster-whisper",
        "ctranslate2",
        "llama_cpp_python",
        "piper-tts",
        "onnxruntime",
        "numpy",
    ):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "packages": versions,
        "commit": commit,
    }


SPEED_CLIP = "commands_en/whats_the_weather_like_in_New_York.wav"
SPEED_PROMPT = "Hello there, how are you doing today? I am fine, thank you for asking. " * 4
SPEED_SENTENCE = "I'm glad you asked, the weather in New York is mostly sunny today."


def machine_speed(speech: Path, repeats: int = 3) -> dict[str, float]:
    """Fixed work on the default models, best of `repeats` (ms): how fast the machine is now.

    The same code measured 324 and 409 ms p50 on the file path hours apart on this shared
    machine, with every stage slower alike; these numbers, taken before and after a run, tell
    such a swing from a change in the code. LLM: 60 prompt tokens evaluated at once, then 16
    evaluated one at a time as generation does (no sampling; the configured threads); STT: one
    2.5 s command; TTS: one sentence.
    """
    from assistant.audio.frames import read_audio
    from assistant.config import Config
    from assistant.loader import load_llm, load_tts
    from assistant.models import registry
    from assistant.stages.stt import WhisperTranscriber

    config = Config()
    llm = load_llm(config)._llm  # type: ignore[attr-defined]  # the llama_cpp.Llama inside
    stt = WhisperTranscriber(registry.require(config, "stt"), config.stt)
    tts = load_tts(config)
    clip = read_audio(speech / SPEED_CLIP)
    tokens = llm.tokenize(SPEED_PROMPT.encode("utf-8"))[:60]
    best: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], object]) -> None:
        started = time.perf_counter()
        fn()
        ms = (time.perf_counter() - started) * 1000
        best[name] = round(min(best.get(name, ms), ms), 1)

    def generate() -> None:
        for t in tokens[:16]:
            llm.eval([t])

    for round_ in range(repeats + 1):
        llm.reset()
        timed("llm_prompt_60_tokens", lambda: llm.eval(tokens))
        timed("llm_16_tokens", generate)
        timed("stt_command", lambda: stt.transcribe(clip))
        timed("tts_sentence", lambda: list(tts.synthesize(SPEED_SENTENCE)))
        if round_ == 0:
            best.clear()  # the first round warms the models up
    return best


class CpuWatch:
    """How much CPU other processes used while a section ran (the machine may be shared).

    Busy time of the whole machine (/proc/stat) minus this process's and its reaped children's
    CPU time (getrusage); `foreign_share` is that over the section's wall time × cores.
    """

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, float]] = {}

    @staticmethod
    def _machine() -> tuple[float, float]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        # user, nice, system, irq, softirq (idle, iowait and steal are not this machine's work)
        busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        steal = fields[7] if len(fields) > 7 else 0
        hz = os.sysconf("SC_CLK_TCK")
        return busy / hz, steal / hz

    @staticmethod
    def _own() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        """Yield a dict that holds the figures once the block has run."""
        busy0, steal0 = self._machine()
        own0, wall0 = self._own(), time.monotonic()
        figures: dict[str, float] = {}
        yield figures
        busy1, steal1 = self._machine()
        wall = time.monotonic() - wall0
        foreign = max(0.0, (busy1 - busy0) - (self._own() - own0))
        figures.update(
            {
                "wall_s": round(wall, 2),
                "foreign_cpu_s": round(foreign, 2),
                "steal_s": round(steal1 - steal0, 2),
                "foreign_share": round(foreign / (wall * (os.cpu_count() or 1)), 3)
                if wall
                else 0.0,
            }
        )

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Record the figures of a named part of the benchmark."""
        with self.measure() as figures:
            yield
        self.sections[name] = figures

    def wait_idle(self, max_s: float, limit: float = 0.1) -> float:
        """Wait up to max_s for other processes to use under `limit` of the CPU; return the wait."""
        started = time.monotonic()
        while time.monotonic() - started < max_s:
            with self.measure() as figures:
                time.sleep(0.5)
            if figures["foreign_share"] < limit:
                break
        return time.monotonic() - started

    def quiet(self, name: str, fn: Callable[[], T], wait_idle_s: float, retries: int) -> T:
        """Run fn as section `name`; repeat it (up to `retries` times) if others used the CPU."""
        for attempt in range(max(0, retries) + 1):
            if wait_idle_s > 0:
                self.wait_idle(wait_idle_s)
            with self.section(name):
                result = fn()
            self.sections[name]["attempts"] = attempt + 1
            if self.sections[name]["foreign_share"] <= DISTURBED:
                break
            if attempt < retries:
                log(f"  {name}: other processes used the CPU; running it again")
        return result

    def busy_sections(self, limit: float = DISTURBED) -> list[str]:
        return [
            f"{k} ({v['foreign_share']:.0%} of the CPU)"
            for k, v in self.sections.items()
            if v["foreign_share"] > limit
        ]


# -- audio helpers -------------------------------------------------------------------------------


def speech_end_energy(pcm: np.ndarray) -> float | None:
    """End (s) of the last loud stretch of a 16 kHz clip, by energy alone (no VAD model).

    20 ms frames; loud = within 25 dB of the loudest frame and 6 dB above the noise floor (10th
    percentile); the end of the last run of at least 3 loud frames (60 ms), so clicks are ignored.
    Quiet final consonants in a noisy clip can fall under the threshold (too early an end), and
    a noise burst after the words can count as speech (too late); see `valid` in bench_talk.
    """
    frame = 320
    n = len(pcm) // frame
    if n == 0:
        return None
    blocks = pcm[: n * frame].reshape(n, frame).astype(np.float64)
    db = 20 * np.log10(np.maximum(np.sqrt((blocks**2).mean(axis=1)), 1e-6))
    loud = db > max(db.max() - 25, np.percentile(db, 10) + 6)
    last, run = None, 0
    for i, is_loud in enumerate(loud):
        run = run + 1 if is_loud else 0
        if run >= 3:
            last = i
    return None if last is None else (last + 1) * frame / 16_000


def speech_end_offline(pcm: np.ndarray) -> float | None:
    """End (s) of the last speech segment of a 16 kHz clip by offline Silero VAD, or None."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(
        threshold=0.5, min_speech_duration_ms=250, min_silence_duration_ms=300, speech_pad_ms=0
    )
    segments = get_speech_timestamps(pcm, opts)
    return segments[-1]["end"] / 16_000 if segments else None


def first_sound_after(path: Path, t: float) -> tuple[float | None, float | None]:
    """(first non-zero sample, first sample above -50 dBFS) at or after t seconds in a WAV."""
    import soundfile

    pcm, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    x = np.abs(pcm[:, 0])
    start = max(0, int(t * rate))
    nonzero = np.flatnonzero(x[start:] > 0)
    loud = np.flatnonzero(x[start:] > SILENT)
    return (
        (start + int(nonzero[0])) / rate if len(nonzero) else None,
        (start + int(loud[0])) / rate if len(loud) else None,
    )


# -- 1 and 5: the talk subprocess ----------------------------------------------------------------


def talk_command() -> list[str]:
    """The installed `assistant` script beside this Python, else `python -m assistant`."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "assistant"]


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line being written
            events.append(json.loads(line))
    return events


def run_talk(clip: Path, work: Path, config_file: Path) -> dict[str, Any]:
    """Run one `assistant talk --fast` on a clip; return its events, timings and memory."""
    import psutil

    stem = clip.stem
    out_wav, events_path, log_path = (
        work / f"{stem}.out.wav",
        work / f"{stem}.events.jsonl",
        work / f"{stem}.log",
    )
    events_path.unlink(missing_ok=True)
    # A fresh data dir (so an empty memory) per run: runs do not depend on each other's turns.
    data = work / "data" / stem
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    cmd = [
        *talk_command(),
        "talk",
        "--config",
        str(config_file),
        "--data-dir",
        str(data),
        "--input",
        str(clip),
        "--output",
        str(out_wav),
        "--events",
        str(events_path),
        "--fast",
    ]
    listening_s: float | None = None
    rss_listening: int | None = None
    with open(log_path, "w", encoding="utf-8") as logf:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=str(ROOT))
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.monotonic()
            if listening_s is None and any(
                e.get("type") == "listening" for e in read_events(events_path)
            ):
                listening_s = now - started
                with contextlib.suppress(psutil.Error):
                    rss_listening = psutil.Process(proc.pid).memory_info().rss
            if now - started > TALK_TIMEOUT_S:
                proc.kill()
            time.sleep(0.005 if listening_s is None else 0.05)
        wall_s = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    events = read_events(events_path)
    return {
        "exit_code": proc.returncode,
        "wall_s": wall_s,
        "launch_to_listening_s": listening_s,
        "rss_at_listening_mb": rss_listening / 1e6 if rss_listening else None,
        "peak_rss_mb": usage.ru_maxrss * 1024 / 1e6,  # Linux reports KiB
        "events": events,
        "out_wav": str(out_wav),
        "log": str(log_path),
        "log_tail": log_path.read_text(encoding="utf-8", errors="replace")[-600:],
    }


def parse_turns(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Per-utterance records from a talk events file: (answered turns, empty transcripts)."""
    turns: list[dict[str, Any]] = []
    empty: list[str] = []
    cur: dict[str, Any] = {}
    for e in events:
        kind = e.get("type")
        if kind == "speech_ended":
            cur = {"speech_ended_t": e["t"]}
        elif kind == "transcript":
            cur["transcript"] = e["text"]
            cur["stt_ms"] = e["stt_ms"]
            if not e["text"]:
                empty.append(f"utterance ending at {cur.get('speech_ended_t')} s")
        elif kind == "speaking_started":
            cur["speaking_started_t"] = e["t"]
        elif kind == "speaking_ended":
            cur["speaking_ended_t"] = e["t"]
        elif kind == "turn":
            cur.update(
                user_text=e["user_text"], reply_text=e["reply_text"], timings_ms=e["timings_ms"]
            )
            turns.append(cur)
            cur = {}
    return turns, empty


def endpoint_wait_ms(end_silence_ms: int) -> float:
    """How long after the last voiced VAD chunk the engine declares the turn over.

    The endpointer ends a turn on the first chunk whose end is `end_silence_ms` past the last
    voiced chunk; chunks (and, with --fast, frames and the clock) are 512 samples = 32 ms.
    """
    from assistant.audio.frames import RATE
    from assistant.stages.vad import CHUNK

    chunk_ms = CHUNK / RATE * 1000
    return math.ceil(end_silence_ms / chunk_ms - 1e-9) * chunk_ms


def bench_talk(
    clips: list[Path],
    refs: dict[str, str],
    out: Path,
    end_silence_ms: int,
    wer: Callable[[str, str], float],
    cpu: CpuWatch,
    wait_idle_s: float,
    retries: int,
) -> dict[str, Any]:
    from assistant.audio.frames import read_audio

    work = out / "talk"
    work.mkdir(parents=True, exist_ok=True)
    config_file = work / "default-config.toml"
    config_file.write_text("# empty: every option at its default\n", encoding="utf-8")
    endpoint_ms = endpoint_wait_ms(end_silence_ms)
    rows: list[dict[str, Any]] = []
    for i, clip in enumerate(clips, 1):
        waited, attempts = 0.0, 0
        for attempt in range(1, max(0, retries) + 2):  # a run that shared the CPU is repeated
            attempts = attempt
            waited += cpu.wait_idle(wait_idle_s) if wait_idle_s > 0 else 0.0
            with cpu.measure() as load:
                run = run_talk(clip, work, config_file)
            if load["foreign_share"] <= DISTURBED:
                break
        events = run.pop("events")
        turns, empty = parse_turns(events)
        pcm = read_audio(clip)
        speech_end = speech_end_offline(pcm)
        ref = refs.get(f"commands_en/{clip.name}", "")
        row: dict[str, Any] = {
            "clip": clip.name,
            "duration_s": round(len(pcm) / 16_000, 3),
            "reference": ref,
            **run,
            "n_turns": len(turns),
            "empty_transcripts": empty,
            "turns": turns,
            "speech_end_offline_s": speech_end,
            "waited_for_idle_s": round(waited, 1),
            "other_cpu_share": load["foreign_share"],
            "attempts": attempts,
        }
        ready = [e for e in events if e.get("type") == "ready"]
        row["load_ms"] = ready[0]["load_ms"] if ready else None
        heard = " ".join(t.get("transcript", "") for t in turns) or ""
        row["transcript"] = heard
        row["transcript_wer"] = wer(ref, heard) if ref else None
        answered = next(
            (t for t in turns if "end_of_speech_to_first_audio" in t["timings_ms"]), None
        )
        if answered:
            tm = answered["timings_ms"]
            e2e = tm["end_of_speech_to_first_audio"]
            parts = {
                "endpointing": endpoint_ms,
                "stt": tm.get("stt", 0.0),
                "recall": tm.get("recall", 0.0),
                "llm_first_token": tm.get("llm_first_token", 0.0),
                "tts_first_audio": tm.get("tts_first_audio", 0.0),
            }
            parts["rest"] = e2e - sum(parts.values())
            row["breakdown_ms"] = {k: round(parts[k], 1) for k in STAGES}
            row["e2e_self_ms"] = e2e
            row["llm_total_ms"] = tm.get("llm_total")
        if speech_end is not None and Path(row["out_wav"]).exists():
            nonzero_t, sound_t = first_sound_after(Path(row["out_wav"]), speech_end)
            row["out_first_nonzero_s"] = nonzero_t
            row["out_first_sound_s"] = sound_t
            if sound_t is not None:
                row["e2e_audio_ms"] = round((sound_t - speech_end) * 1000, 1)
        if answered and speech_end is not None:
            row["engine_minus_offline_speech_end_ms"] = round(
                (answered["speech_ended_t"] - speech_end) * 1000, 1
            )
        energy_end = speech_end_energy(pcm)
        row["speech_end_energy_s"] = energy_end
        sound_t = row.get("out_first_sound_s")
        # Unusable when the loud part runs into the clip's end (noise or a cut word) or past the
        # start of the reply.
        if (
            answered
            and energy_end is not None
            and sound_t is not None
            and energy_end < row["duration_s"] - 0.1
            and energy_end <= answered.get("speaking_started_t", -1)
        ):
            row["e2e_energy_ms"] = round((sound_t - energy_end) * 1000, 1)
            row["engine_minus_energy_speech_end_ms"] = round(
                (answered["speech_ended_t"] - energy_end) * 1000, 1
            )
        rows.append(row)
        status = (
            f"{row['e2e_self_ms']:.0f} ms self, {row.get('e2e_audio_ms', float('nan')):.0f}"
            f" ms audio"
            if answered
            else "NO REPLY"
        )
        log(
            f"  talk {i}/{len(clips)} {clip.name}: {status}; heard {heard!r}"
            + (
                f" (others used {load['foreign_share']:.0%} of the CPU)"
                if load["foreign_share"] > DISTURBED
                else ""
            )
        )
    # Timing figures come from the runs that had the CPU to themselves, when there are any (all
    # runs stay in "clips"); memory does not depend on it.
    quiet_rows = [r for r in rows if r["other_cpu_share"] <= DISTURBED] or rows
    answered_rows = [r for r in quiet_rows if "e2e_self_ms" in r]
    ok_runs = [r for r in quiet_rows if r["exit_code"] == 0]
    all_ok_runs = [r for r in rows if r["exit_code"] == 0]
    return {
        "endpoint_wait_ms": endpoint_ms,
        "timed_runs": len(quiet_rows),
        "clips": rows,
        "e2e_self_ms": summary([r["e2e_self_ms"] for r in answered_rows]),
        "e2e_audio_ms": summary([r["e2e_audio_ms"] for r in answered_rows if "e2e_audio_ms" in r]),
        "e2e_energy_ms": summary(
            [r["e2e_energy_ms"] for r in answered_rows if "e2e_energy_ms" in r]
        ),
        "engine_minus_energy_speech_end_ms": summary(
            [
                r["engine_minus_energy_speech_end_ms"]
                for r in answered_rows
                if "engine_minus_energy_speech_end_ms" in r
            ]
        ),
        "stages_ms": {k: summary([r["breakdown_ms"][k] for r in answered_rows]) for k in STAGES},
        "llm_total_ms": summary([r["llm_total_ms"] for r in answered_rows if r["llm_total_ms"]]),
        "engine_minus_offline_speech_end_ms": summary(
            [
                r["engine_minus_offline_speech_end_ms"]
                for r in answered_rows
                if "engine_minus_offline_speech_end_ms" in r
            ]
        ),
        "no_reply": [r["clip"] for r in rows if "e2e_self_ms" not in r],
        "disturbed": [r["clip"] for r in rows if r["other_cpu_share"] > DISTURBED],
        "multi_turn": [r["clip"] for r in rows if r["n_turns"] > 1],
        "failed_runs": [
            {"clip": r["clip"], "exit_code": r["exit_code"], "log": r["log_tail"]}
            for r in rows
            if r["exit_code"] != 0
        ],
        "in_loop_stt_mean_wer": statistics.fmean(
            [r["transcript_wer"] for r in rows if r["transcript_wer"] is not None] or [math.nan]
        ),
        "startup": {
            "load_ms": summary([r["load_ms"] for r in ok_runs if r["load_ms"] is not None]),
            "launch_to_listening_s": summary(
                [
                    r["launch_to_listening_s"]
                    for r in ok_runs
                    if r["launch_to_listening_s"] is not None
                ]
            ),
        },
        "memory": {
            "peak_rss_mb": summary([r["peak_rss_mb"] for r in all_ok_runs]),
            "rss_at_listening_mb": summary(
                [r["rss_at_listening_mb"] for r in all_ok_runs if r["rss_at_listening_mb"]]
            ),
        },
    }


# -- 2: speech-to-text ---------------------------------------------------------------------------


def load_references(speech: Path) -> list[tuple[str, str]]:
    rows = []
    for line in (speech / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip():
            rows.append((parts[0].strip(), parts[1].strip()))
    return rows


def make_wer() -> tuple[Callable[[str], str], Callable[[str, str], float]]:
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    norm = EnglishTextNormalizer()

    def wer(ref: str, hyp: str) -> float:
        return float(jiwer.wer(norm(ref), norm(hyp)))

    return norm, wer


def bench_stt(speech: Path, refs: list[tuple[str, str]], config: Any) -> dict[str, Any]:
    import jiwer

    from assistant.audio.frames import read_audio
    from assistant.models import registry
    from assistant.stages.stt import WhisperTranscriber

    norm, wer = make_wer()
    model_dir = registry.require(config, "stt")
    clips = [(name, ref, read_audio(speech / name)) for name, ref in refs]
    variants = {
        f"window_{config.stt.window_s:g}s": config.stt,
        "window_0 (plain transcribe)": dataclasses.replace(config.stt, window_s=0.0),
    }
    results: dict[str, Any] = {}
    for label, stt_config in variants.items():
        t0 = time.perf_counter()
        transcriber = WhisperTranscriber(model_dir, stt_config)
        load_s = time.perf_counter() - t0
        transcriber.transcribe(clips[0][2])  # warm-up, not timed
        per_clip = []
        for name, ref, pcm in clips:
            t0 = time.perf_counter()
            text = transcriber.transcribe(pcm).text
            took = time.perf_counter() - t0
            per_clip.append(
                {
                    "clip": name,
                    "reference": ref,
                    "hypothesis": text,
                    "seconds": round(took, 4),
                    "duration_s": round(len(pcm) / 16_000, 3),
                    "wer": wer(ref, text),
                }
            )
        hyps = [norm(c["hypothesis"]) for c in per_clip]
        refs_n = [norm(c["reference"]) for c in per_clip]
        total_audio = sum(c["duration_s"] for c in per_clip)
        total_time = sum(c["seconds"] for c in per_clip)
        cmds = [c["wer"] for c in per_clip if c["clip"].startswith("commands_en/")]
        others = [c["wer"] for c in per_clip if not c["clip"].startswith("commands_en/")]
        results[label] = {
            "window_s": stt_config.window_s,
            "load_s": load_s,
            "n_clips": len(per_clip),
            "mean_wer": statistics.fmean(c["wer"] for c in per_clip),
            "corpus_wer": float(jiwer.wer(refs_n, hyps)),
            "mean_wer_commands": statistics.fmean(cmds) if cmds else None,
            "mean_wer_long": statistics.fmean(others) if others else None,
            "n_commands": len(cmds),
            "n_long": len(others),
            "median_s_per_clip": statistics.median(c["seconds"] for c in per_clip),
            "rtf": total_time / total_audio,
            "bad_clips": [c for c in per_clip if c["wer"] >= 0.5],
            "clips": per_clip,
        }
        log(
            f"  stt {label}: mean WER {results[label]['mean_wer']:.3f}, corpus "
            f"{results[label]['corpus_wer']:.3f}, median {results[label]['median_s_per_clip']:.3f}"
            f" s/clip"
        )
        del transcriber
    return results


# -- 3: language model ---------------------------------------------------------------------------


def _timed_stream(llm: Any, messages: list[dict[str, str]]) -> dict[str, Any]:
    t0 = time.perf_counter()
    stamps: list[float] = []
    parts: list[str] = []
    for delta in llm.stream(messages):
        stamps.append(time.perf_counter() - t0)
        parts.append(delta)
    text = "".join(parts)
    decode_s = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    return {
        "first_token_ms": stamps[0] * 1000 if stamps else None,
        "total_ms": (time.perf_counter() - t0) * 1000,
        "chunks": len(stamps),
        "tokens": llm.count_tokens(text) if text else 0,
        "tokens_per_s": (len(stamps) - 1) / decode_s if decode_s > 0 else None,
        "reply": text,
    }


def bench_llm(config: Any, prompts: list[str]) -> dict[str, Any]:
    from assistant import prompt
    from assistant.loader import llm_path
    from assistant.stages.llm import LlamaChatModel, quiet_native_logs

    quiet_native_logs()
    t0 = time.perf_counter()
    llm = LlamaChatModel(llm_path(config), config.llm)
    load_s = time.perf_counter() - t0
    system = prompt.system_prompt(config.persona)
    budget = llm.n_ctx - config.llm.max_tokens
    warm = [{"role": "system", "content": system}, {"role": "user", "content": "Hi"}]
    llm.warm_up(warm)  # touch the weights once; not timed
    runs = []
    for text in prompts:
        messages = prompt.build(config.persona, [], text, budget, llm.count_tokens)
        # Cold: llama-cpp-python's prefix cache emptied, the whole prompt is evaluated.
        llm._llm.reset()
        cold = _timed_stream(llm, messages)
        # Cached: as the engine runs after its prompt warm-up, only the user turn is new.
        llm._llm.reset()
        llm.warm_up(warm)
        cached = _timed_stream(llm, messages)
        runs.append({"prompt": text, "cold": cold, "cached": cached})
        log(
            f"  llm {text!r}: first token cold {cold['first_token_ms']:.0f} ms, cached "
            f"{cached['first_token_ms']:.0f} ms, {cached['tokens_per_s'] or 0:.0f} tok/s"
        )
    rates = [r[k]["tokens_per_s"] for r in runs for k in ("cold", "cached") if r[k]["tokens_per_s"]]
    result = {
        "load_s": load_s,
        "system_prompt_tokens": llm.count_tokens(system),
        "first_token_cold_ms": summary([r["cold"]["first_token_ms"] for r in runs]),
        "first_token_cached_ms": summary([r["cached"]["first_token_ms"] for r in runs]),
        "tokens_per_s": summary(rates),
        "reply_tokens": summary([r[k]["tokens"] for r in runs for k in ("cold", "cached")]),
        "runs": runs,
    }
    del llm
    return result


# -- 4: text-to-speech ---------------------------------------------------------------------------


def bench_tts(config: Any, sentences: list[str], repeats: int) -> dict[str, Any]:
    from assistant.models import registry
    from assistant.stages.tts import PiperSynthesizer

    t0 = time.perf_counter()
    tts = PiperSynthesizer(registry.require(config, "tts"), config.tts)
    load_s = time.perf_counter() - t0
    for _ in tts.synthesize("Hello."):  # warm-up
        pass
    rows = []
    for sentence in sentences:
        firsts, totals, audio_s = [], [], 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            first = None
            samples = 0
            for pcm in tts.synthesize(sentence):
                first = first if first is not None else time.perf_counter() - t0
                samples += len(pcm)
            totals.append(time.perf_counter() - t0)
            firsts.append(first or 0.0)
            audio_s = samples / tts.sample_rate
        total = statistics.median(totals)
        rows.append(
            {
                "text": sentence,
                "words": len(sentence.split()),
                "first_audio_ms": statistics.median(firsts) * 1000,
                "total_ms": total * 1000,
                "audio_s": audio_s,
                "rtf": total / audio_s if audio_s else None,
            }
        )
        log(
            f"  tts {len(sentence.split())} words: first audio {rows[-1]['first_audio_ms']:.0f} ms,"
            f" RTF {rows[-1]['rtf']:.3f}"
        )
    total_time = sum(r["total_ms"] for r in rows) / 1000
    total_audio = sum(r["audio_s"] for r in rows)
    return {
        "load_s": load_s,
        "sample_rate": tts.sample_rate,
        "repeats": repeats,
        "rtf": total_time / total_audio if total_audio else None,
        "first_audio_ms": summary([r["first_audio_ms"] for r in rows]),
        "sentences": rows,
    }


# -- chart and table -----------------------------------------------------------------------------


def plot(talk: dict[str, Any], machine: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = talk["clips"]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.42 * n + 3), 6.2), dpi=110)
    colors = {
        "endpointing": "#9e9e9e",
        "stt": "#4c78a8",
        "recall": "#b279a2",
        "llm_first_token": "#f58518",
        "rest": "#ffbf79",
        "tts_first_audio": "#54a24b",
    }
    x = np.arange(n)
    bottom = np.zeros(n)
    for stage in STAGES:
        vals = np.array([r.get("breakdown_ms", {}).get(stage, 0.0) for r in rows]) / 1000
        ax.bar(x, vals, 0.72, bottom=bottom, color=colors[stage], label=STAGE_LABELS[stage])
        bottom += vals
    audio = [
        (i, r["e2e_audio_ms"] / 1000)
        for i, r in enumerate(rows)
        if "e2e_audio_ms" in r and "e2e_self_ms" in r
    ]
    if audio:
        ax.scatter(
            [i for i, _ in audio],
            [v for _, v in audio],
            marker="D",
            s=22,
            color="black",
            zorder=5,
            label="measured from audio (offline Silero end → first sound in OUT)",
        )
    energy = [(i, r["e2e_energy_ms"] / 1000) for i, r in enumerate(rows) if "e2e_energy_ms" in r]
    if energy:
        ax.scatter(
            [i for i, _ in energy],
            [v for _, v in energy],
            marker="o",
            s=26,
            facecolors="none",
            edgecolors="black",
            zorder=5,
            label="measured from audio (energy end → first sound in OUT)",
        )
    totals = [r["e2e_self_ms"] / 1000 for r in rows if "e2e_self_ms" in r]
    top = max([*totals, *(v for _, v in audio), *(v for _, v in energy), 0.1])
    if talk["e2e_self_ms"]["n"] >= 4:  # keep the typical turns readable; label the outliers
        top = min(
            top, max(2.5 * talk["e2e_self_ms"]["p50"], 1.15 * talk["e2e_self_ms"]["p95"]) / 1000
        )
    ax.set_ylim(0, top * 1.08)
    disturbed = [i for i, r in enumerate(rows) if r["other_cpu_share"] > DISTURBED]
    if disturbed:
        ax.bar(
            disturbed,
            [bottom[i] for i in disturbed],
            0.72,
            fill=False,
            hatch="///",
            edgecolor="#555555",
            lw=0,
            label="other processes were using the CPU",
        )
    for i, r in enumerate(rows):
        if bottom[i] > top * 1.08:
            ax.text(
                i,
                top * 1.06,
                f"{bottom[i]:.1f} s↑",
                ha="center",
                va="top",
                fontsize=7,
                rotation=90,
                color="white",
                fontweight="bold",
            )
        if "e2e_self_ms" not in r:
            ax.text(
                i,
                0.05,
                "no reply",
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=8,
                color="#c00000",
            )
    for key, color, name in (
        ("e2e_self_ms", "#333333", "self-reported"),
        ("e2e_audio_ms", "#c00000", "from audio"),
    ):
        s = talk[key]
        if s["n"]:
            ax.axhline(
                s["p50"] / 1000,
                color=color,
                lw=1.3,
                ls="-",
                label=f"p50 {name}: {s['p50'] / 1000:.2f} s",
            )
            ax.axhline(
                s["p95"] / 1000,
                color=color,
                lw=1.3,
                ls="--",
                label=f"p95 {name}: {s['p95'] / 1000:.2f} s",
            )
    ax.set_xticks(x)
    ax.set_xticklabels(
        [r["clip"].removesuffix(".wav").replace("_", " ") for r in rows],
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("seconds from end of user speech")
    ax.set_title(
        f"End of speech → first reply audio per spoken prompt\n(assistant talk --fast, "
        f"default models; {machine['cpu_model']}, {machine['cores']} cores, "
        f"{machine['date'][:10]})",
        fontsize=10,
    )
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    stage_labels = [STAGE_LABELS[k] for k in reversed(STAGES)]  # top of the stack first
    order = [labels.index(label) for label in stage_labels if label in labels]
    order += [i for i, label in enumerate(labels) if label not in stage_labels]
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def table(result: dict[str, Any]) -> str:
    talk, stt, llm, tts = result["talk"], result["stt"], result["llm"], result["tts"]
    m = result["machine"]
    answered = talk["e2e_self_ms"]["n"]
    skipped = len(talk["clips"]) - talk["timed_runs"]
    left_out = f"; {skipped} runs that shared the CPU are left out" if skipped else ""
    lines = [
        f"Measured {m['date'][:10]} on {m['cpu_model']} ({m['cores']} cores, {m['ram_gb']} GB RAM, "
        f"Python {m['python']}), default models and config; `scripts/bench.py`"
        f"{' --quick' if result['quick'] else ''}.",
        "",
        f"End of speech → first reply audio over {answered} spoken prompts "
        f"(`assistant talk --fast`, one run per clip{left_out}; stage percentiles are taken "
        "separately, so they do not add up):",
        "",
        "| stage | p50 ms | p95 ms |",
        "|---|---:|---:|",
    ]
    for stage in STAGES:
        s = talk["stages_ms"][stage]
        lines.append(f"| {STAGE_LABELS[stage]} | {_ms(s['p50'])} | {_ms(s['p95'])} |")
    s, a, e = talk["e2e_self_ms"], talk["e2e_audio_ms"], talk["e2e_energy_ms"]
    lines += [
        f"| **end of speech → first audio** (engine's timings) | **{_ms(s['p50'])}** | "
        f"**{_ms(s['p95'])}** |",
        f"| **end of speech → first audio** (from the audio files: offline Silero end → first "
        f"sound) | **{_ms(a['p50'])}** | **{_ms(a['p95'])}** |",
        f"| end of speech → first audio (from the audio files: energy end → first sound, "
        f"{e['n']} clips) | {_ms(e['p50'])} | {_ms(e['p95'])} |",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for label, r in stt.items():
        by_kind = " / ".join(
            f"{v:.3f}" for v in (r["mean_wer_commands"], r["mean_wer_long"]) if v is not None
        )
        lines.append(
            f"| STT {result['models']['stt']}, {label}: mean WER of {r['n_clips']} clips "
            f"({r['n_commands']} commands / {r['n_long']} longer), corpus WER, median time per "
            f"clip, RTF | {r['mean_wer']:.3f} ({by_kind}), {r['corpus_wer']:.3f}, "
            f"{r['median_s_per_clip'] * 1000:.0f} ms, {r['rtf']:.3f} |"
        )
    lines.append(
        f"| STT in the loop (`talk` transcripts of the {len(talk['clips'])} commands, "
        f"as cut by the VAD), mean WER | {talk['in_loop_stt_mean_wer']:.3f} |"
    )
    lines += [
        f"| LLM {result['models']['llm']}: first token cold / system prompt cached (p50) | "
        f"{_ms(llm['first_token_cold_ms']['p50'])} ms / "
        f"{_ms(llm['first_token_cached_ms']['p50'])} ms |",
        f"| LLM tokens/s (p50) | {llm['tokens_per_s']['p50']:.0f} |",
        f"| TTS {result['models']['tts']}: first audio (p50 over {len(tts['sentences'])} sentences)"
        f", RTF | {_ms(tts['first_audio_ms']['p50'])} ms, {tts['rtf']:.3f} |",
        f"| model load + warm-up (`ready` load_ms, p50) | "
        f"{_ms(talk['startup']['load_ms']['p50'])} ms |",
        f"| launch → listening (wall, p50 / max) | "
        f"{talk['startup']['launch_to_listening_s']['p50']:.2f} s / "
        f"{talk['startup']['launch_to_listening_s']['max']:.2f} s |",
        f"| RSS of `assistant talk`: listening / peak (p50, max) | "
        f"{talk['memory']['rss_at_listening_mb']['p50']:.0f} MB / "
        f"{talk['memory']['peak_rss_mb']['p50']:.0f} MB, "
        f"{talk['memory']['peak_rss_mb']['max']:.0f} MB |",
    ]
    notes = []
    if talk["no_reply"]:
        notes.append(f"no reply for {len(talk['no_reply'])} clip(s): {', '.join(talk['no_reply'])}")
    if talk["multi_turn"]:
        notes.append(f"split into several turns: {', '.join(talk['multi_turn'])}")
    if result["disturbed_sections"]:
        notes.append(
            "other processes were using the CPU during " + ", ".join(result["disturbed_sections"])
        )
    if talk["disturbed"]:
        notes.append(
            f"{len(talk['disturbed'])} of {len(talk['clips'])} talk runs shared the CPU "
            f"with other processes even after {result['retries']} retries (hatched in "
            "bench.png, left out of the latency figures)"
        )
    if talk["failed_runs"]:
        notes.append(f"{len(talk['failed_runs'])} talk run(s) failed")
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------


def pick(items: list[Path], n: int) -> list[Path]:
    """n items spread evenly over the list (all of them when n >= len)."""
    if n >= len(items):
        return items
    idx = np.linspace(0, len(items) - 1, n).round().astype(int)
    return [items[i] for i in sorted(set(idx.tolist()))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench-out",
        help="output folder (default: bench-out/ in the checkout)",
    )
    parser.add_argument(
        "--speech",
        type=Path,
        default=DEFAULT_SPEECH,
        help=f"speech benchmark folder (default: {DEFAULT_SPEECH})",
    )
    parser.add_argument("--quick", action="store_true", help="fewer clips and prompts (smoke run)")
    parser.add_argument(
        "--clips",
        type=int,
        help="spoken prompts for the latency run (default: all commands_en clips; 4 with --quick)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=30.0,
        metavar="S",
        help="before each run, wait up to S seconds for other processes to leave "
        "the CPU (default 30; 0 = do not wait)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="repeat a run up to N times when other processes used the CPU during it (default 2)",
    )
    args = parser.parse_args(argv)

    speech: Path = args.speech
    if not (speech / "transcripts.tsv").is_file() or not (speech / "commands_en").is_dir():
        sys.exit(
            f"bench: speech folder not found or incomplete: {speech} "
            "(needs transcripts.tsv and commands_en/; pass --speech DIR)"
        )
    from assistant.config import Config
    from assistant.errors import AssistantError
    from assistant.models import registry

    config = Config()
    try:
        models = {role: registry.info(config, role).name for role in ("stt", "llm", "tts", "vad")}
        for role in models:
            registry.require(config, role)
    except AssistantError as e:
        sys.exit(f"bench: {e}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    refs = load_references(speech)
    missing = [name for name, _ in refs if not (speech / name).is_file()]
    if missing:
        sys.exit(f"bench: {len(missing)} clip(s) in transcripts.tsv are missing, e.g. {missing[0]}")
    commands = sorted((speech / "commands_en").glob("*.wav"))
    n_clips = args.clips or (4 if args.quick else len(commands))
    talk_clips = pick(commands, n_clips)
    stt_refs = [refs[i] for i in range(0, len(refs), 5)] if args.quick else refs

    machine = machine_info()
    log(f"bench: {machine['cpu_model']}, {machine['cores']} cores; output in {out}/")
    started = time.monotonic()
    _, wer = make_wer()
    cpu = CpuWatch()
    log(f"1/4 end of speech → first audio: {len(talk_clips)} × `assistant talk --fast`")
    # Each talk run is checked (and repeated) on its own; see "other_cpu_share" per clip.
    talk = bench_talk(
        talk_clips,
        dict(refs),
        out,
        config.vad.end_silence_ms,
        wer,
        cpu,
        args.wait_idle,
        args.retries,
    )
    log(f"2/4 speech-to-text on {len(stt_refs)} clips")
    stt = cpu.quiet(
        "stt", lambda: bench_stt(speech, stt_refs, config), args.wait_idle, args.retries
    )
    log("3/4 language model")
    llm = cpu.quiet(
        "llm",
        lambda: bench_llm(config, LLM_PROMPTS[:2] if args.quick else LLM_PROMPTS),
        args.wait_idle,
        args.retries,
    )
    log("4/4 text-to-speech")
    tts = cpu.quiet(
        "tts",
        lambda: bench_tts(
            config, TTS_SENTENCES[1:3] if args.quick else TTS_SENTENCES, 1 if args.quick else 3
        ),
        args.wait_idle,
        args.retries,
    )
    busy = cpu.busy_sections()
    if busy:
        log(
            f"warning: other processes used the CPU during: {', '.join(busy)}; "
            "figures from those sections are pessimistic, re-run on an idle machine"
        )

    result = {
        "machine": machine,
        "quick": args.quick,
        "retries": args.retries,
        "speech_dir": str(speech),
        "models": models,
        "config": dataclasses.asdict(config),
        "bench_seconds": round(time.monotonic() - started, 1),
        "talk": talk,
        "stt": stt,
        "llm": llm,
        "tts": tts,
        "other_cpu_load": cpu.sections,
        "disturbed_sections": busy,
    }
    (out / "bench.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    plot(talk, machine, out / "bench.png")
    log(f"wrote {out / 'bench.json'} and {out / 'bench.png'} in {result['bench_seconds']:.0f} s")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
