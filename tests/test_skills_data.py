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
