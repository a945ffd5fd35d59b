"""Long-term memory on a real SQLite file with the real embedding model."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta

import pytest

from assistant.config import MemoryConfig
from assistant.errors import AssistantError
from assistant.memory import MemoryStore
from assistant.memory.keeper import MemoryKeeper, second_person


@pytest.fixture(scope="module")
def embedder(default_config):
    from assistant.memory.store import _default_embedder

    return _default_embedder()


@pytest.fixture()
def store(tmp_path, embedder):
    s = MemoryStore(tmp_path / "memory.sqlite3", embedder=embedder)
    yield s
    s.close()


def texts(hits):
    return [h.text for h in hits]


def test_the_documented_api(tmp_path, embedder):
    store = MemoryStore(tmp_path / "m.sqlite3", embedder=embedder)
    mid = store.add("My sister Anna lives in Boston", profile="default", when=None)
    store.add("I had pasta for lunch")
    hits = store.search("where does my sister live?", profile="default", k=5)
    assert hits[0].id == mid and hits[0].text == "My sister Anna lives in Boston"
    assert hits[0].score >= hits[-1].score and isinstance(hits[0].when, datetime)
    store.forget(mid)
    assert mid not in [h.id for h in store.search("sister Anna Boston")]
    store.close()


def test_profiles_never_see_each_other(store):
    store.add("The launch code word is pineapple", profile="work")
    store.add("I adore pineapple on pizza", profile="play")
    for profile, other in (("work", "play"), ("play", "work")):
        hits = store.search("pineapple", profile=profile, k=10)
        assert hits and all(h.profile == profile for h in hits)
        assert all(h.text not in texts(store.list(other)) for h in hits)
    assert store.search("pineapple", profile="default") == []
    assert store.count("work") == 1 and store.count("play") == 1
    # forget by id is refused across profiles
    (work_id,) = [m.id for m in store.list("work")]
    assert store.forget(work_id, profile="play") is False
    assert store.count("work") == 1


def test_export_only_holds_one_profile_and_imports_back(store, tmp_path, embedder):
    store.add("Secret project Falcon ships in May", profile="work", when=datetime(2025, 3, 1, 9))
    store.add("My cat is called Tom", profile="play")
    path = tmp_path / "work.jsonl"
    with open(path, "w") as fh:
        assert store.export(fh, profile="work") == 1
    exported = [json.loads(x) for x in path.read_text().splitlines()]
    assert [e["text"] for e in exported] == ["Secret project Falcon ships in May"]
    other = MemoryStore(tmp_path / "other.sqlite3", embedder=embedder)
    assert other.import_(path.read_text().splitlines(), profile="work") == 1
    assert other.import_(path.read_text().splitlines(), profile="work") == 0  # idempotent
    (m,) = other.search("Falcon", profile="work")
    assert m.when.replace(tzinfo=None) == datetime(2025, 3, 1, 9)
    with pytest.raises(AssistantError, match="line 1 is not a memory"):
        other.import_(['{"text": "no id"}'], profile="work")
    other.close()


def test_conversation_context_finds_the_answer_in_a_neighbouring_turn(store):
    thread = "chat 1"
    for speaker, text in [
        ("user", "I finally went to the new ramen place"),
        ("Sam", "How was it?"),
        ("user", "Amazing, the broth was incredible"),
        ("user", "Unrelated: my tyres need changing"),
    ]:
        store.add(text, speaker=speaker, thread=thread, kind="turn")
    # The answer shares no word with the question: it is found through the turn before it.
    hits = store.search("what did I think of the ramen?", k=3)
    assert "Amazing, the broth was incredible" in texts(hits)
    assert "Unrelated: my tyres need changing" not in texts(hits)


def test_forgetting_removes_the_text_from_neighbours_too(store, tmp_path):
    ids = [
        store.add(t, thread="c", kind="turn", speaker="user")
        for t in [
            "We talked about the weather",
            "My password hint is zebracorn",
            "Anyway, nice day",
        ]
    ]
    assert "My password hint is zebracorn" in texts(store.search("zebracorn"))
    store.forget(ids[1])
    assert store.search("zebracorn", min_similarity=0.5) == []
    store.close()
    raw = (tmp_path / "memory.sqlite3").read_bytes()
    assert b"zebracorn" not in raw  # secure_delete + checkpoint: not left on disk


def test_pinned_facts_supersede_by_slot(store):
    store.add("The user lives in Silver Lake.", kind="fact", slot="user.home")
    store.add("The user likes jazz.", kind="fact", slot="pref.jazz")
    store.add("The user lives in Pasadena.", kind="fact", slot="user.home")
    assert texts(store.facts()) == ["The user likes jazz.", "The user lives in Pasadena."]


def test_time_awareness(store):
    now = datetime(2025, 6, 20, 12)
    store.add("I went hiking in the hills", when=now - timedelta(days=30 * 3))
    store.add("I went hiking by the lake", when=now - timedelta(days=8))
    assert store.search("where did I go hiking last week?", now=now, k=1)[0].text.endswith("lake")
    assert store.search("where did I go hiking in March?", now=now, k=1)[0].text.endswith("hills")


def test_recall_leaves_out_the_current_conversation(store):
    keeper = MemoryKeeper(store, "default", MemoryConfig(), "Sam")
    store.add("I planted tomatoes in the garden", thread="long ago", kind="turn", speaker="user")
    keeper.remember("my tomatoes are growing well", "Lovely!")
    recalled = keeper.recall("how are my tomatoes doing")
    assert any("planted tomatoes" in r for r in recalled)
    assert not any("growing well" in r for r in recalled)


def test_keeper_pins_facts_and_answers_memory_commands(store):
    keeper = MemoryKeeper(store, "default", MemoryConfig(), "Sam")
    keeper.remember("I live in Silver Lake", "Nice!")
    keeper.remember("I moved to Pasadena last month", "Exciting!")
    assert keeper.facts() == ["The user lives in Pasadena."]
    answer, _ = keeper.command("what do you remember about me?")
    assert "You live in Pasadena." in answer and "Silver Lake" not in answer
    answer, words = keeper.command("forget what I said about Pasadena")
    assert answer.startswith("Done.") and "pasadena" in words
    assert keeper.facts() == [] and store.search("Pasadena", min_similarity=0.6) == []
    assert keeper.command("I forgot my keys") is None


def test_forget_everything_erases_the_profiles_skills_data_too(store, tmp_path):
    from assistant.skills.store import SkillStore

    path = tmp_path / "memory.sqlite3"
    skills = SkillStore(path)
    for profile, word in (("default", "zebracorn"), ("work", "okapi")):
        skills.add_note(profile, f"the {word} code is 4711", 1e9)
        skills.add_item(profile, "shopping", f"{word} milk", 1e9)
        skills.add_reminder(profile, f"call {word}", 2e9, "UTC", None, False, 1e9)
        skills.add_timer(profile, f"{word}", 600, 2e9)
    keeper = MemoryKeeper(store, "default", MemoryConfig(), "Sam")
    keeper.remember("I live in Silver Lake", "Nice!")
    answer, words = keeper.command("forget everything you know about me")
    assert answer.startswith("Done.") and words == ["*"]
    assert store.list("default") == []
    assert (skills.notes("default"), skills.lists("default")) == ([], [])
    assert (skills.reminders("default"), skills.timers("default")) == ([], [])
    # Another profile keeps all of its own.
    assert len(skills.notes("work")) == 1 and skills.lists("work") == [("shopping", 1)]
    assert len(skills.reminders("work")) == 1 and len(skills.timers("work")) == 1
    skills.close()
    store.close()
    raw = path.read_bytes()
    assert b"zebracorn" not in raw and b"Silver Lake" not in raw and b"okapi" in raw


def test_forget_about_a_topic_erases_matching_skill_records(store, tmp_path):
    from assistant.skills.store import SkillStore

    path = tmp_path / "memory.sqlite3"
    skills = SkillStore(path)
    skills.add_note("default", "my Locker code is quagga 4711", 1e9)
    skills.add_note("default", "the locker room opens at 7", 1e9)
    skills.add_note("work", "locker code for the gym is okapi 1234", 1e9)
    # Reminders, list items and timer names are the user's words too.
    skills.add_reminder("default", "change the locker codes", 2e9, "UTC", None, False, 1e9)
    skills.add_item("default", "to do", "write down locker code", 1e9)
    skills.add_item("default", "to do", "buy a lock", 1e9)
    skills.add_timer("default", "locker code", 60, 1e9)
    keeper = MemoryKeeper(store, "default", MemoryConfig(), "Sam")
    answer, words = keeper.command("forget what I said about my locker code")
    assert answer == "Done. I've forgotten 4 things about my locker code." and "locker" in words
    # Only what holds every word, and only this profile's.
    assert [t for _, t in skills.notes("default")] == ["the locker room opens at 7"]
    assert [i for _, i in skills.items("default", "to do")] == ["buy a lock"]
    assert skills.reminders("default") == [] and skills.timers("default") == []
    assert len(skills.notes("work")) == 1
    skills.close()
    store.close()
    raw = path.read_bytes()
    assert b"quagga" not in raw and b"okapi" in raw


def test_second_person():
    assert second_person("The user's sister is called Anna.") == "Your sister is called Anna."
    assert second_person("The user no longer lives in Boston.") == "You no longer live in Boston."


def test_corrupt_newer_and_locked_databases_are_left_untouched(tmp_path, embedder):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AssistantError, match="unreadable.*left untouched"):
        MemoryStore(bad, embedder=embedder)
    assert bad.read_bytes() == b"this is not a database" * 100

    newer = tmp_path / "newer.sqlite3"
    MemoryStore(newer, embedder=embedder).close()
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(AssistantError, match="newer version"):
        MemoryStore(newer, embedder=embedder)

    locked = tmp_path / "locked.sqlite3"
    MemoryStore(locked, embedder=embedder).close()
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AssistantError, match="locked"):
            MemoryStore(locked, embedder=embedder)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reopening_finds_everything(tmp_path, embedder):
    path = tmp_path / "m.sqlite3"
    with MemoryStore(path, embedder=embedder) as s:
        ids = [s.add(f"memory number {i} about llamas", thread="t", kind="turn") for i in range(5)]
    with MemoryStore(path, embedder=embedder) as s:
        assert [m.id for m in s.list()] == ids
        assert len(s.search("llamas", k=10)) == 5


def test_kill_minus_nine_loses_nothing_already_stored(tmp_path):
    """A writer process is killed mid-stream; every add() that returned is on disk."""
    path = tmp_path / "m.sqlite3"
    log = tmp_path / "done.txt"
    script = textwrap.dedent(f"""
        import sys
        from assistant.memory import MemoryStore
        store = MemoryStore({str(path)!r})
        with open({str(log)!r}, "w") as log:
            for i in range(10_000):
                mid = store.add(f"turn {{i}} of a long talk", thread="t", kind="turn")
                log.write(mid + "\\n"); log.flush()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.exists() or len(log.read_text().split()) < 15):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acknowledged = log.read_text().split()
    assert len(acknowledged) >= 15
    with MemoryStore(path) as s:
        stored = {m.id for m in s.list()}
    assert set(acknowledged) <= stored


