"""The SMTP sender against a local SMTP server: headers, both parts, and errors that say whether to retry."""

from __future__ import annotations

import email
import email.policy

import pytest

from notifications.senders.base import Message, SendError
from notifications.senders.smtp import SmtpSender

from .fakes.smtp import fake_smtp


def message() -> Message:
    return Message(key="d-1", to="kontakt@example.org", subject="1 ny upphandling för Kooperativet", html="<p>Hej</p>",
                   text="Hej", from_email="alerts@example.org", from_name="Social Tender Radar",
                   headers={"List-Unsubscribe": "<https://radar.example.org/unsubscribe?token=t>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip


def test_a_digest_goes_through_smtp_with_both_parts_and_its_headers() -> None:
    with fake_smtp() as server:
        ref = SmtpSender(f"smtp://127.0.0.1:{server.port}").send(message())
    ((sender, recipients, data),) = server.messages
    assert sender == "alerts@example.org" and recipients == ["kontakt@example.org"]
    mail = email.message_from_bytes(data, policy=email.policy.default)
    assert ref == "<d-1@tender-radar>" == mail["Message-ID"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Subject"] == "1 ny upphandling för Kooperativet"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_a_temporary_refusal_is_retryable_and_an_unreachable_server_too() -> None:
    with fake_smtp() as server:
        server.reject_with = "451 try again later"
        with pytest.raises(SendError) as err:
            SmtpSender(f"smtp://127.0.0.1:{server.port}").send(message())
        assert err.value.retryable is True and "451" in str(err.value)
        server.reject_with = "554 no thanks"
        with pytest.raises(SendError) as err:
            SmtpSender(f"smtp://127.0.0.1:{server.port}").send(message())
        assert err.value.retryable is False
    with pytest.raises(SendError) as err:
        SmtpSender(f"smtp://127.0.0.1:{server.port}", timeout=2).send(message())  # nobody listens now
    assert err.value.retryable is True


def test_a_wrong_url_is_named() -> None:
    with pytest.raises(ValueError, match="is not smtp://host"):
        SmtpSender("mailto:someone")
