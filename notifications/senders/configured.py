"""The one place that picks a sender from the settings."""

from __future__ import annotations

from notifications.senders.base import Sender
from notifications.senders.outbox import OutboxSender
from notifications.senders.sendgrid import SendGridSender
from notifications.senders.smtp import SmtpSender
from tenders.config import Settings


def for_settings(settings: Settings) -> Sender:
    if settings.sender == "sendgrid" and settings.sendgrid_api_key:
        return SendGridSender(settings.sendgrid_api_key, settings.sendgrid_host, sandbox=settings.sendgrid_sandbox)
    if settings.sender == "smtp" and settings.smtp_url:
        return SmtpSender(settings.smtp_url, unsure=settings.smtp_unsure)
    return OutboxSender(settings.outbox_dir)
