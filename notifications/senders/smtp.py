"""SMTP: for a local relay or a mail catcher (Mailpit in docker-compose).

``TENDER_RADAR_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (plain, or STARTTLS when the
server offers it) or ``smtps://...`` (TLS from the start). SMTP cannot say afterwards whether
a message was taken. What the server accepted (250 after DATA) is known from the delivery
journal (``notifications.senders.journal``), which ``radar.delivery`` reads before asking here.
What stays in doubt is a server that read the whole message and then went silent or closed:
``unsure="resend"`` (the default, ``TENDER_RADAR_SMTP_UNSURE``) sends it again, with the same
Message-ID (``<digest id@tender-radar>``) so that mail systems which collapse duplicates can: it
leans to a duplicate rather than a missed tender. ``unsure="hold"`` leaves it to a person
instead (``unknown``: ``tender-radar status --unknown-sent`` or ``--resend-unknown``). A
recipient the server refuses is reported on its own (``PartlyRefusedError``), so the others keep
their copy and the refused address can be suppressed.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import Any
from urllib.parse import unquote, urlsplit

from notifications.senders.base import LookupUnavailableError, Message, PartlyRefusedError, SendError
from notifications.senders.outbox import build_email
from notifications.senders.timeouts import CONNECT, READ


class _ConnectFirst:
    """A connection (and the TLS handshake of smtps) within CONNECT seconds; then ``timeout`` per answer."""

    def _get_socket(self, host: str, port: int, timeout: float) -> Any:
        sock = super()._get_socket(host, port, min(timeout, CONNECT))  # type: ignore[misc]
        sock.settimeout(timeout)
        return sock


class _Smtp(_ConnectFirst, smtplib.SMTP):
    """Knows whether the message itself went out: a connection lost after that is ambiguous."""

    in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data = True
        return super().data(msg)


class _SmtpSsl(_ConnectFirst, smtplib.SMTP_SSL):
    in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data = True
        return super().data(msg)


class SmtpSender:
    name = "smtp"

    def __init__(
        self, url: str, timeout: float = READ, *, context: ssl.SSLContext | None = None, unsure: str = "resend"
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"{url!r} is not smtp://host[:port] or smtps://host[:port]")
        if unsure not in ("resend", "hold"):
            raise ValueError(f"unsure={unsure!r} is not resend or hold")
        self.unsure = unsure
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.context = context or ssl.create_default_context()  # the system's CAs, host name checked

    def find(self, key: str) -> str | None:
        """None (send it again) or, with ``unsure="hold"``, a doubt only a person can settle.

        Asked only after the journal had no acceptance for ``key``: the server may have it only if
        it went silent or closed after the message (or the run died right then)."""
        if self.unsure == "hold":
            raise LookupUnavailableError(
                f"SMTP {self.host}:{self.port} cannot say whether it took digest {key} (no 250 was recorded;"
                " held by TENDER_RADAR_SMTP_UNSURE=hold): look for its Message-ID"
                f" <{key}@tender-radar> in the mail server's log",
                permanent=True,
            )
        return None  # SMTP keeps no record to ask: sent again, with the same Message-ID

    def send(self, message: Message) -> str:
        """Deliver over one SMTP session.

        Each recipient is answered on its own: those refused (550 no such user, 452 mailbox full)
        come back in PartlyRefusedError while the others get the message; if every one is refused
        nothing went out. A connection lost after the message was sent is ambiguous (maybe_sent).
        """
        email = build_email(message)
        client: _Smtp | _SmtpSsl | None = None
        try:
            if self.tls:
                client = _SmtpSsl(self.host, self.port, timeout=self.timeout, context=self.context)
            else:
                client = _Smtp(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not self.tls and client.has_extn("starttls"):
                    client.starttls(context=self.context)
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password or "")
                refused = client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused: nothing went out
            raise PartlyRefusedError(
                None, {a: (code, _text(text)) for a, (code, text) in exc.recipients.items()}
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code >= 400 and exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            maybe = client is not None and client.in_data
            after = " (after the message was sent: it may have arrived)" if maybe else ""
            raise SendError(f"SMTP {self.host}:{self.port}: {exc}{after}", retryable=True, maybe_sent=maybe,
                            timed_out=_timed_out(exc)) from exc  # fmt: skip
        reference = str(email["Message-ID"])
        if refused:
            raise PartlyRefusedError(reference, {a: (code, _text(text)) for a, (code, text) in refused.items()})
        return reference


def _timed_out(exc: BaseException) -> bool:
    """smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)[:200]
