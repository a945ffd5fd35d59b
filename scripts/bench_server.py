"""Benchmark thinking locally vs on a model server, on the same machine and the same GGUF.

Usage (from the checkout):

    .venv/bin/python scripts/bench_server.py [--out DIR] [--speech DIR] [--clips N] [--prompts N]
                                             [--threads N]

It starts llama-cpp-python's server (`python -m llama_cpp.server`) with the default GGUF on a
free loopback port, then measures both ways of thinking:

1. LLM first token and tokens/s with the persona prefix cached, per prompt: the embedded
   `LlamaChatModel` and `OpenAIChatModel` talking to the server, alternately.
2. End of speech → first reply audio through the real file path, per spoken prompt of
   `commands_en/`: `assistant talk --input CLIP --fast` once with the embedded model and once
   with the server, alternately, each with a fresh data dir (as scripts/bench.py does).

Both sides decode greedily (temperature 0) with the same number of llama.cpp threads, so a
prompt gets the same reply either way and the runs compare.

Writes OUT/bench_server.json (all numbers, machine info, load average before and after) and
prints a markdown table for the README on stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the voice-loop benchmark's helpers: talk runs, summaries, machine)

ROOT = bench.ROOT
# Use this checkout's package (python -m assistant from ROOT), not what the venv's script imports.
sys.path.insert(0, str(ROOT))
bench.talk_command = lambda: [sys.executable, "-m", "assistant"]


def loadavg() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, log: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    """llama_cpp.server on loopback with the GGUF; returns the process and its API URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads),
        "--n_threads_batch", str(threads), "--verbose", "False",
    ]  # fmt: skip
    env = {**os.environ, "GGML_LOG_LEVEL": "error"}
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited: {log.read_text()[-1500:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start in 120 s")


def bench_first_token(config: Any, url: str, prompts: list[str]) -> dict[str, Any]:
    """First token (prompt cold, and with the persona prefix cached) and chunks/s, both ways.

    Cold: the model last saw an unrelated prompt, so the whole prompt is evaluated. Cached: the
    persona prefix was just evaluated, as the engine's warm-up does. The difference on the server
    shows that its prompt cache is used (the prompt keeps its stable prefix first).
    """
    import dataclasses

    from assistant import prompt
    from assistant.loader import llm_path
    from assistant.stages.llm import LlamaChatModel, quiet_native_logs
    from assistant.stages.openai_llm import OpenAIChatModel

    quiet_native_logs()
    local = LlamaChatModel(llm_path(config), config.llm)
    server = OpenAIChatModel(dataclasses.replace(config.llm, backend="openai", url=url))
    system = prompt.system_prompt(config.persona)
    warm = [{"role": "system", "content": system}, {"role": "user", "content": "Hi"}]
    other = [{"role": "system", "content": "Count sheep."}, {"role": "user", "content": "Go"}]
    budget = config.llm.context_tokens - config.llm.max_tokens
    runs: dict[str, list[dict[str, Any]]] = {"local": [], "server": []}
    for text in prompts:
        messages = prompt.build(config.persona, [], text, budget, local.count_tokens)
        for name, llm in (("local", local), ("server", server)):
            llm.warm_up(other)  # an unrelated prompt: nothing of this one is cached
            t0 = time.perf_counter()
            cold = next(iter(llm.stream(messages)), None) and time.perf_counter() - t0
            llm.warm_up(warm)  # as the engine does at start: the persona prefix is cached
            t0 = time.perf_counter()
            stamps = [time.perf_counter() - t0 for _ in llm.stream(messages)]
            decode = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
            runs[name].append(
                {
                    "prompt": text,
                    "cold_first_token_ms": cold * 1000 if cold else None,
                    "first_token_ms": stamps[0] * 1000 if stamps else None,
                    "chunks": len(stamps),
                    "chunks_per_s": (len(stamps) - 1) / decode if decode else None,
                }
            )
        bench.log(
            f"  {text!r}: first token cold/cached local "
            f"{runs['local'][-1]['cold_first_token_ms']:.0f}/"
            f"{runs['local'][-1]['first_token_ms']:.0f} ms, server "
            f"{runs['server'][-1]['cold_first_token_ms']:.0f}/"
            f"{runs['server'][-1]['first_token_ms']:.0f} ms"
        )
    return {
        name: {
            "cold_first_token_ms": bench.summary(
                [r["cold_first_token_ms"] for r in rs if r["cold_first_token_ms"]]
            ),
            "first_token_ms": bench.summary([r["first_token_ms"] for r in rs]),
            "chunks_per_s": bench.summary([r["chunks_per_s"] for r in rs if r["chunks_per_s"]]),
            "runs": rs,
        }
        for name, rs in runs.items()
    }


def bench_voice(clips: list[Path], url: str, out: Path, threads: int) -> dict[str, Any]:
    """End of speech → first audio per clip, embedded model and server alternately."""
    work = out / "talk-server"
    work.mkdir(parents=True, exist_ok=True)
    configs = {"local": work / "local.toml", "server": work / "server.toml"}
    # Greedy on both sides: the same prompt then gets the same reply, so the runs compare.
    same = f"[llm]\ntemperature = 0.0\nthreads = {threads}\n"
    configs["local"].write_text(same, encoding="utf-8")
    configs["server"].write_text(f'{same}backend = "openai"\nurl = "{url}"\n', encoding="utf-8")
    rows: dict[str, list[dict[str, Any]]] = {"local": [], "server": []}
    for name in configs:
        (work / name).mkdir(exist_ok=True)
    for i, clip in enumerate(clips, 1):
        for name, config_file in configs.items():
            run = bench.run_talk(clip, work / name, config_file)
            turns, _ = bench.parse_turns(run.pop("events"))
            timings = turns[0]["timings_ms"] if turns else {}
            rows[name].append(
                {
                    "clip": clip.name,
                    "exit_code": run["exit_code"],
                    "reply": turns[0]["reply_text"] if turns else None,
                    "stt_ms": timings.get("stt"),
                    "llm_first_token_ms": timings.get("llm_first_token"),
                    "tts_first_audio_ms": timings.get("tts_first_audio"),
                    "end_of_speech_to_first_audio_ms": timings.get("end_of_speech_to_first_audio"),
                    "launch_to_listening_s": run["launch_to_listening_s"],
                }
            )
        bench.log(
            f"  [{i}/{len(clips)}] {clip.name}: first audio local "
            f"{rows['local'][-1]['end_of_speech_to_first_audio_ms']} ms, server "
            f"{rows['server'][-1]['end_of_speech_to_first_audio_ms']} ms"
        )

    def figures(rs: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return bench.summary([r[key] for r in rs if r[key] is not None])

    return {
        name: {
            "stt_ms": figures(rs, "stt_ms"),
            "llm_first_token_ms": figures(rs, "llm_first_token_ms"),
            "tts_first_audio_ms": figures(rs, "tts_first_audio_ms"),
            "end_of_speech_to_first_audio_ms": figures(rs, "end_of_speech_to_first_audio_ms"),
            "launch_to_listening_s": figures(rs, "launch_to_listening_s"),
            "runs": rs,
        }
        for name, rs in rows.items()
    }


def table(result: dict[str, Any]) -> str:
    def cell(d: dict[str, Any], q: str) -> str:
        v = d.get(q)
        return "—" if v is None else f"{v:.0f}"

    lines = [
        "| measure (ms) | embedded p50 | embedded p95 | server p50 | server p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [
        ("LLM first token, prompt cold (direct)", result["llm"], "cold_first_token_ms"),
        ("LLM first token, prefix cached (direct)", result["llm"], "first_token_ms"),
        ("speech-to-text in a spoken turn", result["voice"], "stt_ms"),
        ("LLM first token in a spoken turn", result["voice"], "llm_first_token_ms"),
        ("TTS first audio in a spoken turn", result["voice"], "tts_first_audio_ms"),
        (
            "**end of speech → first audio**",
            result["voice"],
            "end_of_speech_to_first_audio_ms",
        ),
    ]
    for label, part, key in rows:
        a, b = part["local"][key], part["server"][key]
        lines.append(
            f"| {label} | {cell(a, 'p50')} | {cell(a, 'p95')} | {cell(b, 'p50')} | "
            f"{cell(b, 'p95')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the JSON goes")
    parser.add_argument("--speech", type=Path, default=bench.DEFAULT_SPEECH)
    parser.add_argument("--clips", type=int, default=12, help="spoken prompts (default 12)")
    parser.add_argument("--prompts", type=int, default=5, help="typed prompts for first token")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads, the same for the embedded model and the server (default 1: on a "
        "shared 2-core machine, 2 threads spin at llama.cpp's barriers and run ~10x slower)",
    )
    args = parser.parse_args(argv)

    import dataclasses

    from assistant.config import Config
    from assistant.loader import llm_path

    config = Config()
    llm = dataclasses.replace(config.llm, threads=args.threads, temperature=0.0)
    config = dataclasses.replace(config, llm=llm)
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-server-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    clips = bench.pick(sorted((args.speech / "commands_en").glob("*.wav")), args.clips)
    prompts = bench.LLM_PROMPTS[: args.prompts]
    result: dict[str, Any] = {
        "machine": bench.machine_info(),
        "uptime_before": uptime(),
        "loadavg_before": loadavg(),
        "server": "llama_cpp.server (llama-cpp-python), default GGUF, loopback",
        "llama_threads": args.threads,
    }
    proc, url = start_server(llm_path(config), work / "server.log", args.threads)
    try:
        bench.log(f"server at {url}; LLM first token ({len(prompts)} prompts)")
        result["llm"] = bench_first_token(config, url, prompts)
        bench.log(f"voice loop ({len(clips)} clips, local and server alternately)")
        result["voice"] = bench_voice(clips, url, work, args.threads)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    result["uptime_after"] = uptime()
    result["loadavg_after"] = loadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bench_server.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    bench.log(f"wrote {path}")
    print(table(result))
    print(f"\nload average before {result['uptime_before']}; after {result['uptime_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
