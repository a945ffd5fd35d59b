"""The `assistant` command line: the app, talk, chat, say, devices and models."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from assistant import __version__
from assistant import events as ev
from assistant.config import Config, load, override
from assistant.errors import AssistantError
from assistant.paths import data_dir, default_config_file

if TYPE_CHECKING:
    from assistant.memory.store import MemoryStore


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: an option given before the subcommand is not reset by the subcommand's default.
    d = argparse.SUPPRESS
    p.add_argument(
        "--config", type=Path, default=d, help=f"config file (default: {default_config_file()})"
    )
    p.add_argument(
        "--data-dir", type=Path, default=d, help=f"data directory (default: {data_dir()})"
    )
    p.add_argument(
        "--profile",
        default=d,
        help="whose conversation: a profile's own memories, persona and voice (default: default)",
    )


def _audio_devices(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input-device", help="microphone: index or part of a name (see: assistant devices)"
    )
    p.add_argument("--output-device", help="speaker: index or part of a name")
    p.add_argument(
        "--barge-in",
        choices=("on", "off", "auto"),
        help="talk over the assistant to stop it (default: auto, on only without echo)",
    )


def _llm_server(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--llm-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="think with this OpenAI-compatible model server, e.g. http://127.0.0.1:8080/v1",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assistant", description="A private voice companion that runs on your machine."
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    _common(parser)
    _audio_devices(parser)
    _llm_server(parser)
    parser.add_argument(
        "--minimized", action="store_true", help="start in the tray, without showing the window"
    )
    parser.add_argument("--events", type=Path, help="append events to this file as JSON lines")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    talk = sub.add_parser("talk", help="talk with it on the microphone and speaker (no window)")
    _common(talk)
    _audio_devices(talk)
    _llm_server(talk)
    talk.add_argument("--input", type=Path, help="use this WAV/FLAC file as the microphone")
    talk.add_argument("--output", type=Path, help="write what the speaker plays to this WAV file")
    talk.add_argument("--events", type=Path, help="append events to this file as JSON lines")
    talk.add_argument("--fast", action="store_true", help="feed --input as fast as possible")

    chat = sub.add_parser("chat", help="type instead of talk (reads lines from stdin)")
    _common(chat)
    _audio_devices(chat)
    _llm_server(chat)
    chat.add_argument("--quiet", action="store_true", help="print replies without speaking them")
    chat.add_argument("--events", type=Path, help="append events to this file as JSON lines")

    say = sub.add_parser("say", help="speak a text with the configured voice")
    _common(say)
    _audio_devices(say)
    say.add_argument("text", help="what to say")
    say.add_argument("--output", type=Path, help="write a WAV file instead of playing it")

    sub.add_parser(
        "toggle", help="tell the running app to start or stop listening (bind it to a key)"
    )
    install = sub.add_parser(
        "install-desktop", help="add the app to the desktop's launcher (and, if asked, autostart)"
    )
    install.add_argument("--autostart", action="store_true", help="also start it at login")

    doctor = sub.add_parser(
        "doctor", help="check the set-up (sound, devices, echo, models, memory) and say what to do"
    )
    _common(doctor)
    _audio_devices(doctor)
    doctor.add_argument(
        "--setup-echo-cancel",
        action="store_true",
        help="load the sound server's echo canceller and make it the default mic and speaker",
    )

    devices = sub.add_parser("devices", help="list audio devices")
    _common(devices)

    memory = sub.add_parser("memory", help="see, search, forget, export or import memories")
    _common(memory)
    msub_ = memory.add_subparsers(dest="memory_command", parser_class=_Parser, required=True)
    _common(
        msub_.add_parser(
            "list",
            help="every memory of the profile, oldest first, then its timers, reminders, list "
            "items and notes",
        )
    )
    search = msub_.add_parser(
        "search",
        help="the memories that best match a query, then the timers, reminders, list items and "
        "notes holding all its words",
    )
    _common(search)
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10, help="how many of each (default 10)")
    forget = msub_.add_parser(
        "forget", help="erase a memory, timer, reminder, list item or note by its id"
    )
    _common(forget)
    forget.add_argument("id", nargs="+")
    export = msub_.add_parser("export", help="write the profile's memories to a JSONL file")
    _common(export)
    export.add_argument("file", type=Path, help="output file (- for stdout)")
    import_ = msub_.add_parser("import", help="add memories from a JSONL file to the profile")
    _common(import_)
    import_.add_argument("file", type=Path)

    reminders = sub.add_parser("reminders", help="pending timers and reminders, soonest first")
    _common(reminders)

    models = sub.add_parser("models", help="list models, or download a better one")
    _common(models)
    _llm_server(models)
    models.add_argument("--check", action="store_true", help="exit non-zero if a model is missing")
    msub = models.add_subparsers(dest="models_command", parser_class=_Parser)
    pull = msub.add_parser("pull", help="download a recommended model into the models folder")
    _common(pull)
    pull.add_argument("name", nargs="?", help="model name (omit to list what can be pulled)")
    return parser


def _profile(args: argparse.Namespace) -> str:
    from assistant.memory.store import check_profile

    return check_profile(getattr(args, "profile", None) or "default")


def _config(args: argparse.Namespace) -> Config:
    path = getattr(args, "config", None)
    config = load(path or default_config_file(), required=path is not None)
    config = config.for_profile(_profile(args))
    if getattr(args, "input_device", None) is not None:
        config = override(config, "audio", input_device=args.input_device)
    if getattr(args, "output_device", None) is not None:
        config = override(config, "audio", output_device=args.output_device)
    if getattr(args, "barge_in", None) is not None:
        config = override(config, "audio", barge_in=args.barge_in)
    return _with_llm_server(config, args)


def _with_llm_server(config: Config, args: argparse.Namespace) -> Config:
    """Apply --llm-url; a malformed or unsafe server URL is reported before anything loads."""
    if getattr(args, "llm_url", None) is not None:
        config = override(config, "llm", backend="openai", url=args.llm_url)
    if config.llm.backend == "openai":
        from assistant.stages.openai_llm import check_config, endpoint

        check_config(config.llm)
        endpoint(config.llm)
    return config


def _exit_soon(code: int = 0, grace_s: float = 5.0) -> None:
    """After Ctrl+C: end the process within grace_s even if something hangs on the way out.

    The clean shutdown (closing audio streams, the sound library's own exit) normally takes
    milliseconds, but an audio stream that never closes must not keep a stopped assistant alive.
    """

    def bail() -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(grace_s, bail)
    timer.daemon = True
    timer.start()
    # The backstop in C, for an interpreter wedged inside a native call (no Python thread can
    # run then): print every thread's stack to stderr, then exit.
    faulthandler.dump_traceback_later(grace_s + 3, exit=True)


def _status(message: str) -> None:
    """A progress note for a person at a terminal (kept out of pipes and logs)."""
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _open_for_append(path: Path) -> IO[str]:
    try:
        return open(path, "a", encoding="utf-8")
    except OSError as e:
        raise AssistantError(f"cannot write events file {path}: {e}") from None


class _Printer:
    """Prints the conversation to the terminal as it happens."""

    def __init__(self, config: Config, out: IO[str] = sys.stdout) -> None:
        self.name = config.persona.name
        self.out = out

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Transcript) and event.text:
            print(f"you: {event.text}", file=self.out, flush=True)
        elif isinstance(event, ev.Turn):
            print(f"{self.name}: {event.reply_text}", file=self.out, flush=True)
        elif isinstance(event, ev.Announcement):
            print(f"{self.name}: {event.text}", file=self.out, flush=True)
        elif isinstance(event, ev.Error):
            print(f"assistant: {event.message}", file=sys.stderr, flush=True)


def _memory_path(config: Config) -> Path:
    return (
        Path(config.memory.file).expanduser()
        if config.memory.file
        else (data_dir() / "memory.sqlite3")
    )


def _keeper(config: Config, args: argparse.Namespace):
    """The conversation's memory, or None when memory is off."""
    if not config.memory.enabled:
        return None
    from assistant.memory.keeper import MemoryKeeper
    from assistant.memory.store import MemoryStore

    store = MemoryStore(_memory_path(config))
    return MemoryKeeper(store, _profile(args), config.memory, config.persona.name)


def _skills(config: Config, args: argparse.Namespace):
    """The everyday skills (timers, reminders, lists…) of the profile, or None when off."""
    if not config.skills.enabled:
        return None
    from assistant.skills.router import Skills, local_zone
    from assistant.skills.store import SkillStore

    zone = local_zone(config.skills.time_zone)
    skills = Skills(SkillStore(_memory_path(config)), _profile(args), zone)
    skills.warm_up()
    return skills


def _speak_up(skills, engine, emit: ev.Sink) -> None:
    """Let timers and reminders speak through the engine (what came due while closed: now)."""
    if skills is not None:
        skills.start(engine.announce, lambda e: emit(ev.Error(f"timers and reminders: {e}")))


@contextlib.contextmanager
def _sinks(config: Config, events_path: Path | None) -> Iterator[ev.Fanout]:
    fan = ev.Fanout(_Printer(config))
    stream = _open_for_append(events_path) if events_path else None
    if stream:
        fan.sinks.append(ev.JsonLinesWriter(stream))
    try:
        yield fan
    finally:
        if stream:
            stream.close()


def cmd_talk(args: argparse.Namespace) -> int:
    from assistant.audio import echo
    from assistant.audio.devices import DeviceMicrophone, DeviceSpeaker
    from assistant.audio.echo_guard import guard_for
    from assistant.audio.files import FileMicrophone, FileSpeaker
    from assistant.engine import Engine
    from assistant.loader import load_models

    config = _config(args)
    if args.fast and not args.input:
        raise AssistantError("--fast needs --input FILE")
    mic = FileMicrophone.from_file(args.input, realtime=not args.fast) if args.input else None
    if args.output and args.output.parent and not args.output.parent.exists():
        raise AssistantError(f"output folder does not exist: {args.output.parent}")
    if mic is None or not args.output:
        # Find the devices before the (slow) model load, so a missing one is reported at once.
        from assistant.audio.devices import find_device

        if mic is None:
            find_device(config.audio.input_device, "input")
        if not args.output:
            find_device(config.audio.output_device, "output")
    with _sinks(config, args.events) as emit:
        _status("Loading models…")
        models, load_s = load_models(config, emit=emit)
        emit(ev.Ready(round(load_s * 1000, 1)))
        live = mic is None
        if mic is None:
            mic = DeviceMicrophone(config.audio.input_device)
        try:
            if args.output:
                duration = getattr(mic, "duration", 0.0)
                speaker = FileSpeaker(mic.clock, models.tts.sample_rate, min_duration_s=duration)
            else:
                speaker = DeviceSpeaker(config.audio.output_device, clock=mic.clock)
            if live:
                _status(f"Listening — talk to {config.persona.name}. (Ctrl+C to stop)")
            skills = _skills(config, args)
            engine = Engine(config, models, speaker, emit, _keeper(config, args), skills)
            # auto: on for file input, headphones, or an echo-cancelled source (asks the server)
            engine.barge_in = echo.barge_in(config.audio, file_input=not live)
            # its own residual echo must not start a turn (a canceller leaves some)
            engine.listener.guard = guard_for(speaker, config.audio, engine.barge_in, not live)
            engine.warm_up()
            _speak_up(skills, engine, emit)
            try:
                engine.run(mic)
            except KeyboardInterrupt:
                _exit_soon()
            finally:
                if skills:
                    skills.stop()
                if isinstance(speaker, FileSpeaker):
                    speaker.save(args.output)
                speaker.close()
        finally:
            mic.close()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.audio.devices import DeviceSpeaker
    from assistant.engine import Engine
    from assistant.loader import load_models

    config = _config(args)
    with _sinks(config, args.events) as emit:
        _status("Loading models…")
        models, load_s = load_models(config, emit=emit)
        emit(ev.Ready(round(load_s * 1000, 1)))
        speaker = None if args.quiet else DeviceSpeaker(config.audio.output_device)
        skills = _skills(config, args)
        engine = Engine(config, models, speaker, emit, _keeper(config, args), skills)
        engine.warm_up()
        _speak_up(skills, engine, emit)
        # The engine answers in its own thread, so it can also speak up on its own (timers,
        # reminders) while this thread waits for the next line.
        worker = threading.Thread(target=engine.run, args=(None,), name="engine", daemon=True)
        worker.start()
        interactive = sys.stdin.isatty()
        try:
            if interactive:
                print("(type a message and press Enter; Ctrl+D to quit)", file=sys.stderr)
            while True:
                line = sys.stdin.readline()
                if not line:
                    break
                text = " ".join(line.split())
                if text:
                    engine.submit(text)
            engine.finish()  # answer what was typed before the input ended, then return
            while worker.is_alive():
                worker.join(0.2)  # a timed join keeps Ctrl+C working
        except KeyboardInterrupt:
            _exit_soon()
            engine.stop()
            worker.join(5)
        finally:
            if skills:
                skills.stop()
            if speaker:
                speaker.close()
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    import numpy as np

    from assistant.audio.frames import write_wav
    from assistant.loader import load_tts
    from assistant.sentences import speakable

    config = _config(args)
    text = speakable(args.text)
    if not text:
        raise AssistantError("nothing to say: the text has no words")
    tts = load_tts(config)
    if args.output:
        chunks = list(tts.synthesize(text))
        write_wav(args.output, np.concatenate(chunks), tts.sample_rate)
        return 0
    from assistant.audio.devices import DeviceSpeaker

    speaker = DeviceSpeaker(config.audio.output_device)
    try:
        for pcm in tts.synthesize(text):
            speaker.play(pcm, tts.sample_rate)
        speaker.wait()
    finally:
        speaker.close()
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from assistant import doctor

    if args.setup_echo_cancel:
        try:
            return doctor.setup_echo_cancel(sys.stdout)
        except AssistantError as e:  # a problem the user must fix, not a usage error
            print(f"assistant: error: {e}", file=sys.stderr)
            return 1
    try:
        config, problem = _config(args), ""
    except AssistantError as e:
        config, problem = None, str(e)
    memory = _memory_path(config or Config())
    checks = doctor.run_checks(config, problem, memory, data_dir())
    return doctor.report(checks, sys.stdout)


def cmd_devices(args: argparse.Namespace) -> int:
    from assistant.audio.devices import list_devices

    rows = list_devices()
    if not rows:
        raise AssistantError("no audio devices found; check that PulseAudio/PipeWire is running")
    for d in rows:
        marks = ("*in " if d["default_input"] else "    ") + (
            "*out" if d["default_output"] else "    "
        )
        print(
            f"{d['index']:>3} {marks} in={d['inputs']:<2} out={d['outputs']:<2} "
            f"{d['rate']:>6} Hz  {d['name']}"
        )
    print("(*in / *out: system defaults; choose with --input-device / --output-device)")
    return 0


def cmd_memory(args: argparse.Namespace) -> int:
    from assistant.memory.store import MemoryStore, iter_jsonl
    from assistant.skills import records
    from assistant.skills.store import SkillStore

    config = _config(args)
    profile = _profile(args)
    path = _memory_path(config)
    # Reading commands never create a database; import does.
    exists = args.memory_command == "import" or path.exists()
    store = MemoryStore(path) if exists else None
    try:
        if args.memory_command in ("list", "search"):
            if store is None:
                return 0
            if args.memory_command == "list":
                found = store.list(profile)
            else:
                found = store.search(args.query, profile, k=args.k)
            for m in found:
                who = f"{m.speaker}: " if m.speaker else ""
                score = f"  ({m.score:.2f})" if args.memory_command == "search" else ""
                print(f"{m.id}  {m.when:%Y-%m-%d %H:%M}  {m.kind:<4}  {who}{m.text}{score}")
            # Then the skills' timers, reminders, list items and notes, ids "timer:3" and such.
            with contextlib.closing(SkillStore(path)) as skills:
                if args.memory_command == "list":
                    kept = records.records(skills, profile)
                else:
                    kept = records.search(skills, profile, args.query, args.k)
            for r in kept:
                print(f"{r.id}  {r.when:%Y-%m-%d %H:%M}  {r.kind}  {r.text}")
        elif args.memory_command == "forget":
            missing = [
                mid for mid in args.id if store is None or not _forget(store, path, mid, profile)
            ]
            if missing:
                raise AssistantError(
                    f"no memory with id {', '.join(missing)} in profile {profile!r}"
                )
        elif args.memory_command == "export":
            out = sys.stdout if str(args.file) == "-" else None
            n = kept = 0
            try:
                with out or open(args.file, "w", encoding="utf-8") as fh:
                    if store:
                        n = store.export(fh, profile)
                        with contextlib.closing(SkillStore(path)) as skills:
                            kept = skills.export(fh, profile)
            except OSError as e:
                raise AssistantError(f"cannot write {args.file}: {e}") from None
            if out is None:
                print(
                    f"exported {n} memories and {kept} timers, reminders, list items and notes "
                    f"of profile {profile!r} to {args.file}"
                )
        else:
            n, kept = _import_memory(store, path, iter_jsonl(args.file), profile)
            print(
                f"imported {n} memories and {kept} timers, reminders, list items and notes "
                f"into profile {profile!r}"
            )
    finally:
        if store:
            store.close()
    return 0


def _forget(store: MemoryStore, path: Path, mid: str, profile: str) -> bool:
    """Erase the profile's memory or skills record ("timer:3") by id; False if it has none."""
    from assistant.skills import records
    from assistant.skills.store import SkillStore

    if records.parse_id(mid) is not None:
        with contextlib.closing(SkillStore(path)) as skills:
            if records.forget(skills, profile, mid):
                return True
    return store.forget(mid, profile)  # also a memory imported with an id such as "timer:3"


def _import_memory(
    store: MemoryStore, path: Path, lines: Iterable[str], profile: str
) -> tuple[int, int]:
    """Import an export: memories into the memory store, skills records into the skills tables.

    The skills records are checked first and written last, so a bad line anywhere leaves the
    skills tables as they were.
    """
    import json

    from assistant.skills.store import KINDS, SkillStore, check_records

    memories: list[str] = []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line) if line.strip() else None
        except ValueError:
            record = None  # the memory import reports it with its line number
        if isinstance(record, dict) and record.get("kind") in KINDS:
            records.append((number, record))
            memories.append("\n")  # keeps the memory import's line numbers right
        else:
            memories.append(line)
    checked = check_records(records)
    n = store.import_(memories, profile)
    with contextlib.closing(SkillStore(path)) as skills:
        kept = skills.import_(checked, profile)
    return n, kept


