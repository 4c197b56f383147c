"""A real TCP server on 127.0.0.1 that answers too slowly: some bytes at once, then one byte per interval.

It stands for a tracker, a Slack webhook or an SMTP server that keeps a connection alive without ever finishing an
answer. It gives up (closes) after `give_up` seconds, so that a client without a deadline ends too (and its test
fails on the time it took instead of hanging the suite)."""

from __future__ import annotations

import socket
import threading
import time

# HTTP: a status line and headers that never end; headers then a body that never ends; an SMTP greeting that never
# ends. Each is longer than any test waits.
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"." * 200
BODY_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
BODY = b"[" + b" " * 4095
GREETING = b"220 " + b"." * 200


class DripServer:
    """Accepts connections; sends `head` at once, then `drip` one byte every `interval` seconds."""

    def __init__(self, drip: bytes, *, head: bytes = b"", interval: float = 1.0, give_up: float = 20.0) -> None:
        self.head = head
        self.drip = drip
        self.interval = interval
        self.give_up = give_up
        self.connections = 0
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DripServer:
        """Start accepting in a thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and dripping."""
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        end = time.monotonic() + self.give_up
        with conn:
            try:
                if self.head:
                    conn.sendall(self.head)
                for byte in self.drip:
                    if self.stopping.wait(self.interval) or time.monotonic() > end:
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up and closed
