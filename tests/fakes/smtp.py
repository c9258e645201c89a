"""A minimal SMTP server on loopback: enough of RFC 5321 for smtplib to deliver to it."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class FakeSmtp:
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)  # sender, recipients, data
    reject_with: str | None = None  # e.g. "451 try again later"


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        fake = self.server.fake
        sender, recipients = "", list[str]()
        self.reply("220 fake-smtp ready")
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake-smtp")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                if fake.reject_with:
                    self.reply(fake.reject_with)
                    continue
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                fake.messages.append((sender, recipients, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSmtp


@contextmanager
def fake_smtp() -> Generator[FakeSmtp]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeSmtp(port=server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.fake
    finally:
        server.shutdown()
        server.server_close()
