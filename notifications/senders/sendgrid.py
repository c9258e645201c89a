"""SendGrid v3 mail send through the ``sendgrid`` library.

The digest id travels as ``custom_args.digest_id`` (no personal data), so a digest can be
found again at SendGrid (``find``) and its events tied back to the outbox. A 429 waits for
the rate limit's reset when that is near; a 5xx is retried with backoff; other 4xx mean the
request itself is wrong, and retrying it unchanged would not help.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Category,
    Content,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    MailSettings,
    ReplyTo,
    SandBoxMode,
    To,
)

from notifications.senders.base import Message, SendError

MAX_WAIT = 60.0  # seconds: longer rate-limit waits are left to the next run


class SendGridSender:
    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        host: str = "https://api.sendgrid.com",
        *,
        sandbox: bool = False,
        timeout: float = 30,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client.timeout = timeout  # the library waits forever by default
        self.sandbox = sandbox
        self.attempts = attempts
        self.sleep = sleep

    def build(self, message: Message) -> Mail:
        mail = Mail(
            from_email=From(message.from_email, message.from_name),
            to_emails=[To(address.strip()) for address in message.to.split(",") if address.strip()],
            subject=message.subject,
        )
        mail.add_content(Content("text/plain", message.text))
        mail.add_content(Content("text/html", message.html))
        for category in message.categories:
            mail.add_category(Category(category))
        # On the personalization: the v3 schema types a top-level custom_args as a string.
        mail.personalizations[0].add_custom_arg(CustomArg("digest_id", message.key))
        for name, value in message.headers.items():
            mail.add_header(Header(name, value))
        for item in message.attachments:
            encoded = base64.b64encode(item.data).decode("ascii")
            mail.add_attachment(Attachment(FileContent(encoded), FileName(item.filename), FileType(item.content_type),
                                           Disposition("attachment")))  # fmt: skip
        if message.reply_to:  # SendGrid refuses Reply-To among the headers; it has a field of its own
            mail.reply_to = ReplyTo(message.reply_to)
        if self.sandbox:
            mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
        return mail

    def send(self, message: Message) -> str:
        body = self.build(message).get()
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.client.client.mail.send.post(request_body=body)
            except HTTPError as exc:
                status = int(getattr(exc, "status_code", 0))
                detail = _text(getattr(exc, "body", b""))
                wait = self._wait_for(status, getattr(exc, "headers", None), attempt)
                if wait is None or attempt == self.attempts:
                    raise SendError(
                        f"SendGrid answered {status}: {detail}", retryable=status == 429 or status >= 500
                    ) from exc
                self.sleep(wait)
                continue
            except OSError as exc:
                if attempt == self.attempts:
                    raise SendError(f"SendGrid unreachable: {exc}", retryable=True) from exc
                self.sleep(2 ** (attempt - 1))
                continue
            headers = response.headers
            ref = headers.get("X-Message-Id") if headers is not None else None
            return str(ref or f"status-{response.status_code}")
        raise SendError("SendGrid: no attempt made", retryable=True)  # attempts < 1

    def _wait_for(self, status: int, headers: Any, attempt: int) -> float | None:
        """Seconds to wait before trying again in this run, or None to give up for now."""
        if status == 429:
            reset = _header(headers, "X-RateLimit-Reset")
            wait = max(0.0, float(reset) - time.time()) if reset and reset.isdigit() else 2.0**attempt
            return wait if wait <= MAX_WAIT else None
        if status >= 500:
            return 0.5 * float(2 ** (attempt - 1))
        return None

    def find(self, key: str) -> str | None:
        """The SendGrid message id of the digest ``key`` if SendGrid has it (Email Activity API)."""
        query = quote(f"unique_args['digest_id']=\"{key}\"")
        try:
            response = self.client.client._(f"messages?limit=1&query={query}").get()
        except HTTPError as exc:
            status = int(getattr(exc, "status_code", 0))
            raise SendError(f"SendGrid cannot say whether digest {key} was sent ({status})", retryable=True) from exc
        except OSError as exc:
            raise SendError(f"SendGrid unreachable: {exc}", retryable=True) from exc
        messages = json.loads(response.body or b"{}").get("messages") or []
        return str(messages[0].get("msg_id")) if messages else None


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    return str(value) if value is not None else None


def _text(body: Any) -> str:
    return body.decode("utf-8", "replace")[:500] if isinstance(body, bytes) else str(body)[:500]
