"""The SMTP sender against a local SMTP server: headers, both parts, STARTTLS and AUTH as a submission
server requires them, errors that say whether to retry, and recipients refused one by one."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from matching.subscriptions import Subscriber
from notifications.senders.base import Message, PartlyRefusedError, SendError
from notifications.senders.configured import for_settings
from notifications.senders.smtp import SmtpSender
from radar.delivery import send_due
from radar.judging import judge
from radar.pipeline import match_and_queue
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import open_store, utcnow

from .fakes.smtp import fake_smtp, self_signed


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


def test_starttls_and_login_are_used_when_the_server_requires_them(tmp_path: Path) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    with fake_smtp(tls=server_tls, users={"radar": "s3cret pass"}) as server:
        url = f"smtp://radar:s3cret%20pass@127.0.0.1:{server.port}"
        SmtpSender(url, context=client_tls).send(message())
        with pytest.raises(SendError) as wrong:
            SmtpSender(f"smtp://radar:wrong@127.0.0.1:{server.port}", context=client_tls).send(message())
        with pytest.raises(SendError) as untrusted:  # the system's CAs do not know the test's certificate
            SmtpSender(url).send(message())
    ((_, recipients, data),) = server.messages
    assert recipients == ["kontakt@example.org"] and b"Subject:" in data
    assert server.sessions[0]["tls"] is True and server.sessions[0]["user"] == "radar"
    assert server.sessions[0]["commands"][:4] == ["EHLO", "STAR", "EHLO", "AUTH"]  # type: ignore[index]
    assert "535" in str(wrong.value) and wrong.value.retryable is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(untrusted.value)


def test_each_refused_recipient_is_named_and_the_others_get_it() -> None:
    with fake_smtp(
        refuse={"gone@example.org": "550 5.1.1 no such user", "full@example.org": "452 4.2.2 full"}
    ) as server:
        sender = SmtpSender(f"smtp://127.0.0.1:{server.port}")
        with pytest.raises(PartlyRefusedError) as partly:
            sender.send(replace(message(), to="kontakt@example.org, gone@example.org, full@example.org"))
        with pytest.raises(PartlyRefusedError) as everyone:
            sender.send(replace(message(), to="gone@example.org"))
    assert [r for _, r, _ in server.messages] == [["kontakt@example.org"]]  # one message, to the one accepted
    assert partly.value.reference == "<d-1@tender-radar>"
    assert partly.value.permanent() == {"gone@example.org": (550, "5.1.1 no such user")}
    assert partly.value.temporary() == {"full@example.org": (452, "4.2.2 full")}
    assert everyone.value.reference is None and set(everyone.value.refused) == {"gone@example.org"}


def _one_digest(settings: Settings, server_port: int, emails: str) -> tuple[Settings, list[Subscriber]]:
    smtp = replace(settings, sender="smtp", smtp_url=f"smtp://127.0.0.1:{server_port}", alert_email="ops@example.org")
    store = open_store(smtp)
    t = Tender(source="x", notice_id="1", title="Lokalvård i Falun", nuts=["SE312"])
    store.upsert([t], {t.id: judge(t)})
    subs = [Subscriber(key="s", organisation="S", email=emails, min_score=0.0)]
    match_and_queue(store, subs, include_expired=True)
    return smtp, subs


def _to(server_messages: list[tuple[str, list[str], bytes]], address: str) -> int:
    return sum(1 for _, recipients, _ in server_messages if address in recipients)


def test_a_digest_every_recipient_refuses_is_held_and_the_operator_told(settings: Settings) -> None:
    with fake_smtp(refuse={"gone@example.org": "550 5.1.1 no such user"}) as server:
        smtp, subs = _one_digest(settings, server.port, "gone@example.org")
        store = open_store(smtp)
        later = utcnow() + timedelta(days=8)
        first = send_due(store, subs, for_settings(smtp), smtp, now=later)
        again = send_due(store, subs, for_settings(smtp), smtp, now=later + timedelta(hours=1))
        rcpt_tries = sum(s["commands"].count("RCPT") for s in server.sessions)  # type: ignore[attr-defined]
    assert first["held"] == 1 and again["held"] == 0 and first["failed"] == 0  # not tried again at every run
    assert [d.status for d in store.digests()] == ["held"]
    assert store.suppressed() == {"gone@example.org": "refused"}
    assert _to(server.messages, "ops@example.org") == 1 and rcpt_tries == 2  # the digest once, the alert once
    alert = email.message_from_bytes(server.messages[0][2], policy=email.policy.default)
    assert "gone@example.org" in alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_partly_refused_digest_is_not_recorded_as_sent_and_goes_again_only_to_whom_it_missed(
    settings: Settings,
) -> None:
    refuse = {"gone@example.org": "550 5.1.1 no such user", "full@example.org": "452 4.2.2 mailbox full"}
    with fake_smtp(refuse=refuse) as server:
        smtp, subs = _one_digest(settings, server.port, "ok@example.org, gone@example.org, full@example.org")
        store = open_store(smtp)
        later = utcnow() + timedelta(days=8)
        first = send_due(store, subs, for_settings(smtp), smtp, now=later)
        [digest] = store.digests()
        assert first["partial"] == 1 and first["sent"] == 0
        assert digest.status == "failed" and digest.email == "full@example.org"  # only she still needs it
        assert store.suppressed() == {"gone@example.org": "refused"}
        del server.refuse["full@example.org"]  # the mailbox has room again
        second = send_due(store, subs, for_settings(smtp), smtp, now=later + timedelta(hours=1))
        third = send_due(store, subs, for_settings(smtp), smtp, now=later + timedelta(hours=2))
    assert second["sent"] == 1 and third["sent"] == 0
    assert [d.status for d in store.digests()] == ["sent"]
    assert {a: _to(server.messages, a) for a in ("ok@example.org", "full@example.org", "gone@example.org")} == {
        "ok@example.org": 1,
        "full@example.org": 1,
        "gone@example.org": 0,
    }
    assert _to(server.messages, "ops@example.org") == 1  # told about the refused address, once


def test_a_digest_refused_for_good_to_one_address_ends_partial_with_the_reason(settings: Settings) -> None:
    with fake_smtp(refuse={"gone@example.org": "550 5.1.1 no such user"}) as server:
        smtp, subs = _one_digest(settings, server.port, "ok@example.org, gone@example.org")
        store = open_store(smtp)
        later = utcnow() + timedelta(days=8)
        send_due(store, subs, for_settings(smtp), smtp, now=later)
        assert send_due(store, subs, for_settings(smtp), smtp, now=later + timedelta(hours=1))["sent"] == 0
    [digest] = store.digests()
    assert digest.status == "partial" and "gone@example.org refused (550 5.1.1 no such user)" in (
        digest.last_error or ""
    )
    assert _to(server.messages, "ok@example.org") == 1 and store.suppressed() == {"gone@example.org": "refused"}
