"""The global hotkey on Wayland: the xdg-desktop-portal GlobalShortcuts interface, over D-Bus.

Qt-free (jeepney, blocking, on its own thread). The portal asks the user to confirm the shortcut
the first time and lets them change its key in the desktop's settings; the app then hears
`Activated` / `Deactivated` signals for it. Where the portal lacks the interface (older desktops),
`start` raises PortalError and the app points the user at `assistant toggle`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SHORTCUT_ID = "talk"


class PortalError(RuntimeError):
    """The portal is missing, refused, or does not offer global shortcuts."""


def portal_trigger(sequence: str) -> str:
    """A Qt-style sequence ("Ctrl+Alt+Space") in the shortcuts spec's form ("CTRL+ALT+space")."""
    mods = {"ctrl": "CTRL", "control": "CTRL", "alt": "ALT", "shift": "SHIFT", "meta": "LOGO"}
    mods |= {"super": "LOGO"}
    parts = [p.strip() for p in sequence.split("+") if p.strip()]
    return "+".join(mods.get(p.lower(), p.lower() if len(p) > 1 else p) for p in parts)


class PortalShortcut:
    """Binds one global shortcut through the portal and calls back when it is pressed/released."""

    def __init__(
        self,
        on_press: Callable[[], None],
        on_release: Callable[[], None],
        bus: str = "SESSION",
        timeout: float = 30.0,
    ) -> None:
        self.on_press, self.on_release = on_press, on_release
        self.bus, self.timeout = bus, timeout
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.session: str = ""

    def start(self, sequence: str, description: str = "Start or stop talking") -> None:
        """Create a portal session and bind the shortcut (waits for the user's consent)."""
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
        from jeepney.io.blocking import Proxy, open_dbus_connection

        try:
            conn = open_dbus_connection(bus=self.bus)
        except Exception as e:  # no session bus at all
            raise PortalError(f"no D-Bus session bus: {e}") from None
        self._conn = conn
        bus = Proxy(message_bus, conn)
        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL, interface=SHORTCUTS)
        sender = conn.unique_name.lstrip(":").replace(".", "_")

        def request(method: str, signature: str, args: tuple, token: str) -> dict[str, Any]:
            # Subscribe to the Response before calling, so a fast portal cannot answer unheard.
            path = f"{PORTAL_PATH}/request/{sender}/{token}"
            rule = MatchRule(type="signal", interface=REQUEST, member="Response", path=path)
            bus.AddMatch(rule)
            with conn.filter(rule) as queue:
                reply = conn.send_and_get_reply(
                    new_method_call(portal, method, signature, args), timeout=self.timeout
                )
                if reply.header.message_type.name == "error":
                    raise PortalError(f"{method}: {reply.body[0] if reply.body else 'refused'}")
                try:
                    response = conn.recv_until_filtered(queue, timeout=self.timeout)
                except TimeoutError:
                    raise PortalError(f"{method}: the portal did not answer") from None
            code, results = response.body
            if code != 0:
                raise PortalError(f"{method}: the request was declined (code {code})")
            return results

        try:
            t1, t2, t3 = (f"assistant_{secrets.token_hex(4)}" for _ in range(3))
            results = request(
                "CreateSession",
                "a{sv}",
                ({"handle_token": ("s", t1), "session_handle_token": ("s", t2)},),
                t1,
            )
            self.session = str(results["session_handle"][1])
            shortcut = (
                SHORTCUT_ID,
                {
                    "description": ("s", description),
                    "preferred_trigger": ("s", portal_trigger(sequence)),
                },
            )
            request(
                "BindShortcuts",
                "oa(sa{sv})sa{sv}",
                (self.session, [shortcut], "", {"handle_token": ("s", t3)}),
                t3,
            )
            for member in ("Activated", "Deactivated"):
                bus.AddMatch(MatchRule(type="signal", interface=SHORTCUTS, member=member))
        except PortalError:
            self.stop()
            raise
        except Exception as e:  # a D-Bus error reply, a missing interface, a closed bus
            self.stop()
            raise PortalError(f"global shortcuts portal unavailable: {e}") from None
        self._thread = threading.Thread(target=self._listen, name="assistant-portal", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        from jeepney import MatchRule

        rule = MatchRule(type="signal", interface=SHORTCUTS)
        conn = self._conn
        with conn.filter(rule) as queue:
            while not self._stop.is_set():
                try:
                    msg = conn.recv_until_filtered(queue, timeout=0.25)
                except TimeoutError:
                    continue
                except Exception:  # the connection closed (stop) or the bus went away
                    return
                session, shortcut = msg.body[0], msg.body[1]
                if session != self.session or shortcut != SHORTCUT_ID:
                    continue
                member = msg.header.fields.get(_member_field())
                if member == "Activated":
                    self.on_press()
                elif member == "Deactivated":
                    self.on_release()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2)
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _member_field() -> Any:
    from jeepney import HeaderFields

    return HeaderFields.member
