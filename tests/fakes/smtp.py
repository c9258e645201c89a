"""A small SMTP server on loopback: enough of RFC 5321 (and 3207 STARTTLS, 4954 AUTH) for smtplib.

With ``tls`` it advertises STARTTLS and refuses everything but EHLO, NOOP and QUIT until the
session is encrypted; with ``users`` it advertises AUTH PLAIN LOGIN and refuses MAIL until the
client has logged in, as a submission server does. ``refuse`` answers RCPT for single
addresses (e.g. ``550 5.1.1 no such user``); ``reject_with`` answers DATA. ``after_data`` makes
the server keep the whole message and then say nothing (``"silent"``) or hang up (``"close"``):
the message is in ``messages``, the client never hears the 250.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import socketserver
import ssl
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FakeSmtp:
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)  # sender, recipients, data
    reject_with: str | None = None  # e.g. "451 try again later"
    refuse: dict[str, str] = field(default_factory=dict)  # address -> the RCPT reply, e.g. "550 5.1.1 no such user"
    tls: ssl.SSLContext | None = None  # STARTTLS offered and required
    users: dict[str, str] = field(default_factory=dict)  # AUTH offered and required when not empty
    sessions: list[dict[str, object]] = field(default_factory=list)  # per session: tls, user, commands
    after_data: str | None = None  # "silent" | "close": the message is kept, no answer comes


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        fake = self.server.fake
        session: dict[str, object] = {"tls": False, "user": None, "commands": []}
        fake.sessions.append(session)
        sender, recipients = "", list[str]()
        self.reply("220 fake-smtp ready")
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            session["commands"].append(verb)  # type: ignore[attr-defined]
            needs_tls = fake.tls is not None and not session["tls"]
            if verb in ("EHLO", "HELO"):
                extensions = ["8BITMIME", "SMTPUTF8"]
                if needs_tls:
                    extensions.append("STARTTLS")
                elif fake.users:
                    extensions.append("AUTH PLAIN LOGIN")
                lines = ["fake-smtp", *extensions]
                for i, text in enumerate(lines):
                    self.reply(f"250{'-' if i < len(lines) - 1 else ' '}{text}")
            elif verb == "STAR" and fake.tls is not None:
                self.reply("220 2.0.0 ready to start TLS")
                self._start_tls(fake.tls)
                session["tls"] = True
            elif verb in ("NOOP", "RSET"):
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif needs_tls:
                self.reply("530 5.7.0 Must issue a STARTTLS command first")
            elif verb == "AUTH":
                session["user"] = self._auth(command, fake.users)
            elif fake.users and session["user"] is None:
                self.reply("530 5.7.0 Authentication required")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].split()[0].strip(" <>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].split()[0].strip(" <>")
                if address in fake.refuse:
                    self.reply(fake.refuse[address])
                else:
                    recipients.append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                if fake.reject_with:
                    self.reply(fake.reject_with)
                    continue
                if not recipients:
                    self.reply("554 5.5.1 no valid recipients")
                    continue
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                fake.messages.append((sender, recipients, data))
                if fake.after_data == "close":
                    return
                if fake.after_data == "silent":
                    while self.rfile.readline():  # until the client gives up and hangs up
                        pass
                    return
                self.reply("250 queued")
            else:
                self.reply("502 5.5.2 command not recognised")

    def _start_tls(self, context: ssl.SSLContext) -> None:
        self.wfile.flush()
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")

    def _auth(self, command: str, users: dict[str, str]) -> str | None:
        parts = command.split()
        mechanism = parts[1].upper() if len(parts) > 1 else ""
        if mechanism == "PLAIN":
            if len(parts) > 2:
                answer = parts[2]
            else:
                self.reply("334 ")
                answer = self.rfile.readline().decode().strip()
            _, user, password = base64.b64decode(answer).decode().split("\0")
        elif mechanism == "LOGIN":
            if len(parts) > 2:
                user = base64.b64decode(parts[2]).decode()
            else:
                self.reply("334 VXNlcm5hbWU6")
                user = base64.b64decode(self.rfile.readline().strip()).decode()
            self.reply("334 UGFzc3dvcmQ6")
            password = base64.b64decode(self.rfile.readline().strip()).decode()
        else:
            self.reply("504 5.5.4 unrecognised authentication type")
            return None
        if users.get(user) != password:
            self.reply("535 5.7.8 authentication credentials invalid")
            return None
        self.reply("235 2.7.0 authentication successful")
        return user


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSmtp


@contextmanager
def fake_smtp(**options: object) -> Generator[FakeSmtp]:
    """The server bound to port 0; ``fake.port`` says which port it got."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeSmtp(port=server.server_address[1], **options)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.fake
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made here: (the server's context, a client context that trusts only it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-smtp test certificate")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client
