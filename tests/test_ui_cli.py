"""The desktop app's commands: install-desktop, toggle with no app running, no display."""

from __future__ import annotations

import configparser
import os

from tests.test_cli import assert_one_line_error, run


def test_install_desktop_writes_launcher_icon_and_autostart(isolated_home):
    r = run(["install-desktop", "--autostart"], isolated_home)
    assert r.returncode == 0, r.stderr
    data, config = isolated_home / "data", isolated_home / "config"
    launcher = data / "applications" / "assistant.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "assistant.svg"
    autostart = config / "autostart" / "assistant.desktop"
    assert {str(p) for p in (launcher, icon, autostart)} <= set(
        line.removeprefix("wrote ") for line in r.stdout.splitlines()
    )
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(launcher)
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Icon"] == "assistant" and d["Terminal"] == "false"
    exe = d["Exec"].split()[0]
    assert os.path.isabs(exe) and os.access(exe, os.X_OK), d["Exec"]
    assert entry["Desktop Action Toggle"]["Exec"].endswith(" toggle")
    assert icon.read_text().lstrip().startswith("<?xml") and "<svg" in icon.read_text()
    auto = configparser.ConfigParser(interpolation=None)
    auto.read(autostart)
    assert auto["Desktop Entry"]["Exec"].endswith(" --minimized")


def test_install_desktop_without_autostart(isolated_home):
    r = run(["install-desktop"], isolated_home)
    assert r.returncode == 0, r.stderr
    assert not (isolated_home / "config" / "autostart").exists()


def test_toggle_with_no_app_running(isolated_home, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert_one_line_error(run(["toggle"], isolated_home), "not running")


def test_app_without_a_display(isolated_home, monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert_one_line_error(run([], isolated_home), "no display")


def test_bad_ui_settings_are_one_line_errors(isolated_home, tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('[ui]\nactivation = "telepathy"\n')
    assert_one_line_error(run(["models", "--config", str(bad)], isolated_home), "activation")


def test_app_with_an_unreachable_display(isolated_home, monkeypatch, tmp_path):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":97")  # no X server there
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert_one_line_error(run([], isolated_home), "cannot open the display :97")
