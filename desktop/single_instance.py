"""One window per data dir (Milvus Lite allows one process): a second launch hands its folders to the first."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACK = b"ok\n"
MAX_MESSAGE = 1 << 20


def server_name(data_dir: Path) -> str:
    """A local-socket name unique to this user and data dir (short: some platforms limit socket paths)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): the data dir alone still separates instances
        user = ""
    key = f"{user}\0{Path(data_dir).expanduser().resolve()}"
    return "tansaku-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


class SingleInstance(QObject):
    """Signals: activated(list[str]) when a later launch sends its folders (maybe none)."""

    activated = Signal(list)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def hand_off(self, folders: list[str], timeout_ms: int = 1500) -> bool:
        """True when a running instance accepted the folders (this process should then exit)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        payload = json.dumps({"folders": [str(Path(f).expanduser().resolve()) for f in folders]}).encode() + b"\n"
        socket.write(payload)
        socket.waitForBytesWritten(timeout_ms)
        acknowledged = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()).startswith(ACK[:2])
        socket.disconnectFromServer()
        return acknowledged

    def listen(self) -> bool:
        """Become the instance others hand off to; a name left by a crashed instance is reclaimed."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("Single-instance server failed to listen: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_socket_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _on_socket_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if len(data) > MAX_MESSAGE:
            socket.abort()
            return
        self._buffers[socket] = data
        if b"\n" not in data:
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line.decode("utf-8"))
            folders = [str(f) for f in message.get("folders", [])]
        except (ValueError, AttributeError, TypeError):
            log.warning("Ignoring a malformed single-instance message")
            socket.abort()
            return
        socket.write(ACK)
        socket.flush()
        self.activated.emit(folders)
