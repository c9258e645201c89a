"""No header of a message the project sends can be written by data (issue 25, item 2).

A buyer's title holding an RFC 2047 encoded word of a line break (``=?utf-8?q?=0D=0A?=``) was
decoded by the email package and, on CPython before 3.11.10 / 3.12.5 (CVE-2024-6923), written as a
real line break: the "withdrawn" digest carried ``Reply-To: attacker@evil.example`` and a body of
the attacker's choosing. Every kind of message is built here from the hostile title and read back
from its raw bytes. Organisations, people, addresses and numbers are invented.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from matching.subscriptions import Subscriber
from notifications.messages import confirmation_message
from notifications.senders.base import Message, SendError
from notifications.senders.outbox import OutboxSender
from notifications.senders.sendgrid import SendGridSender
from notifications.senders.smtp import SmtpSender
from radar.buyers.interest import raise_hand
from radar.buyers.notices import add_buyer, edit, publish, withdraw
from radar.buyers.reminders import invite, queue_reminders, send_buyer_messages
from radar.delivery import send_due
from radar.pipeline import match_and_queue
from radar.subscribers import active_subscribers
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.store import open_store

from .fakes.smtp import fake_smtp

ORG = "999999-9999"  # invented
BUYER_MAIL = "upphandling@dala-inkop.example.org"  # invented
ENTERPRISE_MAIL = "hej@dalastad.example.org"  # invented
INJECTED = "=?utf-8?q?x=0D=0AReply-To:_attacker@evil.example=0D=0ABcc:_spy@evil.example=0D=0A=0D=0AEVIL-BODY?="
HOSTILE = f"Lokalvård {INJECTED} förskolor"
EXPECTED_HEADERS = {"subject", "from", "to", "date", "message-id", "mime-version", "content-type",
                    "list-unsubscribe", "list-unsubscribe-post", "reply-to"}  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(
        "subscribers:\n"
        f"  - {{key: dala-stad, organisation: 'Dala Städ {INJECTED} (invented)', email: {ENTERPRISE_MAIL},\n"
        "     regions: [SE312], frequency: instant, min_score: 0}\n",
        encoding="utf-8",
    )
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "headers-secret-" + "h" * 20,
                          "TENDER_RADAR_WORKERS": "1"})  # fmt: skip


def read(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def assert_sound(message: EmailMessage, *, reply_to: str | None = None) -> str:
    """No injected header, a one-line subject without a live encoded word, an intact body; the body text."""
    names = {name.lower() for name in message}
    assert names <= EXPECTED_HEADERS, names - EXPECTED_HEADERS
    assert message.get_all("Reply-To") == ([reply_to] if reply_to else None)
    assert "bcc" not in names and message.defects == []
    subject = str(message["Subject"])
    assert "\n" not in subject and "\r" not in subject and "=?" not in subject
    body = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert not body.lstrip().startswith("EVIL-BODY")
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    return body


def outbox(settings: Settings) -> dict[str, EmailMessage]:
    """The messages in the outbox by subject."""
    found = sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []
    return {str(m["Subject"]): m for m in (read(p.read_bytes()) for p in found)}


def test_every_kind_of_message_with_a_hostile_title_keeps_its_headers(settings: Settings) -> None:
    store = open_store(settings)
    org = add_buyer(store, "Dala Inköp (invented)", ORG, ["Dalarna"], BUYER_MAIL).org
    planned = {"title": HOSTILE, "status": "planned", "procedure_id": "UH-2027-001", "cpv_main": "90910000",
               "expected_publication": (clock.today() + timedelta(days=30)).isoformat()}  # fmt: skip
    ident = publish(store, org, planned, "token:test", base_url="http://localhost:8000").tender.id
    raise_hand(settings, store, "dala-stad", ident, share_contact=True)
    sender = OutboxSender(settings.outbox_dir)

    # a dialogue invitation: the title in its subject, the buyer's address as Reply-To
    assert invite(settings, store, org, ident, "Välkommen till dialogmöte (invented).", "user:dala") == 1
    assert send_buyer_messages(settings, store, sender)["sent"] == 1
    # the planned procurement opened, its deadline 5 days away: "advertised now" and "deadline in 5 days"
    opened = {**planned, "status": "open", "deadline": (clock.today() + timedelta(days=5)).isoformat(),
              "nuts": ["SE312"], "reserved_participation": ["res-ws"]}  # fmt: skip
    del opened["expected_publication"]
    edit(store, org, ident, opened, "token:test", base_url="http://localhost:8000")
    assert queue_reminders(settings, store) == {"advertised": 1, "deadline": 1}
    assert send_buyer_messages(settings, store, sender)["sent"] == 2
    # the digest telling of it, then the "withdrawn" digest whose subject is the title
    subscribers = active_subscribers(settings, store)
    match_and_queue(store, subscribers)
    send_due(store, subscribers, sender, settings)
    withdraw(store, org, ident, "token:test")
    match_and_queue(store, subscribers)
    send_due(store, subscribers, sender, settings)
    # the confirmation of a sign-up by an organisation with the hostile name
    (subscriber,) = [s for s in subscribers if s.key == "dala-stad"]
    sender.send(confirmation_message(settings, subscriber))

    mails = outbox(settings)
    kinds = {
        "invitation": [s for s in mails if s.startswith("Inbjudan från Dala Inköp (invented): Lokalvård")],
        "advertised": [s for s in mails if s.startswith("Nu annonseras: Lokalvård")],
        "deadline": [s for s in mails if s.startswith("Sista anbudsdag om 5 dagar: Lokalvård")],
        "digest": [s for s in mails if s.startswith("1 ny upphandling för Dala Städ")],
        "withdrawn": [s for s in mails if s.startswith("Återkallad av köparen: Lokalvård")],
        "confirm": [s for s in mails if s.startswith("Bekräfta din prenumeration")],
    }
    assert {kind: len(subjects) for kind, subjects in kinds.items()} == dict.fromkeys(kinds, 1), list(mails)
    for kind, (subject,) in kinds.items():
        message = mails[subject]
        body = assert_sound(message, reply_to=BUYER_MAIL if kind == "invitation" else None)
        assert message["To"] == ENTERPRISE_MAIL
        if kind != "confirm":
            assert "Lokalvård" in body
        if kind not in ("digest", "confirm"):
            assert "attacker@evil.example" in subject  # the title is shown, as text, not obeyed


def hostile_message(**changes: str) -> Message:
    fields = {"key": "d-1", "to": ENTERPRISE_MAIL, "subject": f"Återkallade av köparen: {HOSTILE}\x1b[31m\u2028x",
              "html": "<p>Hej</p>", "text": "Hej", "from_email": "alerts@example.org",
              "from_name": f"Radar {INJECTED}\r\nX-Evil: 1"}  # fmt: skip
    return Message(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_subject_and_sender_name_are_header_safe_for_every_sender(tmp_path: Path) -> None:
    message = hostile_message()
    assert "=?" not in message.subject and "\x1b" not in message.subject and "\u2028" not in message.subject
    assert message.from_name.startswith("Radar =\u00a0?utf-8?q?") and "\r" not in message.from_name
    outboxed = read(Path(OutboxSender(tmp_path).send(message)).read_bytes())
    assert assert_sound(outboxed) == "Hej\n" and outboxed["X-Evil"] is None
    assert outboxed["Subject"] == message.subject and outboxed["From"].addresses[0].username == "alerts"
    with fake_smtp() as server:
        SmtpSender(f"smtp://127.0.0.1:{server.port}").send(message)
    ((_, _, data),) = server.messages
    assert assert_sound(read(data)).strip() == "Hej"
    body = SendGridSender("SG.invented", "http://127.0.0.1:9").build(message).get()
    assert body["subject"] == message.subject and body["from"]["name"] == message.from_name


@pytest.mark.parametrize("field", ["to", "reply_to", "from_email"])
def test_an_address_holding_an_encoded_word_is_refused_not_sent(tmp_path: Path, field: str) -> None:
    # email-validator takes this one: '=' and '?' are allowed before the @ (invented address)
    address = "=?utf-8?q?x=0D=0ABcc=3A_spy=40evil.example?=@example.org"
    message = hostile_message(**{field: address})
    with pytest.raises(SendError, match="encoded word") as refused:
        OutboxSender(tmp_path).send(message)
    assert not refused.value.retryable and list(tmp_path.glob("*.eml")) == []
    with pytest.raises(SendError, match="encoded word"):
        SendGridSender("SG.invented", "http://127.0.0.1:9").build(message)


def test_a_subscriber_name_with_an_encoded_word_stays_text_in_the_confirmation(settings: Settings) -> None:
    subscriber = Subscriber(key="k", organisation=f"Kooperativet {INJECTED}", email=ENTERPRISE_MAIL, language="en")
    message = read(bytes(Path(OutboxSender(settings.outbox_dir).send(confirmation_message(settings, subscriber)))
                         .read_bytes()))  # fmt: skip
    assert "Kooperativet" in assert_sound(message)
