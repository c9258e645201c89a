"""A server on loopback that accepts every connection and never answers: the hanging feed (or IMAP
server) of issue 26. The kernel completes the handshake, the connection stays open, not one byte
comes back; what reads from it waits until its own time limit."""

from __future__ import annotations

import socket
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Silent:
    port: int = 0
    accepted: int = 0  # connections taken (and kept open, unanswered)
    _held: list[socket.socket] = field(default_factory=list)


@contextmanager
def silent_server() -> Generator[Silent]:
    listener = socket.create_server(("127.0.0.1", 0))
    silent = Silent(port=listener.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            silent._held.append(connection)
            silent.accepted += 1

    threading.Thread(target=serve, name="silent server", daemon=True).start()
    try:
        yield silent
    finally:
        stop.set()
        listener.close()
        for connection in silent._held:
            connection.close()
