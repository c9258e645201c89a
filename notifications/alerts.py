"""Alerts for operators: a failed DAG run, a source gone quiet.

By email through the configured sender (``TENDER_RADAR_ALERT_EMAIL``) and, optionally, as a
JSON POST to a generic webhook (``TENDER_RADAR_ALERT_WEBHOOK``: Slack, Teams, ntfy, ...).
An alert that cannot be delivered is logged, never raised: it must not hide the failure
it reports.
"""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from urllib.parse import urlsplit

from notifications.senders.base import Message, SendError
from notifications.senders.configured import for_settings
from tenders.config import Settings

log = logging.getLogger(__name__)


def send_alert(subject: str, text: str, settings: Settings) -> list[str]:
    """Deliver an alert everywhere configured; returns where it went."""
    delivered: list[str] = []
    if settings.alert_email:
        message = Message(
            key=f"alert-{uuid.uuid4()}",
            to=settings.alert_email,
            subject=f"[Tender Radar] {subject}",
            html=f"<pre>{_escape(text)}</pre>",
            text=text,
            from_email=settings.from_email,
            from_name=settings.from_name,
            categories=("alert",),
        )
        try:
            for_settings(settings).send(message)
            delivered.append(f"email to {settings.alert_email}")
        except SendError as exc:
            log.error("alert email failed: %s", exc)
    if settings.alert_webhook:
        path = urlsplit(settings.alert_webhook).path or "/"
        body = json.dumps({"subject": subject, "text": text}).encode()
        request = urllib.request.Request(  # ruff: ignore[suspicious-url-open-usage] (config checks http/https)
            settings.alert_webhook, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # ruff: ignore[suspicious-url-open-usage]
                delivered.append(f"webhook {where(settings.alert_webhook)}")
        except OSError as exc:
            log.error("alert webhook %s failed: %s", where(settings.alert_webhook), str(exc).replace(path, "…"))
    if not delivered:
        log.warning("alert not delivered anywhere (set TENDER_RADAR_ALERT_EMAIL or _WEBHOOK): %s", subject)
    return delivered


def where(url: str) -> str:
    """Scheme and host of a webhook URL: the path of a Slack-style URL is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
