"""The config tree: the example file documents every option, and bad files give clear errors."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from assistant.config import EXAMPLE_FILE, Config, ProfileConfig, load, override
from assistant.errors import AssistantError


def test_example_file_equals_the_defaults():
    assert load(EXAMPLE_FILE) == Config()


def test_every_option_is_documented_in_the_example():
    example = tomllib.loads(EXAMPLE_FILE.read_text())
    text = EXAMPLE_FILE.read_text().splitlines()
    for section in dataclasses.fields(Config):
        if section.name == "profiles":  # a table of tables, shown commented out
            for option in dataclasses.fields(ProfileConfig):
                assert f"# {option.name} =" in EXAMPLE_FILE.read_text(), option.name
            continue
        assert section.name in example, f"[{section.name}] missing from the example"
        for option in dataclasses.fields(section.default_factory):
            assert option.name in example[section.name], f"{section.name}.{option.name} missing"
            line = next(i for i, s in enumerate(text) if s.startswith(f"{option.name} ="))
            assert text[line - 1].startswith("#"), f"{option.name} has no comment above it"


def test_missing_optional_file_gives_defaults(tmp_path):
    assert load(tmp_path / "none.toml") == Config()


def test_missing_required_file_is_an_error(tmp_path):
    with pytest.raises(AssistantError, match="not found"):
        load(tmp_path / "none.toml", required=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[vad]\nthreshhold = 0.5\n", "unknown option \\[vad\\] threshhold"),
        ("[nonsense]\n", "unknown option nonsense"),
        ("[vad]\nthreshold = 'high'\n", "threshold must be a float"),
        ("[llm]\nthreads = 2.5\n", "threads must be a int"),
        ("[vad\n", "not valid TOML"),
        ("vad = 3\n", "must be a table"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(AssistantError, match=message) as err:
        load(path)
    assert "\n" not in str(err.value)


def test_partial_file_keeps_other_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[vad]\nend_silence_ms = 700\n[persona]\nname = 'Ada'\n")
    config = load(path)
    assert config.vad.end_silence_ms == 700
    assert config.persona.name == "Ada"
    assert config.vad.threshold == Config().vad.threshold


def test_override_changes_one_section():
    config = override(Config(), "audio", input_device="USB")
    assert config.audio.input_device == "USB"
    assert config.llm == Config().llm


def test_profiles_have_their_own_persona_and_voice(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[persona]\nname = "Sam"\n[profiles.work]\nname = "Ada"\nvoice = "en_GB-alba-medium"\n'
        '[profiles.play]\nsystem_prompt = "You are {name}, silly."\n'
    )
    config = load(path)
    work, play = config.for_profile("work"), config.for_profile("play")
    assert (work.persona.name, work.tts.voice) == ("Ada", "en_GB-alba-medium")
    assert work.persona.system_prompt == Config().persona.system_prompt
    assert (play.persona.name, play.persona.system_prompt) == ("Sam", "You are {name}, silly.")
    assert config.for_profile("default") == config


def test_bad_profile_tables(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[profiles.work]\nmood = 'grumpy'\n")
    with pytest.raises(AssistantError, match="unknown option \\[profiles.work\\] mood"):
        load(path)
    path.write_text("[profiles]\nwork = 3\n")
    with pytest.raises(AssistantError, match="must be tables"):
        load(path)
