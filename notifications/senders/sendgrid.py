"""SendGrid v3 mail send through the ``sendgrid`` library.

The digest id travels as ``custom_args.digest_id`` (no personal data), so a digest can be
found again at SendGrid (``find``) and its events tied back to the outbox. A send is tried again
in the same call only when it never left; a 5xx or a lost answer may come after SendGrid
accepted the message, so it is left to the next run's lookup. A 429 is SendGrid refusing the
request for the rest of its rate-limit period (its v3 "Rate Limits" page): not accepted, so it is
sent again on a later run, without a lookup. Other 4xx mean the request itself is wrong, and
retrying it unchanged would not help.

The lookup (the Email Activity API) needs a paid add-on and allows 6 requests a minute (its API
reference): lookups are paced at one per ``activity_interval`` (10 s) per account, and an
account without the add-on (a 401 or 403) is said so once, in the log, and not asked again by
this process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable
from http.client import HTTPException
from typing import Any
from urllib.error import URLError
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

from notifications.senders.base import LookupUnavailableError, Message, SendError
from notifications.senders.timeouts import READ, timed
from tenders import clock

MAX_WAIT = 60.0  # seconds: a lookup waits this long at most for a rate limit's reset
ACTIVITY_INTERVAL = 60.0 / 6  # the Email Activity API allows 6 requests a minute
log = logging.getLogger(__name__)
# Per account (host and key), for the whole process: when its last lookup was, and whether it lacks the add-on.
_LAST_LOOKUP: dict[str, float] = {}
_NO_ACTIVITY: dict[str, str] = {}


class SendGridSender:
    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        host: str = "https://api.sendgrid.com",
        *,
        sandbox: bool = False,
        timeout: float = READ,  # to read each answer; a connection is made within CONNECT (10 s)
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        activity_interval: float = ACTIVITY_INTERVAL,
    ) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client = timed(self.client.client, timeout)  # the library waits forever by default
        self.sandbox = sandbox
        self.attempts = attempts
        self.sleep = sleep
        self.clock = clock
        self.activity_interval = activity_interval
        self._account = f"{host.rstrip('/')}#{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"

    def build(self, message: Message) -> Mail:
        message.checked_addresses()
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
        """One request that may reach SendGrid, never repeated here once it may have.

        Only a request that never left (no connection) is tried again in this call. An answer
        that is lost (a timeout after sending) or a 5xx may follow acceptance: the digest goes
        back to the store as "may have been sent", and the next run looks it up first. A 429 was
        not accepted: retryable, and the run stops sending (``rate_limited``).
        """
        body = self.build(message).get()
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.client.client.mail.send.post(request_body=body)
            except HTTPError as exc:
                status = int(getattr(exc, "status_code", 0))
                detail = _text(getattr(exc, "body", b""))
                if status == 429:  # refused for the rest of the rate-limit period: not accepted
                    raise SendError(f"SendGrid answered 429, not accepted: {detail}", retryable=True,
                                    rate_limited=True) from exc  # fmt: skip
                if status >= 500:
                    raise SendError(f"SendGrid answered {status}: {detail}", retryable=True, maybe_sent=True) from exc
                raise SendError(f"SendGrid answered {status}: {detail}", retryable=False) from exc
            except URLError as exc:  # raised before the request was out: SendGrid has nothing
                silent = isinstance(exc.reason, TimeoutError)  # no connection within CONNECT: not tried again now
                if attempt == self.attempts or silent:
                    raise SendError(f"SendGrid unreachable: {exc.reason}", retryable=True, timed_out=silent) from exc
                self.sleep(2 ** (attempt - 1))
                continue
            except (OSError, HTTPException) as exc:  # the request went out; its answer did not come back
                raise SendError(f"SendGrid's answer was lost ({exc!r}): it may have the digest", retryable=True,
                                maybe_sent=True, timed_out=isinstance(exc, TimeoutError)) from exc  # fmt: skip
            headers = response.headers
            ref = headers.get("X-Message-Id") if headers is not None else None
            return str(ref or f"status-{response.status_code}")
        raise SendError("SendGrid: no attempt made", retryable=True)  # attempts < 1

    def _wait_for(self, status: int, headers: Any, attempt: int) -> float | None:
        """Seconds to wait before asking again in this run, or None to give up for now."""
        if status == 429:
            reset = _header(headers, "X-RateLimit-Reset")
            wait = max(0.0, float(reset) - clock.time()) if reset and reset.isdigit() else 2.0**attempt
            return wait if wait <= MAX_WAIT else None
        if status >= 500:
            return 0.5 * float(2 ** (attempt - 1))
        return None

    def find(self, key: str) -> str | None:
        """The SendGrid message id of the digest ``key`` if SendGrid has it (Email Activity API).

        Asking is safe to repeat: a 5xx or a near rate-limit reset is waited out within the call.
        Without the Email Activity add-on SendGrid answers 403: that is permanent. A message is
        listed only some minutes after it was accepted, so the caller trusts "not there" only for
        a message tried long enough ago (``radar.delivery``).
        """
        refused = _NO_ACTIVITY.get(self._account)
        if refused:  # said once already: asking again would only be refused again
            raise LookupUnavailableError(refused, permanent=True)
        query = quote(f"unique_args['digest_id']=\"{key}\"")
        for attempt in range(1, self.attempts + 1):
            self._pace()
            try:
                response = self.client.client._(f"messages?limit=1&query={query}").get()
            except HTTPError as exc:
                status = int(getattr(exc, "status_code", 0))
                wait = self._wait_for(status, getattr(exc, "headers", None), attempt)
                if status in (401, 403):
                    reason = (
                        f"SendGrid refuses the Email Activity API ({status}): the account needs its paid add-on and"
                        " a key allowed to read it; a digest whose sending is in doubt cannot be looked up"
                    )
                    _NO_ACTIVITY[self._account] = reason
                    log.warning("%s", reason)
                    raise LookupUnavailableError(reason, permanent=True) from exc
                if wait is None or attempt == self.attempts:
                    raise LookupUnavailableError(
                        f"SendGrid cannot say now whether digest {key} was sent ({status})", rate_limited=status == 429
                    ) from exc
                self.sleep(wait)
                _LAST_LOOKUP.pop(self._account, None)  # the wait was longer than the pace
                continue
            except (OSError, HTTPException) as exc:
                silent = isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)
                if attempt == self.attempts or silent:  # a silent SendGrid is not asked again in this call
                    raise LookupUnavailableError(f"SendGrid unreachable for the lookup: {exc!r}",
                                                 timed_out=silent) from exc  # fmt: skip
                self.sleep(2 ** (attempt - 1))
                continue
            try:
                messages = json.loads(response.body or b"{}").get("messages") or []
            except (ValueError, AttributeError) as exc:
                raise LookupUnavailableError(f"SendGrid's Email Activity answer is not a message list: {exc}") from exc
            return str(messages[0].get("msg_id")) if messages else None
        raise LookupUnavailableError("SendGrid: no lookup made")  # attempts < 1

    def _pace(self) -> None:
        """At most one Email Activity request per ``activity_interval`` per account, in this process."""
        last = _LAST_LOOKUP.get(self._account)
        if last is not None:
            gap = self.activity_interval - (self.clock() - last)
            if gap > 0:
                self.sleep(min(gap, self.activity_interval))
        _LAST_LOOKUP[self._account] = self.clock()


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    return str(value) if value is not None else None


def _text(body: Any) -> str:
    return body.decode("utf-8", "replace")[:500] if isinstance(body, bytes) else str(body)[:500]
