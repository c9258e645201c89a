"""A real IMAP server for the tests: Debian's Dovecot (``dovecot-imapd``, installed by
``make system-deps``), started in the foreground on a loopback port with its configuration,
mail and logs in a temporary folder, one user with an invented password, and stopped after.

Dovecot cannot listen on port 0 (port 0 means "disabled" to it), so a free port is picked and
the start is tried again on another one if that port was taken meanwhile.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Generator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

USER, PASSWORD = "alerts", "invented-test-password"
# An alert e-mail in the shape such alerts have (invented: no real database, buyer or ad).
ALERT_HTML = """<html><body><p>Nya upphandlingar som matchar din bevakning:</p><ul>
<li><a href="https://annonser.example.org/annons/1001">Lokalvård av förskolor</a><br>
    Köpare: Exempelby kommun<br>Sista anbudsdag: 2027-01-15</li>
<li><a href="https://annonser.example.org/annons/1002">Catering till äldreboenden</a><br>
    Köpare: Exempelby kommun<br>Sista anbudsdag: 15 februari 2027</li></ul>
<p><a href="https://annonser.example.org/installningar">Ändra dina inställningar</a> |
   <a href="https://annonser.example.org/avregistrera">Avregistrera</a></p></body></html>"""


def mail(sender: str, subject: str, *, html: str | None = None, text: str | None = None, charset: str = "") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "alerts@radar.example.org", subject
    message["Date"] = "Mon, 30 Nov 2026 07:00:00 +0100"
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@example.org>"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    data = message.as_bytes()
    return data.replace(b'charset="utf-8"', f'charset="{charset}"'.encode()) if charset else data


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    log: Path


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(root: Path, port: int) -> Path:
    me = pwd.getpwuid(os.getuid())
    # As root, Dovecot drops to its own users; as anyone else it runs everything as that user.
    mail_user = pwd.getpwnam("nobody") if os.getuid() == 0 else me
    internal = "dovecot" if os.getuid() == 0 else me.pw_name
    login = "dovenull" if os.getuid() == 0 else me.pw_name
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir(exist_ok=True)
    for folder in ("mail", "home"):
        os.chmod(root / folder, 0o777)  # the mail user writes here (tmp only)
    os.chmod(root, 0o755)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
    return conf


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(64).startswith(b"* OK")
    except OSError:
        return False


@contextmanager
def dovecot() -> Generator[ImapServer]:
    """A running Dovecot; its folder is a fresh one under the system's temporary folder (the mail
    user must be able to reach it, which pytest's own 0700 folders do not allow)."""
    root = Path(tempfile.mkdtemp(prefix="radar-dovecot-"))
    try:
        with _running(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _running(root: Path) -> Generator[ImapServer]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        pytest.fail("Dovecot is needed for the mailbox tests: run `make system-deps` (Debian's dovecot-imapd)")
    for _ in range(3):
        port = _free_port()
        conf = _config(root, port)
        process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)  # fmt: skip
        for _ in range(100):
            if _answers(port) or process.poll() is not None:
                break
            time.sleep(0.05)
        if process.poll() is None and _answers(port):
            break
        process.kill()
        process.wait()
    else:
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        pytest.fail(f"Dovecot did not start: {log[-2000:]}")
    try:
        yield ImapServer("127.0.0.1", port, USER, PASSWORD, root / "dovecot.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deliver(server: ImapServer, *messages: bytes) -> None:
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        for message in messages:
            box.append(message, "INBOX", flag_set=())
