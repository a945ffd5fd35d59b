"""Benchmark long-term memory: LoCoMo retrieval recall, insert throughput, search latency at 100k.

    .venv/bin/python scripts/bench_memory.py [--quick] [--out bench-out] [--size 100000]

Recall: each LoCoMo conversation is stored as one profile (every turn a memory, its session a
thread, its session date the time, image captions appended), then each question of categories
1–4 is searched in that profile only; recall@k is the share of the question's evidence turns in
the top k (mean per category and overall). Speed: a store of --size memories (the LoCoMo turns
repeated in fresh profiles-worth of threads) is searched with the LoCoMo questions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.memory import MemoryStore  # noqa: E402

LOCOMO = ROOT.parent / "shared" / "benchmarks" / "locomo" / "locomo10.json"
KS = (1, 5, 10, 20)
_MONTHS = "january february march april may june july august september october november december"


def parse_when(text: str) -> datetime:
    """LoCoMo's "1:56 pm on 8 May, 2023"."""
    m = re.match(r"\s*(\d+):(\d+)\s*(am|pm)\s+on\s+(\d+)\s+(\w+),?\s+(\d{4})", text, re.I)
    if not m:
        raise ValueError(f"unexpected date {text!r}")
    h, mi, ap, d, month, y = m.groups()
    hour = int(h) % 12 + (12 if ap.lower() == "pm" else 0)
    return datetime(int(y), _MONTHS.split().index(month.lower()) + 1, int(d), hour, int(mi))


def load(path: Path) -> list[dict]:
    conversations = []
    for sample in json.loads(path.read_text()):
        c = sample["conversation"]
        turns = []
        sessions = sorted(int(k.split("_")[1]) for k in c if re.fullmatch(r"session_\d+", k))
        for s in sessions:
            when = parse_when(c[f"session_{s}_date_time"])
            for t in c[f"session_{s}"]:
                text = t["text"] + (
                    f" [shares a photo: {t['blip_caption']}]" if t.get("blip_caption") else ""
                )
                turns.append(
                    {
                        "id": t["dia_id"],
                        "text": text,
                        "speaker": t["speaker"],
                        "thread": f"session {s}",
                        "when": when,
                        "kind": "turn",
                    }
                )
        known = {t["id"] for t in turns}
        questions = []
        for q in sample["qa"]:
            evidence = sorted({e for e in q.get("evidence", []) if e in known})
            if q["category"] <= 4 and evidence:
                questions.append({"q": q["question"], "cat": q["category"], "evidence": evidence})
        last = max(t["when"] for t in turns)
        conversations.append(
            {
                "id": sample["sample_id"],
                "turns": turns,
                "questions": questions,
                "now": last + timedelta(days=1),
            }
        )
    return conversations


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_recall(conversations: list[dict], store: MemoryStore) -> dict:
    per: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    insert_s, n_inserted, search_ms = 0.0, 0, []
    for conv in conversations:
        profile = conv["id"]
        started = time.perf_counter()
        # Memory ids are global; LoCoMo's dia_ids repeat across conversations, so prefix them.
        store.add_many([{**t, "id": f"{profile}:{t['id']}"} for t in conv["turns"]], profile)
        insert_s += time.perf_counter() - started
        n_inserted += len(conv["turns"])
        for q in conv["questions"]:
            started = time.perf_counter()
            hits = store.search(q["q"], profile, k=max(KS), now=conv["now"])
            search_ms.append((time.perf_counter() - started) * 1000)
            found = [h.id.split(":", 1)[1] for h in hits]
            for k in KS:
                per[q["cat"]][k].append(
                    len(set(found[:k]) & set(q["evidence"])) / len(q["evidence"])
                )
    result = {
        str(c): {f"@{k}": round(statistics.mean(per[c][k]), 3) for k in KS} | {"n": len(per[c][1])}
        for c in sorted(per)
    }
    every = [v for c in per for v in per[c][10]]
    result["all"] = {
        f"@{k}": round(statistics.mean([v for c in per for v in per[c][k]]), 3) for k in KS
    } | {"n": len(every)}
    result["insert_per_s"] = round(n_inserted / insert_s, 1)
    result["search_ms_p50"] = round(pct(search_ms, 50), 2)
    result["search_ms_p95"] = round(pct(search_ms, 95), 2)
    return result


