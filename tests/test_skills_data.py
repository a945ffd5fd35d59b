"""The user's control over the skills' data: forget, export and import, on a real SQLite file."""

from __future__ import annotations

import io
import json
import subprocess

import pytest

from assistant.errors import AssistantError
from assistant.skills.store import KINDS, SkillStore, check_records

NOW = 1_773_239_400.0  # 2026-03-11 14:30 UTC


def _fill(store: SkillStore, profile: str, word: str) -> None:
    """One of each: a timer, a reminder, two list items and a note, all carrying word."""
    store.add_timer(profile, f"{word} timer", 600, NOW)
    store.add_reminder(profile, f"call {word}", NOW + 3600, "Europe/Berlin", None, False, NOW)
    store.add_item(profile, "shopping", f"{word} milk", NOW)
    store.add_item(profile, "to do", f"wash {word}", NOW + 1)
    store.add_note(profile, f"the {word} code is 4711", NOW)


def _everything(store: SkillStore, profile: str) -> list:
    return [
        [(t.name, t.length_s) for t in store.timers(profile)],
        [(r.text, r.due, r.zone, r.rule, r.alarm) for r in store.reminders(profile)],
        store.lists(profile),
        store.items(profile, "shopping") and [i for _, i in store.items(profile, "shopping")],
        store.notes(profile),
    ]