def test_memory_cli(tmp_path, default_config):
    from tests.conftest import ASSISTANT, run_env

    env = run_env(tmp_path)

    def cli(*args, stdin=""):
        return subprocess.run(
            [*ASSISTANT, *args, "--data-dir", str(tmp_path / "d")],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )

    said = cli(
        "chat",
        "--quiet",
        "--profile",
        "work",
        stdin="My name is Ray and I live in Silver Lake.\nI moved to Pasadena.\n",
    )
    assert said.returncode == 0, said.stderr
    listed = cli("memory", "list", "--profile", "work").stdout.splitlines()
    assert any("fact  The user lives in Pasadena." in line for line in listed)
    assert not any("fact  The user lives in Silver Lake." in line for line in listed)
    assert cli("memory", "list").stdout == ""  # the default profile saw none of it
    hits = cli("memory", "search", "where do I live", "--profile", "work", "-k", "3").stdout
    assert "Pasadena" in hits

    exported = tmp_path / "work.jsonl"
    assert cli("memory", "export", str(exported), "--profile", "work").returncode == 0
    assert len(exported.read_text().splitlines()) == len(listed)
    assert "imported" in cli("memory", "import", str(exported), "--profile", "copy").stdout
    assert len(cli("memory", "list", "--profile", "copy").stdout.splitlines()) == len(listed)

    first_id = listed[0].split()[0]
    assert cli("memory", "forget", first_id, "--profile", "work").returncode == 0
    gone = cli("memory", "forget", first_id, "--profile", "work")
    assert gone.returncode == 2 and "no memory with id" in gone.stderr
    bad = cli("memory", "list", "--profile", "../etc")
    assert bad.returncode == 2 and "invalid profile name" in bad.stderr

    answer = cli("chat", "--quiet", "--profile", "work", stdin="What do you remember about me?\n")
    assert "You live in Pasadena." in answer.stdout
