"""The file outbox: each digest becomes ``<key>.eml`` in a folder (the default sender).

Named by the digest id and written atomically, so sending the same digest again
replaces the file instead of adding a second one.
"""

from __future__ import annotations

import os
import tempfile
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

from notifications.senders.base import Message, SendError
from tenders.private import private_dir

# Headers set with ``set_raw`` are written as given; the others are folded and encoded as usual.
RAW_POLICY = policy.default.clone(refold_source="none")


def build_email(message: Message) -> EmailMessage:
    """The message as RFC 5322 bytes will show it.

    The extra headers (List-Unsubscribe and List-Unsubscribe-Post) go in raw: RFC 2369 and 8058
    want ``<https://...>`` as is, and an RFC 2047-encoded one is ignored by mailbox providers.
    """
    message.checked_addresses()  # the subject and sender name were made header-safe with the Message
    email = EmailMessage(policy=RAW_POLICY)
    email["Subject"] = message.subject
    email["From"] = formataddr((message.from_name, message.from_email))
    email["To"] = message.to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{message.key}@tender-radar>"
    for name, value in message.headers.items():
        if not value.isascii() or any(ch in value for ch in "\r\n\0") or len(value) > 900:
            raise SendError(f"header {name} must be one line of ASCII under 900 characters", retryable=False)
        email.set_raw(name, value)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
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
        data = bytes(build_email(message))  # a message refused here leaves no file behind
        try:
            private_dir(self.folder)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")  # 0600: it holds a whole email
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise SendError(f"cannot write {target}: {exc}", retryable=True) from exc
        return str(target)