def _on_disk(path) -> bytes:
    """The database file and its write-ahead log, as bytes."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_forget_profile_erases_only_that_profile_and_scrubs_the_file(tmp_path):
    path = tmp_path / "memory.sqlite3"
    store = SkillStore(path)
    _fill(store, "ray", "zebracorn")
    _fill(store, "ann", "okapi")
    assert store.forget_profile("ray") == 5
    assert _everything(store, "ray") == [[], [], [], [], []]
    assert len(store.notes("ann")) == 1 and store.lists("ann") == [("shopping", 1), ("to do", 1)]
    assert store.timers("ann") and store.reminders("ann")
    raw = _on_disk(path)  # while still open: the checkpoint has already scrubbed it
    assert b"zebracorn" not in raw and b"okapi" in raw
    store.close()
    assert b"zebracorn" not in _on_disk(path)


def test_cleared_notes_and_items_leave_the_file(tmp_path):
    path = tmp_path / "memory.sqlite3"
    store = SkillStore(path)
    store.add_note("ray", "my locker code is quagga 1234", NOW)
    store.add_item("ray", "shopping", "aardwolf food", NOW)
    store.add_reminder("ray", "see the dugong", NOW + 60, "UTC", None, False, NOW)
    assert b"quagga" in _on_disk(path)
    assert store.clear_notes("ray") == 1
    ((iid, _),) = store.items("ray", "shopping")
    store.delete_item("ray", iid)
    store.delete_reminder("ray", store.reminders("ray")[0].id)
    raw = _on_disk(path)
    assert b"quagga" not in raw and b"aardwolf" not in raw and b"dugong" not in raw
    store.close()


def test_export_then_import_restores_every_kind_once(tmp_path):
    source = SkillStore(tmp_path / "a.sqlite3")
    _fill(source, "ray", "zebracorn")
    source.add_reminder("ray", "stand up", NOW + 60, "America/New_York", "weekly 0,1,2,3,4 08:00",
                        True, NOW)  # fmt: skip
    source.add_timer("ray", "", 60, NOW)
    paused = source.timers("ray")[-1]
    source.set_timer("ray", paused.id, None, 42.0)
    _fill(source, "ann", "okapi")
    out = io.StringIO()
    assert source.export(out, "ray") == 7
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["kind"] for r in records} == set(KINDS)
    assert not any("okapi" in json.dumps(r) for r in records)  # one profile only
    assert {r["created"] for r in records if r["kind"] == "skill_note"} == {
        "2026-03-11T14:30:00+00:00"
    }
    target = SkillStore(tmp_path / "b.sqlite3")
    target.add_item("copy", "shopping", "zebracorn milks", NOW)  # already there (plural)
    rows = check_records(enumerate(records, 1))
    assert target.import_(rows, "copy") == 6
    assert target.import_(rows, "copy") == 0  # importing twice is harmless
    assert _everything(target, "copy") == _everything(source, "ray")[:3] + [
        ["zebracorn milks"],
        _everything(source, "ray")[4],
    ]
    assert [t.left_s for t in target.timers("copy")] == [None, 42.0]
    assert target.reminders("copy")[0].rule == "weekly 0,1,2,3,4 08:00"
    source.close()
    target.close()


@pytest.mark.parametrize(
    "record, message",
    [
        ({"kind": "reminder", "text": "x", "zone": "UTC", "created": "2026-01-01T00:00:00"},
         "line 3 is not a reminder: missing due"),
        ({"kind": "list_item", "list": "shopping", "item": "eggs", "added": "yesterday"},
         "line 3 is not a list_item: Invalid isoformat"),
        ({"kind": "timer", "length_s": "long", "created": "2026-01-01T00:00:00+00:00"},
         "line 3 is not a timer: could not convert"),
    ],
)  # fmt: skip
def test_a_bad_record_is_named_by_its_line(record, message):
    good = {"kind": "skill_note", "text": "fine", "created": "2026-01-01T00:00:00+00:00"}
    with pytest.raises(AssistantError, match=message):
        check_records([(1, good), (3, record)])


def test_memory_cli_exports_and_imports_the_skills_data(tmp_path):
    from tests.conftest import ASSISTANT, run_env

    env = run_env(tmp_path)
    data = tmp_path / "d"

    def cli(*args):
        return subprocess.run([*ASSISTANT, *args, "--data-dir", str(data)], capture_output=True,
                              text=True, timeout=300, env=env)  # fmt: skip

    store = SkillStore(data / "memory.sqlite3")
    _fill(store, "work", "zebracorn")
    _fill(store, "play", "okapi")
    store.close()
    exported = tmp_path / "work.jsonl"
    done = cli("memory", "export", str(exported), "--profile", "work")
    assert done.returncode == 0, done.stderr
    assert "5 timers, reminders, list items and notes" in done.stdout
    kinds = sorted(json.loads(line)["kind"] for line in exported.read_text().splitlines())
    assert kinds == ["list_item", "list_item", "reminder", "skill_note", "timer"]
    done = cli("memory", "import", str(exported), "--profile", "copy")
    assert done.returncode == 0, done.stderr
    assert "imported 0 memories and 5 timers" in done.stdout
    store = SkillStore(data / "memory.sqlite3")
    assert _everything(store, "copy") == _everything(store, "work")
    store.close()

    # A bad line anywhere: a clear error, exit 2, and nothing of the file imported.
    lines = exported.read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([lines[0], '{"kind": "skill_note", "text": "x"}', *lines[1:]]))
    done = cli("memory", "import", str(broken), "--profile", "fresh")
    assert done.returncode == 2 and "line 2 is not a skill_note: missing created" in done.stderr
    assert "Traceback" not in done.stderr
    store = SkillStore(data / "memory.sqlite3")
    assert _everything(store, "fresh") == [[], [], [], [], []]
    store.close()


def _skills(store: SkillStore, profile: str):
    from zoneinfo import ZoneInfo

    from assistant.skills.router import Skills

    return Skills(store, profile, ZoneInfo("UTC"), clock=lambda: NOW)


def test_with_memory_off_forget_commands_reach_the_skills_data(tmp_path):
    path = tmp_path / "memory.sqlite3"
    store = SkillStore(path)
    store.add_reminder("ray", "call the dentist about the quagga tooth", NOW + 60, "UTC", None,
                       False, NOW)  # fmt: skip
    store.add_item("ray", "shopping", "dentist floss", NOW)
    store.add_item("ray", "shopping", "oat milk", NOW)
    store.add_note("ray", "the dentists are on Elm Street", NOW)  # a plural s is the same word
    store.add_timer("ray", "tea", 600, NOW)
    store.add_note("ann", "my dentist is Dr Okapi", NOW)
    skills = _skills(store, "ray")
    assert skills.memory_command("set a timer for 5 minutes") is None  # not a memory command
    answer, words = skills.memory_command("what do you remember about me")
    assert answer == ("Memory is turned off, so I keep nothing about you except your note, your "
                      "2 list items, your reminder and your timer.")  # fmt: skip
    assert words == []
    # A skill's own erasing ("forget my notes" parses as a memory command too) is the skill's.
    assert skills.memory_command("forget my notes") is None
    assert skills.answer("forget my notes") == "Delete your note?"
    assert skills.answer("no") == "OK, I kept your notes."
    # The speculating engine must leave all of these alone until the turn is over.
    assert skills.claims("forget what I said about the dentist")
    assert skills.claims("forget everything you know about me")
    assert not skills.claims("tell me a story about a dentist")

    answer, words = skills.memory_command("forget what I said about the dentist")
    assert answer == "Done. I've erased 3 things about the dentist." and words == ["dentist"]
    assert store.reminders("ray") == [] and store.notes("ray") == []
    assert [i for _, i in store.items("ray", "shopping")] == ["oat milk"]
    assert b"quagga" not in _on_disk(path) and b"Elm Street" not in _on_disk(path)
    answer, _ = skills.memory_command("forget what I said about the zebracorn")
    assert answer == "Memory is turned off, so I have nothing about the zebracorn to forget."

    answer, words = skills.memory_command("please forget everything you know about me")
    assert answer == ("Done. I've erased your list item and your timer. Memory is turned off, so "
                      "I kept nothing else.")  # fmt: skip
    assert words == ["*"]
    assert _everything(store, "ray") == [[], [], [], [], []]
    assert [t for _, t in store.notes("ann")] == ["my dentist is Dr Okapi"]  # another profile's
    answer, _ = skills.memory_command("forget everything you know about me")
    assert answer == "Memory is turned off, so there was nothing about you to forget."
    raw = _on_disk(path)
    assert b"oat milk" not in raw and b"Okapi" in raw
    store.close()


def test_with_memory_off_the_engine_forgets_the_skills_data_and_the_conversation(tmp_path):
    from assistant import events as ev
    from assistant.config import Config
    from assistant.engine import Engine, Models
    from assistant.testing.fakes import (
        EnergyVad,
        FixedTranscriber,
        ScriptedChatModel,
        ToneSynthesizer,
    )

    store = SkillStore(tmp_path / "memory.sqlite3")
    store.add_note("default", "the wifi password is aardvark", NOW)
    llm = ScriptedChatModel(["Noted, Anna.", "I don't know."])
    models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
    got: list = []
    engine = Engine(Config(), models, None, got.append, None, _skills(store, "default"))
    assert engine.memory is None  # memory is off
    for text in ("my sister is called Anna", "add eggs to my shopping list",
                 "forget everything you know about me", "what is my sister called"):  # fmt: skip
        engine.submit(text)
    engine.finish()
    engine.run(None)
    replies = [e.reply_text for e in got if isinstance(e, ev.Turn)]
    assert replies == [
        "Noted, Anna.",
        "Added eggs to your shopping list.",
        "Done. I've erased your note and your list item. Memory is turned off, so I kept nothing "
        "else.",
        "I don't know.",
    ]
    assert len(llm.calls) == 2  # the commands never reached the language model
    # The conversation so far is forgotten too: the last prompt no longer holds "Anna".
    assert any("Anna" in m["content"] for m in llm.calls[0])
    assert not any("Anna" in m["content"] for m in llm.calls[1]), llm.calls[1]
    assert _everything(store, "default") == [[], [], [], [], []]
    store.close()


def test_memory_cli_lists_searches_and_forgets_skills_records_per_profile(tmp_path):
    import re

    from assistant.memory.store import MemoryStore
    from tests.conftest import ASSISTANT, run_env

    env = run_env(tmp_path)
    data = tmp_path / "d"
    path = data / "memory.sqlite3"

    def cli(*args):
        return subprocess.run([*ASSISTANT, "memory", *args, "--data-dir", str(data)],
                              capture_output=True, text=True, timeout=300, env=env)  # fmt: skip

    store = SkillStore(path)
    _fill(store, "work", "zebracorn")
    store.add_reminder("work", "stand up", NOW + 60, "UTC", "weekly;0,1,2,3,4;0;0;8;0;0", True,
                       NOW)  # fmt: skip
    paused = store.add_timer("work", "", 90, NOW)
    store.set_timer("work", paused.id, None, 42.0)
    _fill(store, "play", "okapi")
    store.close()
    memories = MemoryStore(path)
    mid = memories.add("my zebracorn likes oat milk", profile="work")
    memories.close()

    listed = cli("list", "--profile", "work")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"{mid}  ") and lines[0].endswith("my zebracorn likes oat milk")
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    wanted = [
        rf"timer:1  {stamp}  timer  zebracorn timer, 10 min, rings {stamp}",
        rf"timer:2  {stamp}  timer  timer, 1 min 30 s, paused with 42 s left",
        rf"reminder:1  {stamp}  reminder  reminder: call zebracorn, due {stamp}",
        rf"reminder:2  {stamp}  reminder  alarm: stand up, due {stamp}, every weekday at 8 am",
        rf"list_item:1  {stamp}  list_item  shopping list: zebracorn milk",
        rf"list_item:2  {stamp}  list_item  to do list: wash zebracorn",
        rf"skill_note:1  {stamp}  skill_note  note: the zebracorn code is 4711",
    ]
    assert len(lines) == 1 + len(wanted), lines
    for pattern, line in zip(wanted, lines[1:], strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
    assert "okapi" not in listed.stdout  # another profile's records are never listed
    play = cli("list", "--profile", "play").stdout
    assert "okapi" in play and "zebracorn" not in play
    assert cli("list").stdout == ""  # the default profile has nothing

    found = cli("search", "milk", "--profile", "work").stdout.splitlines()
    assert found[-1].startswith("list_item:1  ")
    assert found[-1].endswith("shopping list: zebracorn milk")
    assert any(line.startswith(mid) for line in found)  # the memory is found as before
    assert not any("okapi" in line for line in found)
    found = cli("search", "the zebracorn code", "--profile", "work").stdout.splitlines()
    assert [line.split()[0] for line in found if ":" in line.split()[0]] == ["skill_note:1"]

    # Another profile's record cannot be erased from this one, whatever its id.
    play_ids = [line.split()[0] for line in play.splitlines()]
    assert play_ids == ["timer:3", "reminder:3", "list_item:3", "list_item:4", "skill_note:2"]
    for rid in [*play_ids, "timer:99", "note:1"]:
        done = cli("forget", rid, "--profile", "work")
        assert done.returncode == 2 and f"no memory with id {rid} in profile 'work'" in done.stderr
    assert cli("list", "--profile", "play").stdout == play

    done = cli("forget", "reminder:1", "list_item:1", "timer:1", "--profile", "work")
    assert done.returncode == 0, done.stderr
    left = [line.split()[0] for line in cli("list", "--profile", "work").stdout.splitlines()]
    assert left == [mid, "timer:2", "reminder:2", "list_item:2", "skill_note:1"]
    raw = _on_disk(path)
    assert b"call zebracorn" not in raw and b"zebracorn milk" not in raw
    assert b"zebracorn timer" not in raw and b"okapi milk" in raw


def test_what_the_skills_delete_leaves_the_file_and_its_log(tmp_path):
    # Through the skills as the user drives them: a timer cancelled, a timer and a reminder that
    # rang, a list item removed, notes deleted. None of their words may stay readable on disk.
    path = tmp_path / "memory.sqlite3"
    store = SkillStore(path)
    now = [NOW]
    skills = _skills(store, "ray")
    skills.ctx.clock = lambda: now[0]
    said = [
        skills.answer("set a pizza timer for 10 minutes"),
        skills.answer("set a dugong timer for 5 minutes"),
        skills.answer("remind me in 20 minutes to feed the aardvark"),
        skills.answer("add quokka treats to my shopping list"),
        skills.answer("take a note: the gnu gate code is 4711"),
    ]
    assert all(said), said
    secrets = [b"pizza", b"dugong", b"aardvark", b"quokka", b"gnu gate"]
    assert all(s in _on_disk(path) for s in secrets)
    other = SkillStore(path)  # another connection, idle, as the app's memory store has
    assert len(other.timers("ray")) == 2
    assert skills.answer("cancel the dugong timer") == "Cancelled the dugong timer."
    assert b"dugong" not in _on_disk(path)
    now[0] = NOW + 601
    assert skills.fire_due(now[0]) == ["Your pizza timer is done."]
    now[0] = NOW + 20 * 60 + 1
    assert skills.fire_due(now[0]) == ["Reminder: feed the aardvark."]
    assert skills.answer("remove quokka treats from my shopping list").startswith("Removed")
    assert skills.answer("delete my notes") == "Delete your note?"
    assert skills.answer("yes") == "Deleted your note."
    assert _everything(store, "ray") == [[], [], [], [], []]
    raw = _on_disk(path)  # while the store is still open, as in the running app
    assert [s for s in secrets if s in raw] == []
    store.close()
    other.close()
    assert [s for s in secrets if s in _on_disk(path)] == []


def _typed_with_memory(store: SkillStore, texts: list[str], replies: list[str]):
    """Type texts to an engine with a real memory keeper and the skills; (its replies, the LLM)."""
    from assistant import events as ev
    from assistant.config import Config, MemoryConfig
    from assistant.engine import Engine, Models
    from assistant.memory.keeper import MemoryKeeper
    from assistant.memory.store import MemoryStore
    from assistant.testing.fakes import (
        EnergyVad,
        FixedTranscriber,
        ScriptedChatModel,
        ToneSynthesizer,
    )

    memories = MemoryStore(store.path)
    keeper = MemoryKeeper(memories, "default", MemoryConfig(), "Sam")
    llm = ScriptedChatModel(replies)
    models = Models(EnergyVad(), FixedTranscriber([]), llm, ToneSynthesizer())
    got: list = []
    engine = Engine(Config(), models, None, got.append, keeper, _skills(store, "default"))
    for text in texts:
        engine.submit(text)
    engine.finish()
    engine.run(None)
    memories.close()
    return [e.reply_text for e in got if isinstance(e, ev.Turn)], llm


def test_with_memory_on_a_skills_own_erasing_stays_the_skills(tmp_path):
    # "delete my notes" also parses as "forget <my notes>": the notes skill must answer it (and
    # ask first), not the memory command, which would find nothing "about my notes".
    store = SkillStore(tmp_path / "memory.sqlite3")
    store.add_note("default", "the wifi password is aardvark", NOW)
    texts = ["delete my notes", "yes", "clear my list", "forget what I said about the wifi"]
    replies, llm = _typed_with_memory(store, texts, [])
    assert replies == [
        "Delete your note?",
        "Deleted your note.",
        "Your shopping list is already empty.",
        "I don't have anything about the wifi to forget.",
    ]
    assert llm.calls == [] and store.notes("default") == []
    store.close()


def test_with_memory_off_a_pause_mid_forget_erases_nothing_early(tmp_path):
    # "Forget what I said about the dentist … (pause) … appointment": at the pause the engine
    # prepares a reply; forgetting must wait for the whole sentence, or the floss would go too.
    import numpy as np

    from assistant import events as ev
    from assistant.audio.files import FileMicrophone, FileSpeaker
    from assistant.config import Config
    from assistant.engine import Engine, Models
    from assistant.testing.fakes import (
        EnergyVad,
        FixedTranscriber,
        ScriptedChatModel,
        ToneSynthesizer,
        silence,
        tone,
    )

    pcm = np.concatenate([silence(0.5), tone(1.0), silence(0.3), tone(0.8), silence(3.0)])
    stt = FixedTranscriber(["forget what I said about the dentist"]
                           + ["forget what I said about the dentist appointment"] * 2)  # fmt: skip
    llm = ScriptedChatModel(["the language model must not be asked"])
    models = Models(EnergyVad(), stt, llm, ToneSynthesizer())
    store = SkillStore(tmp_path / "memory.sqlite3")
    store.add_item("default", "shopping", "dentist floss", NOW)
    store.add_reminder("default", "dentist appointment", NOW + 60, "UTC", None, False, NOW)
    mic = FileMicrophone(pcm, realtime=False)
    speaker = FileSpeaker(mic.clock, rate=16_000, min_duration_s=mic.duration)
    got: list[ev.Event] = []
    engine = Engine(Config(), models, speaker, got.append, None, _skills(store, "default"))
    engine.run(mic)
    partials = [e.text for e in got if isinstance(e, ev.PartialTranscript)]
    assert partials[0] == "forget what I said about the dentist"  # a reply could start here
    (turn,) = [e for e in got if isinstance(e, ev.Turn)]
    assert turn.reply_text == "Done. I've erased 1 thing about the dentist appointment."
    assert store.reminders("default") == []
    assert [i for _, i in store.items("default", "shopping")] == ["dentist floss"]
    assert llm.calls == []
    store.close()


def test_with_memory_on_what_it_remembers_includes_the_skills_data(tmp_path):
    # "What do you remember about me?" tells the pinned facts and also what the skills keep.
    store = SkillStore(tmp_path / "memory.sqlite3")
    store.add_note("default", "the wifi password is aardvark", NOW)
    store.add_item("default", "shopping", "eggs", NOW)
    store.add_item("default", "shopping", "milk", NOW)
    store.add_note("work", "another profile's note", NOW)
    texts = ["My name is Ray.", "What do you remember about me?"]
    replies, _ = _typed_with_memory(store, texts, ["Nice to meet you, Ray."])
    assert replies[1].startswith("Here's what I remember about you."), replies
    assert "Ray" in replies[1]
    assert replies[1].endswith("Besides that, I keep your note and your 2 list items."), replies
    store.close()
