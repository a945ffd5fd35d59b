"""The Wayland hotkey route: the GlobalShortcuts portal client against a portal on a private bus.

The portal here is a small stand-in service (xdg-desktop-portal needs a full desktop session), but
the bus (dbus-daemon), the wire protocol and the client are real: the client creates a session,
binds the shortcut with the request/response handshake, and hears Activated/Deactivated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest

from assistant.ui.portal import (
    PORTAL,
    PORTAL_PATH,
    REQUEST,
    SHORTCUTS,
    PortalError,
    PortalShortcut,
    portal_trigger,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication


@pytest.fixture()
def session_bus(tmp_path, monkeypatch):
    """A private D-Bus session bus (dbus-daemon), stopped by its PID."""
    assert shutil.which("dbus-daemon"), "dbus-daemon is missing: apt install dbus"
    daemon = subprocess.Popen(
        [
            "dbus-daemon",
            "--session",
            "--nofork",
            "--print-address",
            f"--address=unix:path={tmp_path / 'bus'}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        address = daemon.stdout.readline().strip()
        assert address.startswith("unix:"), address
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)


class FakePortal:
    """Answers CreateSession and BindShortcuts like xdg-desktop-portal, and emits key signals."""

    def __init__(self) -> None:
        from jeepney import message_bus
        from jeepney.io.blocking import Proxy, open_dbus_connection

        self.conn = open_dbus_connection(bus="SESSION")
        Proxy(message_bus, self.conn).RequestName(PORTAL)
        self.bound: list = []
        self.session = ""
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import DBusAddress, HeaderFields, new_method_return, new_signal

        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            h = msg.header.fields
            if msg.header.message_type.name != "method_call" or h.get(HeaderFields.interface) != (
                SHORTCUTS
            ):
                continue
            sender = h[HeaderFields.sender].lstrip(":").replace(".", "_")
            member = h[HeaderFields.member]
            options = msg.body[0] if member == "CreateSession" else msg.body[3]
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            self.conn.send(new_method_return(msg, "o", (request,)))
            if member == "CreateSession":
                token = options["session_handle_token"][1]
                self.session = f"{PORTAL_PATH}/session/{sender}/{token}"
                results = {"session_handle": ("o", self.session)}
            else:
                self.bound.append((msg.body[0], msg.body[1]))
                results = {}
            self.conn.send(
                new_signal(
                    DBusAddress(request, interface=REQUEST), "Response", "ua{sv}", (0, results)
                )
            )

    def key(self, member: str, shortcut: str = "talk") -> None:
        from jeepney import DBusAddress, new_signal

        self.conn.send(
            new_signal(
                DBusAddress(PORTAL_PATH, interface=SHORTCUTS),
                member,
                "osta{sv}",
                (self.session, shortcut, int(time.time() * 1000), {}),
            )
        )

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.conn.close()


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_binds_the_shortcut_and_hears_it(session_bus):
    portal = FakePortal()
    seen = []
    client = PortalShortcut(lambda: seen.append("down"), lambda: seen.append("up"), timeout=5)
    try:
        client.start("Ctrl+Alt+Space")
        assert client.session == portal.session and client.session
        ((session, shortcuts),) = portal.bound
        assert session == client.session
        assert shortcuts[0][0] == "talk"
        assert shortcuts[0][1]["preferred_trigger"] == ("s", "CTRL+ALT+space")
        portal.key("Activated", "someone-elses")  # not ours: ignored
        portal.key("Activated")
        portal.key("Deactivated")
        wait_for(lambda: seen == ["down", "up"])
    finally:
        client.stop()
        portal.close()


def test_no_portal_is_a_clear_error(session_bus):
    client = PortalShortcut(lambda: None, lambda: None, timeout=5)
    with pytest.raises(PortalError):
        client.start("Ctrl+Alt+Space")


def test_trigger_names():
    assert portal_trigger("Ctrl+Alt+Space") == "CTRL+ALT+space"
    assert portal_trigger("Meta+Shift+K") == "LOGO+SHIFT+K"


def test_the_app_hotkey_uses_the_portal_on_wayland(session_bus, monkeypatch, qtbot):
    from assistant.ui.hotkey import GlobalHotkey

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    portal = FakePortal()
    hotkey = GlobalHotkey()
    try:
        hotkey.start("Ctrl+Alt+Space")
        wait_for(lambda: portal.bound)
        with qtbot.waitSignal(hotkey.pressed, timeout=5000):
            portal.key("Activated")
        with qtbot.waitSignal(hotkey.released, timeout=5000):
            portal.key("Deactivated")
    finally:
        hotkey.stop()
        portal.close()
