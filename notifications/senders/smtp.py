"""SMTP: for a local relay or a mail catcher (Mailpit in docker-compose).

``TENDER_RADAR_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (plain, or STARTTLS when the
server offers it) or ``smtps://...`` (TLS from the start). SMTP cannot say afterwards whether
a message was taken, so a digest caught by a crash between sending and recording is sent
again: the Message-ID stays the same, which lets mail systems drop the second copy.
"""

from __future__ import annotations

import smtplib
import ssl
from urllib.parse import unquote, urlsplit

from notifications.senders.base import Message, SendError
from notifications.senders.outbox import build_email


class SmtpSender:
    name = "smtp"

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"{url!r} is not smtp://host[:port] or smtps://host[:port]")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def find(self, key: str) -> str | None:
        return None  # SMTP keeps no record to ask

    def send(self, message: Message) -> str:
        email = build_email(message)
        try:
            if self.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not self.tls and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(email)
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code >= 400 and exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {self.host}:{self.port}: {exc}", retryable=True) from exc
        return str(email["Message-ID"])
