"""One app per user: the control server a second launch and `assistant toggle` talk to."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.ui import ipc


class ControlServer(QObject):
    """Listens on the per-user control socket and runs the named handler for each command."""

    def __init__(self, handlers: dict[str, Callable[[], None]], parent: QObject | None = None):
        super().__init__(parent)
        self.handlers = handlers
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self.path = str(ipc.socket_path())

    def listen(self) -> bool:
        """Take the socket; call only once no other instance answered on it."""
        QLocalServer.removeServer(self.path)  # a stale socket left by a crashed instance
        return self.server.listen(self.path)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(sock.deleteLater)

    def _read(self, sock: QLocalSocket) -> None:
        if not sock.canReadLine():
            return
        command = bytes(sock.readLine().data()).decode(errors="replace").strip()
        handler = self.handlers.get(command)
        if handler is None:
            sock.write(f"error: unknown command {command!r}\n".encode())
        else:
            sock.write(b"ok\n")
        sock.flush()
        sock.disconnectFromServer()
        if handler is not None:
            handler()

    def close(self) -> None:
        self.server.close()
