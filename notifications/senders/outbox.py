"""The file outbox: each digest becomes ``<key>.eml`` in a folder (the default sender).

Named by the digest id and written atomically, so sending the same digest again
replaces the file instead of adding a second one.
"""

from __future__ import annotations

import os
import tempfile
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

from notifications.senders.base import Message, SendError


def build_email(message: Message) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = formataddr((message.from_name, message.from_email))
    email["To"] = message.to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{message.key}@tender-radar>"
    for name, value in message.headers.items():
        email[name] = value
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class OutboxSender:
    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find(self, key: str) -> str | None:
        target = self.folder / f"{key}.eml"
        return str(target) if target.exists() else None

    def send(self, message: Message) -> str:
        target = self.folder / f"{message.key}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(build_email(message)))
            os.replace(tmp, target)
        except OSError as exc:
            raise SendError(f"cannot write {target}: {exc}", retryable=True) from exc
        return str(target)
