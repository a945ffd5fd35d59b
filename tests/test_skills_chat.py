"""The skills through the real command line: `assistant chat` with the default models, a real
timer firing and announced while stdin stays open, a reminder that came due while the app was
closed, and `assistant reminders` per profile."""

from __future__ import annotations

import queue
import subprocess
import threading
import time

from tests.conftest import ASSISTANT, run_env

STARTUP_S = 120.0  # loading the models on a busy 2-core machine


class Chat:
    """A running `assistant chat --quiet` whose output lines can be awaited."""

    def __init__(self, home, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*ASSISTANT, "chat", "--quiet", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=run_env(home),
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def say(self, text: str) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def expect(self, wanted: str, timeout: float) -> float:
        """Wait for an output line containing `wanted`; return when it was printed."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {wanted!r} in {self.seen}; stderr: {self._stderr()}"
            try:
                at, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if wanted in line:
                return at

    def close(self) -> str:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return self._stderr()

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr
        return self.proc.stderr.read()


def reminders(home, *args: str) -> list[str]:
    result = subprocess.run(
        [*ASSISTANT, "reminders", *args], capture_output=True, text=True, env=run_env(home),
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_a_timer_fires_and_is_announced_while_chat_runs(isolated_home, default_config):
    chat = Chat(isolated_home)
    try:
        chat.say("set a tea timer for 3 seconds")
        set_at = chat.expect("Sam: Tea timer set for 3 seconds.", STARTUP_S)
        chat.say("what time is it")
        chat.expect("Sam: It's ", 30)
        # Nothing else is typed: the assistant speaks up on its own.
        rang_at = chat.expect("Sam: Your tea timer is done.", 30)
        assert 2.5 < rang_at - set_at < 4.5, rang_at - set_at
        chat.say("add oat milk to my shopping list")
        chat.expect("Sam: Added oat milk to your shopping list.", 30)
    finally:
        stderr = chat.close()
    assert chat.proc.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_due_while_closed_is_announced_at_next_start_and_profiles_are_apart(
    isolated_home, default_config
):
    chat = Chat(isolated_home, "--profile", "work")
    try:
        chat.say("remind me in 5 seconds to stretch")
        chat.expect("Sam: OK. I'll remind you to stretch in 5 seconds.", STARTUP_S)
        chat.say("remind me every weekday at 8 am to check the mail")
        chat.expect("every weekday at 8 am", 30)
    finally:
        chat.close()  # the app closes before the reminder is due
    listed = reminders(isolated_home, "--profile", "work")
    assert len(listed) == 2
    assert listed[0].endswith("reminder: stretch") and listed[0][:4].isdigit()
    assert listed[1].endswith("reminder: check the mail (every weekday at 8 am)")
    assert "T08:00:00" in listed[1]
    assert reminders(isolated_home) == []  # the default profile has none
    time.sleep(6)
    chat = Chat(isolated_home, "--profile", "work")
    try:
        chat.expect("Sam: Reminder: stretch.", STARTUP_S)  # said at start, unasked
    finally:
        chat.close()
    assert [line.split("  ", 1)[1] for line in reminders(isolated_home, "--profile", "work")] == [
        "reminder: check the mail (every weekday at 8 am)"
    ]


def test_reminders_command_on_a_fresh_data_dir_prints_nothing(isolated_home):
    assert reminders(isolated_home) == []
    assert not (isolated_home / "data" / "assistant" / "memory.sqlite3").exists()


def test_an_unknown_time_zone_is_one_clear_line(isolated_home, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[skills]\ntime_zone = "Mars/Olympus_Mons"\n')
    result = subprocess.run(
        [*ASSISTANT, "reminders", "--config", str(config)], capture_output=True, text=True,
        env=run_env(isolated_home), timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "assistant: error: unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as "
        "Europe/London"
    ]


def test_forget_everything_in_chat_erases_the_skills_data_of_that_profile(
    isolated_home, default_config
):
    from assistant.skills.store import SkillStore

    other = Chat(isolated_home, "--profile", "work")
    try:
        other.say("add okapi feed to my shopping list")
        other.expect("Sam: Added okapi feed to your shopping list.", STARTUP_S)
    finally:
        other.close()
    chat = Chat(isolated_home)
    try:
        chat.say("add zebracorn milk to my shopping list")
        chat.expect("Sam: Added zebracorn milk to your shopping list.", STARTUP_S)
        chat.say("take a note: the quagga code is 4711")
        chat.expect("Sam: ", 30)
        chat.say("remind me tomorrow at 9 am to feed the aardwolf")
        chat.expect("Sam: OK. I'll remind you to feed the aardwolf", 30)
        chat.say("forget everything you know about me")
        chat.expect("Sam: Done. I've forgotten everything you told me.", 60)
        chat.say("what's on my shopping list")
        chat.expect("Sam: Your shopping list is empty.", 30)
    finally:
        stderr = chat.close()
    assert chat.proc.returncode == 0, stderr
    path = isolated_home / "data" / "assistant" / "memory.sqlite3"
    store = SkillStore(path)
    try:
        assert store.notes("default") == [] and store.reminders("default") == []
        assert store.items("work", "shopping")[0][1] == "okapi feed"  # another profile: kept
    finally:
        store.close()
    raw = path.read_bytes()
    assert b"zebracorn" not in raw and b"quagga" not in raw and b"aardwolf" not in raw


def test_with_memory_off_forget_by_voice_erases_the_skills_data(isolated_home, default_config):
    from assistant.skills.store import SkillStore

    config = isolated_home / "no-memory.toml"
    config.write_text("[memory]\nenabled = false\n")
    path = isolated_home / "data" / "assistant" / "memory.sqlite3"
    other = SkillStore(path)
    other.add_note("work", "the okapi project is due", 1e9)  # another profile's: kept
    other.close()
    chat = Chat(isolated_home, "--config", str(config))
    try:
        chat.say("add quagga steaks to my shopping list")
        chat.expect("Sam: Added quagga steaks to your shopping list.", STARTUP_S)
        chat.say("take a note: the zebracorn key is under the mat")
        chat.expect("Sam: Noted", 30)
        chat.say("set a dugong timer for 10 minutes")
        chat.expect("Sam: Dugong timer set for 10 minutes.", 30)
        chat.say("what do you remember about me")
        chat.expect("Sam: Memory is turned off, so I keep nothing about you except your note, "
                    "your list item and your timer.", 30)  # fmt: skip
        chat.say("forget what I said about the zebracorn key")
        chat.expect("Sam: Done. I've erased 1 thing about the zebracorn key.", 30)
        chat.say("forget everything you know about me")
        chat.expect("Sam: Done. I've erased your list item and your timer.", 30)
    finally:
        stderr = chat.close()
    assert chat.proc.returncode == 0 and "Traceback" not in stderr, stderr
    store = SkillStore(path)
    assert store.lists("default") == [] and store.timers("default") == []
    assert store.notes("default") == [] and len(store.notes("work")) == 1
    store.close()
    raw = path.read_bytes() + b"".join(p.read_bytes() for p in path.parent.glob("*-wal"))
    assert b"zebracorn" not in raw and b"quagga" not in raw and b"dugong" not in raw
    assert b"okapi" in raw
