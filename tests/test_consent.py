"""Unsubscribe in one click (RFC 8058), signed expiring tokens, the signed SendGrid event webhook,
and names or titles that try to break out of their place."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from matching.subscriptions import load_subscribers
from notifications.senders.configured import for_settings
from notifications.tokens import TokenError, make_token, read_token
from radar.delivery import send_due
from radar.pipeline import run_once
from radar.web.app import create_app
from tenders import clock
from tenders.config import Settings
from tenders.store import open_store, utcnow

from .conftest import PROJECT, outbox

SECRET = "test-secret"


def test_tokens_refuse_forgery_other_purposes_and_age() -> None:
    token = make_token(SECRET, "unsubscribe", "falu", valid_for=60)
    assert read_token(SECRET, token, "unsubscribe") == "falu"
    with pytest.raises(TokenError, match="bad signature"):
        read_token("another-secret", token, "unsubscribe")
    forged = token.replace(token.split(".")[1], base64.urlsafe_b64encode(b"gavle").decode().rstrip("="))
    with pytest.raises(TokenError, match="bad signature"):
        read_token(SECRET, forged, "unsubscribe")
    with pytest.raises(TokenError, match="a confirm token, not a unsubscribe token"):
        read_token(SECRET, make_token(SECRET, "confirm", "falu", valid_for=60), "unsubscribe")
    with pytest.raises(TokenError, match="expired"):
        read_token(SECRET, token, "unsubscribe", now=clock.time() + 61)


@pytest.fixture
def radar(settings: Settings) -> Settings:
    return replace(settings, secret=SECRET, base_url="https://radar.example.org")


def first_email(folder: Path, to: str) -> email.message.EmailMessage:
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == to:
            return msg
    raise AssertionError(f"no email to {to}")


def test_a_digest_carries_one_click_unsubscribe_and_the_post_works(radar: Settings) -> None:
    run_once(radar)
    msg = first_email(radar.outbox_dir, "kontakt@falu-aterbruk.example.org")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = msg["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://radar.example.org/unsubscribe?token=unsubscribe.")
    assert link in outbox(radar.outbox_dir)["kontakt@falu-aterbruk.example.org"]  # and in the text, for people

    client = TestClient(create_app(radar))
    path = link.removeprefix("https://radar.example.org")
    page = client.get(path)
    assert page.status_code == 200 and "Avsluta prenumerationen?" in page.text
    assert open_store(radar).suppressed() == {}  # looking at the link changes nothing
    done = client.post(path, content="List-Unsubscribe=One-Click",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert done.status_code == 200 and "Prenumerationen är avslutad" in done.text
    assert open_store(radar).suppressed() == {"kontakt@falu-aterbruk.example.org": "unsubscribed"}

    # Her daily digest (due later) is never sent: not at its time, not ever.
    falu_before = sum(1 for p in radar.outbox_dir.glob("*.eml") if b"kontakt@falu" in p.read_bytes())
    next_year = utcnow().replace(year=utcnow().year + 1)
    result = send_due(
        open_store(radar), load_subscribers(radar.subscribers_file), for_settings(radar), radar, now=next_year
    )
    assert result["suppressed"] == 1 and result["sent"] == 2  # the other two subscribers' daily digests
    assert sum(1 for p in radar.outbox_dir.glob("*.eml") if b"kontakt@falu" in p.read_bytes()) == falu_before


@pytest.mark.parametrize(
    "token", ["", "garbage", make_token("wrong", "unsubscribe", "falu-ateranvandning", valid_for=60)]
)
def test_a_forged_or_broken_unsubscribe_token_is_refused(radar: Settings, token: str) -> None:
    client = TestClient(create_app(radar))
    response = client.post(f"/unsubscribe?token={token}", content="List-Unsubscribe=One-Click")
    assert response.status_code == 400 and "Länken fungerar inte" in response.text
    assert open_store(radar).suppressed() == {}


def test_an_expired_unsubscribe_token_is_refused(radar: Settings) -> None:
    token = make_token(SECRET, "unsubscribe", "falu-ateranvandning", valid_for=-1)
    response = TestClient(create_app(radar)).post(f"/unsubscribe?token={token}")
    assert response.status_code == 400 and "(den har gått ut)" in response.text  # in Swedish, not the token's "expired"


def signed(key: ec.EllipticCurvePrivateKey, body: str, timestamp: str) -> dict[str, str]:
    signature = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def test_the_event_webhook_turns_signed_bounces_into_suppressions(radar: Settings) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    radar = replace(radar, sendgrid_webhook_key=base64.b64encode(public).decode())
    client = TestClient(create_app(radar))
    body = json.dumps(
        [
            {"email": "info@gavle-stadkafe.example.org", "event": "bounce", "reason": "550 no such user"},
            {"email": "watch@nordic-wise.example.org", "event": "spamreport"},
            {"email": "kontakt@falu-aterbruk.example.org", "event": "delivered"},
        ]
    )
    forged = signed(ec.generate_private_key(ec.SECP256R1()), body, str(int(clock.time())))
    assert client.post("/webhooks/sendgrid", content=body, headers=forged).status_code == 403
    tampered = signed(key, body, str(int(clock.time())))
    assert (
        client.post("/webhooks/sendgrid", content=body.replace("bounce", "open"), headers=tampered).status_code == 403
    )
    assert open_store(radar).suppressed() == {}

    ok = client.post("/webhooks/sendgrid", content=body, headers=signed(key, body, str(int(clock.time()))))
    assert ok.status_code == 200 and ok.json() == {"received": 3, "suppressed": 2, "replayed": 0}
    assert open_store(radar).suppressed() == {
        "info@gavle-stadkafe.example.org": "bounced",
        "watch@nordic-wise.example.org": "spam report",
    }


def test_a_name_with_line_breaks_cannot_add_headers(radar: Settings, tmp_path: Path) -> None:
    (tmp_path / "subs.yaml").write_text(
        'subscribers:\n  - {email: a@example.org, organisation: "Evil\\r\\nBcc: victim@example.org",'
        " frequency: instant, min_score: 0, language: en}\n"
    )
    notice = PROJECT / "tests/fixtures/ted-real/legacy/19-090974-001-EXP.xml"
    (tmp_path / "src.yaml").write_text(f"sources:\n  - {{name: s, kind: ted_files, path: {notice}}}\n")
    radar = replace(radar, subscribers_file=tmp_path / "subs.yaml", sources_file=tmp_path / "src.yaml")
    run_once(radar)
    msg = first_email(radar.outbox_dir, "a@example.org")
    assert msg["Bcc"] is None
    assert msg["Subject"] == "1 new tender for Evil Bcc: victim@example.org"
