"""Benchmark the everyday skills: routing, time parsing, timer lateness and answer latency.

Usage (from the checkout):

    .venv/bin/python scripts/bench_skills.py [--parts routing,times,firing,latency]
                                             [--out docs/bench_skills.json] [--timers 50]

1. Routing: every utterance of ../shared/benchmarks/intents/slurp_test_assistant.tsv (SLURP test
   set, CC BY 4.0) through the intent layer. Alarm and calendar utterances must reach the
   reminders skill, datetime ones the time skill, lists ones the lists skill; everything else
   (weather, lights, jokes…) must reach no skill (the LLM answers). The rules were first tuned
   while looking at the errors of the even-numbered slurp_ids only, the odd-numbered half held
   out; a later round of general rules looked at the errors of both halves, so the odd half is
   no longer unseen. Both halves are still reported on their own (see HALVES_NOTE).
2. Times: the 326 of those utterances with a date/time slot, parsed against a fixed "now"
   (Wednesday 2026-03-11 10:30, America/New_York) and compared with the hand-written expected
   times in scripts/data/slurp_times_gold.tsv (its header gives the conventions).
3. Speech: the 31 recorded spoken commands of ../shared/benchmarks/speech/commands_en through
   the real speech-to-text, then the intent layer (11 are skills, 20 are not).
4. Firing: N timers of 0.3-3 s run through the real store and scheduler; lateness = the time
   the announcement callback ran minus the due time (p50/p95/max).
5. Latency: a skill answer through Engine.reply with the real piper voice, from the call (end of
   the user's text) to the first audio handed to the speaker.

Writes the JSON (machine, load average, all numbers) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.skills import times  # noqa: E402
from assistant.skills.intents import Recogniser, normalise  # noqa: E402

SLURP = ROOT.parent / "shared" / "benchmarks" / "intents" / "slurp_test_assistant.tsv"
if not SLURP.exists():
    SLURP = Path("/work/shared/benchmarks/intents/slurp_test_assistant.tsv")
GOLD = ROOT / "scripts" / "data" / "slurp_times_gold.tsv"
ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 11, 10, 30, tzinfo=ZONE)
SKILL_OF = {"alarm": "reminders", "calendar": "reminders", "datetime": "time", "lists": "lists"}
# The actions that count as right for each SLURP intent (a second, stricter score).
ACTIONS = {
    "alarm_set": {"set"}, "alarm_query": {"list"}, "alarm_remove": {"cancel"},
    "calendar_set": {"set"}, "calendar_query": {"list"}, "calendar_remove": {"cancel"},
    "lists_createoradd": {"add", "create"}, "lists_query": {"read", "which"},
    "lists_remove": {"remove", "clear", "remove_last"},
    "datetime_query": {"now", "date", "day_of", "place", "zones", "is_day", "until", "count_days"},
    "datetime_convert": {"place", "zones", "now"},
}  # fmt: skip
# Actions that ask about a time, or refer to one already set, rather than set a new one.
QUERY_ACTIONS = {"list", "read", "which", "now", "date", "day_of", "place", "zones", "cancel",
                 "remove", "clear", "remove_last", "is_day", "until", "count_days"}  # fmt: skip


HALVES_NOTE = (
    "tuned = even slurp_ids, held_out = odd ones. Rounds 1-2 looked only at the even half's "
    "errors (then: 94.8 % vs 81.9 %); round 3 (general rules: phrasing families, spoken forms) "
    "looked at the errors of both halves, so held_out is no longer unseen data; the unit tests "
    "check each new family on sentences that are not in SLURP."
)


def _rows() -> list[dict[str, str]]:
    with open(SLURP, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _pct(ok: int, n: int) -> float:
    return round(100 * ok / n, 1) if n else 0.0


def bench_routing(recogniser: Recogniser) -> dict[str, Any]:
    """Skill routing accuracy per SLURP scenario, on the tuned and the held-out halves."""
    ok: collections.Counter[tuple[str, str]] = collections.Counter()
    act_ok: collections.Counter[tuple[str, str]] = collections.Counter()
    total: collections.Counter[tuple[str, str]] = collections.Counter()
    errors = []
    started = time.perf_counter()
    rows = _rows()
    for row in rows:
        want = SKILL_OF.get(row["scenario"])
        got = recogniser.recognise(row["sentence"])
        half = "tuned" if int(row["slurp_id"]) % 2 == 0 else "held_out"
        group = row["scenario"] if want else "other"
        for key in ((group, half), (group, "all")):
            total[key] += 1
            if (got.skill if got else None) == want:
                ok[key] += 1
                if want is None or (got and got.action in ACTIONS.get(row["intent"], set())):
                    act_ok[key] += 1
        if (got.skill if got else None) != want:
            errors.append(
                {
                    "id": row["slurp_id"],
                    "intent": row["intent"],
                    "sentence": row["sentence"],
                    "want": want,
                    "got": f"{got.skill}.{got.action}" if got else None,
                }  # fmt: skip
            )
    per_ms = (time.perf_counter() - started) * 1000 / len(rows)
    out: dict[str, Any] = {"per_utterance_ms": round(per_ms, 2), "halves": HALVES_NOTE,
                           "groups": {}}  # fmt: skip
    for group in sorted({g for g, _ in total}):
        out["groups"][group] = {
            half: {"n": total[(group, half)],
                   "accuracy": _pct(ok[(group, half)], total[(group, half)]),
                   "action_accuracy": _pct(act_ok[(group, half)], total[(group, half)])}
            for half in ("all", "tuned", "held_out")
        }  # fmt: skip
    for half in ("all", "tuned", "held_out"):
        pos = [(g, half) for g in SKILL_OF if (g, half) in total]
        n = sum(total[k] for k in pos)
        out[f"skill_utterances_{half}"] = {
            "n": n,
            "routed_right_pct": _pct(sum(ok[k] for k in pos), n),
            "action_right_pct": _pct(sum(act_ok[k] for k in pos), n),
            "other_kept_for_llm_pct": _pct(ok[("other", half)], total[("other", half)]),
        }
    out["errors"] = errors
    return out


def _gold() -> dict[str, str]:
    gold = {}
    with open(GOLD, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("slurp_id"):
                continue
            sid, expected = line.rstrip("\n").split("\t")
            gold[sid] = expected
    return gold


def _rule_text(rule: times.Rule) -> str:
    if rule.kind == "weekly":
        return f"weekly {','.join(map(str, rule.days))} {rule.hour:02d}:{rule.minute:02d}"
    if rule.kind == "yearly":
        return f"yearly {rule.month:02d}-{rule.day:02d} {rule.hour:02d}:{rule.minute:02d}"
    return f"{rule.kind} {rule.seconds}"


def _judge(expected: str, parsed: times.Parsed) -> tuple[bool, str]:
    when = parsed.when
    got = (
        "problem" if parsed.problem else "question" if parsed.question else
        f"R:{_rule_text(when.rule)}" if when and when.rule else
        f"{'T' if when.has_time else 'D'}:{when.at:%Y-%m-%dT%H:%M}" if when else "nothing"
    )  # fmt: skip
    if expected == "PAST":
        return bool(parsed.problem or (parsed.question and "passed" in parsed.question.text)), got
    if expected == "ASK":
        return parsed.question is not None, got
    if when is None:
        if expected.startswith("D:") and parsed.question and parsed.day:
            # The day was understood; only the time of day is asked for ("today" → "what time?").
            return f"{parsed.day:%Y-%m-%d}" == expected[2:], f"question, day {parsed.day}"
        return False, got
    if expected.startswith("R:"):
        return bool(when.rule) and _rule_text(when.rule) == expected[2:], got
    if when.rule:
        return False, got
    if expected.startswith("D:"):
        return f"{when.at:%Y-%m-%d}" == expected[2:], got
    return when.has_time and f"{when.at:%Y-%m-%dT%H:%M}" == expected[2:], got


def bench_times(recogniser: Recogniser) -> dict[str, Any]:
    """Time expressions resolved to the expected absolute time (see GOLD)."""
    gold = _gold()
    rows = {r["slurp_id"]: r for r in _rows()}
    scored = right = 0
    skipped: collections.Counter[str] = collections.Counter()
    by_kind: collections.Counter[str] = collections.Counter()
    by_kind_ok: collections.Counter[str] = collections.Counter()
    errors = []
    for sid, expected in gold.items():
        if expected.startswith("SKIP"):
            skipped[expected[5:]] += 1
            continue
        row = rows[sid]
        text = normalise(row["sentence"])
        intent = recogniser.recognise(text, normalised=True)
        # As the product does it: the recognised action decides (not the SLURP label).
        query = bool(intent and intent.action in QUERY_ACTIONS)
        parsed = times.parse(text, NOW, purpose="query" if query else "reminder")
        good, got = _judge(expected, parsed)
        kind = expected.split(":")[0]
        scored += 1
        by_kind[kind] += 1
        if good:
            right += 1
            by_kind_ok[kind] += 1
        else:
            errors.append(
                {"id": sid, "sentence": row["sentence"], "expected": expected, "got": got}
            )
    return {
        "reference_now": NOW.isoformat(),
        "scored": scored,
        "right_pct": _pct(right, scored),
        "by_kind": {
            k: {"n": by_kind[k], "right_pct": _pct(by_kind_ok[k], by_kind[k])}
            for k in sorted(by_kind)
        },  # fmt: skip
        "skipped": dict(skipped),
        "errors": errors,
    }


SPEECH = SLURP.parent.parent / "speech" / "commands_en"
# The spoken commands that are skills (by file name); every other clip must reach no skill.
SPOKEN_SKILLS = {
    "add_apples_to_my_Shopping_List.wav": "lists", "cancel_all_timers.wav": "timers",
    "cancel_timer.wav": "timers", "pause_timer.wav": "timers", "resume_timer.wav": "timers",
    "set_a_timer_for_30_seconds.wav": "timers",
    "set_a_timer_for_3_hours_and_10_minutes.wav": "timers",
    "set_a_timer_for_5_minutes.wav": "timers", "timer_status.wav": "timers",
    "what_time_is_it.wav": "time", "whats_the_date.wav": "time",
}  # fmt: skip


def bench_speech(recogniser: Recogniser) -> dict[str, Any]:
    """The 31 recorded spoken commands: real Whisper tiny.en transcript → skill."""
    from assistant.audio.frames import read_audio
    from assistant.config import Config
    from assistant.models import registry
    from assistant.stages.stt import WhisperTranscriber

    config = Config()
    whisper = WhisperTranscriber(registry.require(config, "stt"), config.stt)
    rows = []
    for clip in sorted(SPEECH.glob("*.wav")):
        heard = whisper.transcribe(read_audio(clip)).text
        got = recogniser.recognise(heard)
        want = SPOKEN_SKILLS.get(clip.name)
        rows.append({"clip": clip.name, "heard": heard, "want": want,
                     "got": f"{got.skill}.{got.action}" if got else None,
                     "right": (got.skill if got else None) == want})  # fmt: skip
    skill_rows = [r for r in rows if r["want"]]
    other_rows = [r for r in rows if not r["want"]]
    return {
        "clips": len(rows),
        "skill_clips_right_pct": _pct(sum(r["right"] for r in skill_rows), len(skill_rows)),
        "skill_clips": len(skill_rows),
        "other_clips_kept_for_llm_pct": _pct(sum(r["right"] for r in other_rows), len(other_rows)),
        "rows": rows,
    }


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def bench_firing(n: int) -> dict[str, Any]:
    """Lateness of timers fired by the real scheduler from the real store."""
    import random

    from assistant.skills.router import Skills
    from assistant.skills.store import SkillStore

    lateness: list[float] = []
    done = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        store = SkillStore(Path(tmp) / "memory.sqlite3")
        skills = Skills(store, "bench", ZONE)
        due: dict[str, float] = {}

        def announce(text: str) -> None:
            at = time.time()
            lateness.append(at - due[text])
            if len(lateness) == n:
                done.set()

        skills.start(announce)
        rng = random.Random(7)
        for i in range(n):
            length = rng.uniform(0.3, 3.0)
            name = f"t{i}"
            now = time.time()
            store.add_timer("bench", name, length, now)
            due[f"Your {name} timer is done."] = now + length
            skills.ctx.changed()
            time.sleep(rng.uniform(0.0, 0.05))
        done.wait(30)
        skills.stop()
        store.close()
    ms = [x * 1000 for x in lateness]
    return {
        "timers": n,
        "fired": len(ms),
        "lateness_ms": {
            "p50": round(_percentile(ms, 0.5), 1),
            "p95": round(_percentile(ms, 0.95), 1),
            "max": round(max(ms), 1),
            "min": round(min(ms), 1),
        },
    }


def bench_latency(repeats: int = 5) -> dict[str, Any]:
    """Skill answer latency in-process: Engine.reply with the real voice → first audio out."""
    from assistant import events as ev
    from assistant.config import Config
    from assistant.engine import Engine, Models
    from assistant.loader import load_tts
    from assistant.skills.router import Skills
    from assistant.skills.store import SkillStore

    class FirstAudio:
        """A speaker that notes when it is first handed audio (then discards it)."""

        def __init__(self) -> None:
            self.first: float | None = None

        def play(self, pcm: Any, rate: int) -> float:
            if self.first is None:
                self.first = time.perf_counter()
            return 0.0

        def busy_until(self) -> float:
            return 0.0

        def wait(self) -> None:
            pass

        def close(self) -> None:
            pass

    config = Config()
    tts = load_tts(config)
    commands = ["what time is it", "set a timer for ten minutes",
                "add oat milk to my shopping list", "remind me tomorrow at 9 to call mom",
                "what's on my shopping list"]  # fmt: skip
    results: dict[str, list[float]] = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        store = SkillStore(Path(tmp) / "memory.sqlite3")
        skills = Skills(store, "bench", ZONE)
        skills.warm_up()
        answer_ms: list[float] = []
        plain_answer = skills.answer

        def timed_answer(text: str) -> str | None:
            started = time.perf_counter()
            try:
                return plain_answer(text)
            finally:
                answer_ms.append((time.perf_counter() - started) * 1000)

        skills.answer = timed_answer  # type: ignore[method-assign]
        models = Models(vad=None, stt=None, llm=None, tts=tts)  # type: ignore[arg-type]
        speaker = FirstAudio()
        engine = Engine(config, models, speaker, lambda e: None, None, skills)
        list(tts.synthesize("Warm up."))
        for _ in range(repeats):
            for text in commands:
                speaker.first = None
                started = time.perf_counter()
                turn = engine.reply(text)
                assert isinstance(turn, ev.Turn) and speaker.first is not None
                results[text].append((speaker.first - started) * 1000)
        store.close()
    every = [v for vs in results.values() for v in vs]
    return {
        "repeats": repeats,
        "first_audio_ms": {"p50": round(statistics.median(every), 1),
                           "p95": round(_percentile(every, 0.95), 1), "max": round(max(every), 1)},
        "per_command_median_ms": {k: round(statistics.median(v), 1) for k, v in results.items()},
        # Of that, the skill itself (recognise, act, store, phrase the answer); the rest is piper
        # synthesising the first sentence.
        "skill_answer_ms": {"p50": round(statistics.median(answer_ms), 1),
                            "p95": round(_percentile(answer_ms, 0.95), 1)},
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="routing,times,speech,firing,latency")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_skills.json")
    parser.add_argument("--timers", type=int, default=50)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    recogniser = Recogniser()
    recogniser.warm_up()
    result: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        },  # fmt: skip
    }
    runs = {
        "routing": lambda: bench_routing(recogniser),
        "times": lambda: bench_times(recogniser),
        "speech": lambda: bench_speech(recogniser),
        "firing": lambda: bench_firing(args.timers),
        "latency": bench_latency,
    }
    for part, run in runs.items():
        if part in parts:
            before = [round(x, 2) for x in os.getloadavg()]
            result[part] = run()
            # Each part keeps the machine's load while it ran (the machine is shared).
            result[part]["load_average"] = {
                "before": before,
                "after": [round(x, 2) for x in os.getloadavg()],
            }
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():  # keep the parts not re-run this time
        old = json.loads(args.out.read_text())
        result = {**old, **result}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print("| measure | result |\n|---|---|")
    if "routing" in result:
        r = result["routing"]
        for half in ("all", "tuned", "held_out"):
            s = r[f"skill_utterances_{half}"]
            print(f"| routing, {half} ({s['n']} skill utterances) | {s['routed_right_pct']}% right "
                  f"skill ({s['action_right_pct']}% right action); other utterances kept for the "
                  f"LLM {s['other_kept_for_llm_pct']}% |")  # fmt: skip
    if "times" in result:
        t = result["times"]
        print(f"| time expressions ({t['scored']} scored, {sum(t['skipped'].values())} skipped) "
              f"| {t['right_pct']}% right |")  # fmt: skip
    if "speech" in result:
        sp = result["speech"]
        print(f"| spoken commands (real Whisper tiny.en): {sp['skill_clips']} skill clips | "
              f"{sp['skill_clips_right_pct']}% to the right skill; other clips kept for the LLM "
              f"{sp['other_clips_kept_for_llm_pct']}% |")  # fmt: skip
    if "firing" in result:
        f = result["firing"]["lateness_ms"]
        print(f"| timer lateness ({result['firing']['timers']} timers) | p50 {f['p50']} ms, "
              f"p95 {f['p95']} ms, max {f['max']} ms |")  # fmt: skip
    if "latency" in result:
        la = result["latency"]["first_audio_ms"]
        load = result["latency"].get("load_average", {}).get("before", ["?"])[0]
        sa = result["latency"]["skill_answer_ms"]
        print(
            f"| skill answer → first audio | p50 {la['p50']} ms, p95 {la['p95']} ms, "
            f"max {la['max']} ms (the skill itself: p50 {sa['p50']} ms, p95 {sa['p95']} ms); "
            f"load {load} |"
        )
    print(f"load average {result['machine']['load_average_before']} → "
          f"{result['machine']['load_average_after']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