class CachingEmbedder:
    """Wraps the real embedder and remembers vectors, so refilling with copies costs no model time.

    Only the 100k fill uses it (its texts repeat); recall and insert throughput use the plain
    model, and every search embeds its question for real (questions are not cached).
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.cache: dict[str, object] = {}
        self.enabled = True

    def embed(self, texts: list[str]):
        import numpy as np

        if not self.enabled:
            return self.inner.embed(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.embed(missing), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts])


def bench_scale(conversations: list[dict], store: MemoryStore, size: int) -> dict:
    """Fill one profile to `size` memories and time searches (and one more insert) there."""
    base = [t for conv in conversations for t in conv["turns"]]
    added, copy = 0, 0
    started = time.perf_counter()
    while added < size:
        chunk = []
        for t in base[: size - added]:
            chunk.append(
                {
                    **t,
                    "id": f"s{copy}:{t['id']}:{added + len(chunk)}",
                    "thread": f"{copy}/{t['thread']}",
                    "when": t["when"] + timedelta(days=400 * copy),
                }
            )
        for i in range(0, len(chunk), 2000):
            store.add_many(chunk[i : i + 2000], "scale")
        added += len(chunk)
        copy += 1
        print(
            f"  {added} memories stored ({added / (time.perf_counter() - started):.0f}/s)",
            file=sys.stderr,
            flush=True,
        )
    fill_s = time.perf_counter() - started
    questions = [q["q"] for conv in conversations for q in conv["questions"]][::3]
    store.embedder.enabled = False  # searches and live adds below embed for real
    store.search("warm up", "scale")
    times = []
    for q in questions:
        t0 = time.perf_counter()
        store.search(q, "scale", k=5)
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    for i in range(20):
        store.add(
            f"live turn {i} about the garden", "scale", kind="turn", speaker="user", thread="live"
        )
    live_add_ms = (time.perf_counter() - t0) * 1000 / 20
    # How much of the exact vector top 100 the projected first pass keeps (vectors.py).
    index = store._index("scale")
    kept = []
    for q in questions[:100]:
        vec = store.embedder.embed([q])[0]
        fast = index.top(index.nearest(vec), 100)
        exact = index.top(index.nearest(vec, exact=True), 100)
        kept.append(len(set(fast) & set(exact)) / len(exact))
    return {
        "memories": store.count("scale"),
        "bulk_insert_per_s": round(size / fill_s, 1),
        "live_turn_add_ms": round(live_add_ms, 1),
        "queries": len(times),
        "search_ms_p50": round(pct(times, 50), 2),
        "search_ms_p95": round(pct(times, 95), 2),
        "vector_top100_kept": round(statistics.mean(kept), 4),
    }


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "date": datetime.now().isoformat(timespec="seconds"),
        # The timings are only comparable with the machine's load (it is shared).
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locomo", type=Path, default=LOCOMO)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out")
    parser.add_argument("--size", type=int, default=100_000, help="memories for the speed test")
    parser.add_argument("--quick", action="store_true", help="3 conversations, 10k memories")
    args = parser.parse_args()
    if not args.locomo.is_file():
        print(f"bench_memory: LoCoMo not found at {args.locomo}", file=sys.stderr)
        return 2
    conversations = load(args.locomo)
    if args.quick:
        conversations, args.size = conversations[:3], 10_000
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore(Path(tmp) / "memory.sqlite3")
        recall = bench_recall(conversations, store)
        print(json.dumps(recall, indent=1))
        embedder = CachingEmbedder(store.embedder)
        store.close()
        store = MemoryStore(Path(tmp) / "scale.sqlite3", embedder=embedder)
        scale = bench_scale(conversations, store, args.size)
        store.close()
    result = {"machine": machine(), "locomo": recall, "scale": scale}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_memory.json").write_text(json.dumps(result, indent=1))
    print("\n| category | n | recall@1 | @5 | @10 | @20 |\n|---|---|---|---|---|---|")
    names = {
        "1": "1 multi-hop",
        "2": "2 temporal",
        "3": "3 open-domain",
        "4": "4 single-hop",
        "all": "**all (1–4)**",
    }
    for c, name in names.items():
        r = recall[c]
        print(f"| {name} | {r['n']} | {r['@1']} | {r['@5']} | {r['@10']} | {r['@20']} |")
    print(
        f"\nLoCoMo insert {recall['insert_per_s']}/s; search p50 {recall['search_ms_p50']} ms, "
        f"p95 {recall['search_ms_p95']} ms (per conversation, ~600 memories)"
    )
    print(
        f"At {scale['memories']} memories: search p50 {scale['search_ms_p50']} ms, p95 "
        f"{scale['search_ms_p95']} ms; bulk insert {scale['bulk_insert_per_s']}/s; adding one "
        f"live turn {scale['live_turn_add_ms']} ms; the vector first pass keeps "
        f"{scale['vector_top100_kept']:.1%} of the exact top 100 "
        f"(load average {result['machine']['load_avg']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
