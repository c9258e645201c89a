"""SendGrid v3 mail send through the ``sendgrid`` library.

The digest id travels as ``custom_args.digest_id`` (no personal data), so events
from SendGrid can be tied back to the outbox. 429 and 5xx are retryable; other
4xx mean the request itself is wrong and retrying it unchanged would not help.
"""

from __future__ import annotations

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, Content, CustomArg, From, Header, Mail, To

from notifications.senders.base import Message, SendError


class SendGridSender:
    name = "sendgrid"

    def __init__(
        self, api_key: str, host: str = "https://api.sendgrid.com", *, sandbox: bool = False, timeout: float = 30
    ) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client.timeout = timeout  # the library waits forever by default
        self.sandbox = sandbox

    def build(self, message: Message) -> Mail:
        mail = Mail(
            from_email=From(message.from_email, message.from_name),
            to_emails=To(message.to),
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
        if self.sandbox:
            from sendgrid.helpers.mail import MailSettings, SandBoxMode

            mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
        return mail

    def send(self, message: Message) -> str:
        try:
            response = self.client.send(self.build(message))
        except HTTPError as exc:
            status = getattr(exc, "status_code", 0)
            body = getattr(exc, "body", b"")
            detail = body.decode("utf-8", "replace")[:500] if isinstance(body, bytes) else str(body)[:500]
            raise SendError(f"SendGrid answered {status}: {detail}", retryable=status == 429 or status >= 500) from exc
        except OSError as exc:
            raise SendError(f"SendGrid unreachable: {exc}", retryable=True) from exc
        headers = response.headers
        ref = headers.get("X-Message-Id") if headers is not None else None
        return str(ref or f"status-{response.status_code}")
