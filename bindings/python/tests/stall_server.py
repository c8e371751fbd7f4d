"""A Buttplug server that completes the handshake and then never answers: a stalled server for
timeout tests. Minimal WebSocket (RFC 6455) over a loopback socket on a free port; text frames
only. `StallServer().url` while it runs; `close()` ends it and every connection. Messages named
in `refuse` get a Buttplug `Error` reply (code, message) instead of no answer."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from typing import Any, Dict, List, Optional, Tuple

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class StallServer:
    def __init__(self, refuse: Optional[Dict[str, Tuple[int, str]]] = None) -> None:
        self._refuse = dict(refuse or {})
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.port = self._listener.getsockname()[1]
        self.unanswered: List[str] = []  # names of the messages left without an answer
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="stall-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> "StallServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self._connections)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self._thread.join(10)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            self._handshake(connection)
            while True:
                frame = _read_frame(connection)
                if frame is None:
                    return
                opcode, payload = frame
                if opcode == 8:  # close
                    _send_frame(connection, 8, payload[:2])
                    return
                if opcode == 9:  # ping
                    _send_frame(connection, 10, payload)
                elif opcode == 1:
                    self._answer(connection, json.loads(payload.decode("utf-8")))
        except OSError:
            return

    def _answer(self, connection: socket.socket, messages: List[Any]) -> None:
        for message in messages:
            ((name, body),) = message.items()
            if name == "RequestServerInfo":
                reply: Any = {
                    "ServerInfo": {
                        "Id": body["Id"],
                        "ServerName": "stalled",
                        "ProtocolVersionMajor": 4,
                        "ProtocolVersionMinor": 0,
                        "MaxPingTime": 0,
                    }
                }
            elif name == "RequestDeviceList":
                reply = {"DeviceList": {"Id": body["Id"], "Devices": {}}}
            elif name in self._refuse:
                code, text = self._refuse[name]
                reply = {"Error": {"Id": body["Id"], "ErrorCode": code, "ErrorMessage": text}}
            else:
                with self._lock:
                    self.unanswered.append(name)
                continue
            _send_frame(connection, 1, json.dumps([reply]).encode("utf-8"))

    @staticmethod
    def _handshake(connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(4096)
            if not chunk:
                raise OSError("closed during the handshake")
            request += chunk
        key = ""
        for line in request.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        connection.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )


def _recv_exact(connection: socket.socket, count: int) -> Optional[bytes]:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_frame(connection: socket.socket) -> Optional[tuple]:
    header = _recv_exact(connection, 2)
    if header is None:
        return None
    opcode = header[0] & 0x0F
    masked = header[1] & 0x80
    length = header[1] & 0x7F
    if length == 126:
        extended = _recv_exact(connection, 2)
        if extended is None:
            return None
        (length,) = struct.unpack(">H", extended)
    elif length == 127:
        extended = _recv_exact(connection, 8)
        if extended is None:
            return None
        (length,) = struct.unpack(">Q", extended)
    mask = _recv_exact(connection, 4) if masked else b"\0\0\0\0"
    payload = _recv_exact(connection, length) if length else b""
    if mask is None or payload is None:
        return None
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _send_frame(connection: socket.socket, opcode: int, payload: bytes) -> None:
    header = bytes([0x80 | opcode])
    if len(payload) < 126:
        header += bytes([len(payload)])
    elif len(payload) < 65536:
        header += bytes([126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([127]) + struct.pack(">Q", len(payload))
    connection.sendall(header + payload)