def cmd_reminders(args: argparse.Namespace) -> int:
    from assistant.skills.router import Skills, local_zone
    from assistant.skills.store import SkillStore

    config = _config(args)
    zone = local_zone(config.skills.time_zone)
    path = _memory_path(config)
    if not path.exists():  # a reading command never creates the database
        return 0
    store = SkillStore(path)
    try:
        skills = Skills(store, _profile(args), zone)
        for line in skills.pending_lines():
            print(line)
    finally:
        store.close()
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and not os.environ.get(
        "QT_QPA_PLATFORM"
    ):
        raise AssistantError(
            "no display: the desktop app needs an X11 or Wayland session "
            "(in a terminal, use `assistant talk` or `assistant chat`)"
        )
    try:
        from assistant.ui import app
    except ImportError as e:
        raise AssistantError(f"the desktop app cannot start: {e}; run ./scripts/setup.sh") from None
    path = getattr(args, "config", None)
    base = load(path or default_config_file(), required=path is not None)
    from assistant.memory.store import check_profile

    profile = check_profile(getattr(args, "profile", None) or base.ui.profile)
    for key in ("input_device", "output_device", "barge_in"):
        if getattr(args, key, None) is not None:
            base = override(base, "audio", **{key: getattr(args, key)})
    base = _with_llm_server(base, args)
    if args.events:
        _open_for_append(args.events).close()  # a bad path is reported before any window opens
    return app.run(base, path or default_config_file(), profile, args.events, args.minimized)


def cmd_toggle(args: argparse.Namespace) -> int:
    from assistant.ui import ipc

    reply = ipc.send("toggle")
    if reply is None:
        raise AssistantError("assistant is not running; start it with `assistant`")
    if reply != "ok":
        raise AssistantError(f"the running assistant said: {reply}")
    return 0


def cmd_install_desktop(args: argparse.Namespace) -> int:
    from assistant.ui import desktop

    for path in desktop.install(autostart=args.autostart):
        print(f"wrote {path}")
    return 0


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def cmd_models(args: argparse.Namespace) -> int:
    from assistant.models import registry

    config = _config(args)
    if args.models_command == "pull":
        entries = registry.catalogue()
        if not args.name:
            for e in entries.values():
                print(f"{e.name:<36} {e.role:<4} {_human(e.size):>9}  {e.description}")
            return 0
        if args.name not in entries:
            raise AssistantError(
                f"unknown model {args.name!r}; run `assistant models pull` to list them"
            )
        from assistant.models.download import pull

        entry = entries[args.name]
        folder = pull(entry, registry.models_dir(config))
        key = {"llm": "[llm] model", "stt": "[stt] model", "tts": "[tts] voice"}[entry.role]
        print(
            f'Downloaded {entry.name} to {folder}. To use it, set {key} = "{entry.name}" '
            f"in {getattr(args, 'config', None) or default_config_file()}"
        )
        return 0
    if args.check and config.llm.backend == "llama-cpp" and registry.info(config, "llm").ok:
        from assistant.loader import llm_path

        llm_path(config)  # makes the default model's faster copy now rather than at first start
    infos = [registry.info(config, role) for role in registry.ROLES]
    for m in infos:
        size = _human(m.size) if m.ok else "-"
        print(f"{m.role:<9} {m.status:<8} {size:>9}  {m.name}  {m.path or ''}")
    missing = [m.role for m in infos if not m.ok]
    if config.llm.backend == "openai":
        from assistant.stages.openai_llm import describe

        status, name, where = describe(config.llm)
        print(f"{'server':<9} {status:<8} {'-':>9}  {name}  {where}")
        if args.check and status != "ok":
            raise AssistantError(f"the language model server {config.llm.url} is {status}")
    if args.check and missing:
        raise AssistantError(f"missing models: {', '.join(missing)}; run ./scripts/setup.sh")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `assistant` console script."""
    # A crash or a hang ended by SIGABRT prints every thread's stack (for bug reports).
    with contextlib.suppress(Exception):
        faulthandler.enable()
    # Ctrl+C / SIGINT stops it even when started from a script's background job: shells start
    # those with SIGINT ignored, and Python then installs no KeyboardInterrupt of its own (the
    # cause of the "talk outlived SIGINT" hangs in CI rehearsals launched with `&`).
    with contextlib.suppress(ValueError):  # not the main thread (tests calling main())
        signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "talk": cmd_talk,
        "chat": cmd_chat,
        "say": cmd_say,
        "devices": cmd_devices,
        "doctor": cmd_doctor,
        "models": cmd_models,
        "memory": cmd_memory,
        "reminders": cmd_reminders,
        "toggle": cmd_toggle,
        "install-desktop": cmd_install_desktop,
        None: cmd_app,
    }
    if getattr(args, "data_dir", None) is not None:
        os.environ["ASSISTANT_DATA_DIR"] = str(args.data_dir)
    try:
        return commands[args.command](args)
    except AssistantError as e:
        print(f"assistant: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        _exit_soon(130)
        return 130
