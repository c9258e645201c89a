"""The web app answers hostile requests with a 4xx, never a 500 or a leak (issue 13)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from matching.subscriptions import Subscriber
from notifications.senders.base import Message
from radar.delivery import send_due
from radar.judging import judge
from radar.web.app import create_app
from radar.web.auth import LOGIN_COOKIE, SESSION_COOKIE, hash_password
from tenders import clock
from tenders.config import ConfigError, Settings, load_settings
from tenders.model import Tender
from tenders.store import Assessed, open_store

from .helpers.dashboard_site import csrf

SECRET = "test-secret"
PASSWORD = "dalarna-pass-123"


@pytest.fixture
def site(settings: Settings) -> Settings:
    site = replace(settings, secret=SECRET, base_url="http://localhost:8000")
    open_store(site).save_coordinator("anna", hash_password(PASSWORD), ["SE312"])
    return site


def client(site: Settings) -> TestClient:
    return TestClient(create_app(site), base_url="http://localhost:8000", raise_server_exceptions=False)


def logged_in(site: Settings) -> TestClient:
    c = client(site)
    page = c.get("/login")
    answer = c.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": csrf(page.text)},
                    follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    return c


NON_ASCII_TOKEN = "unsubscribe.YQ.9999999999.\u00e9\u00e9"


@pytest.mark.parametrize("path", ["/unsubscribe", "/confirm", "/profile", "/feedback"])
def test_a_token_with_a_non_ascii_character_is_a_bad_link(site: Settings, path: str) -> None:
    answer = client(site).get(path, params={"token": NON_ASCII_TOKEN, "tender": "x"})
    assert answer.status_code == 400


def test_a_non_ascii_session_cookie_is_anonymous(site: Settings) -> None:
    cookie = f"{SESSION_COOKIE}=session.YW5uYQ.9999999999.\u00e9".encode()
    answer = client(site).get("/dashboard", headers={"cookie": cookie}, follow_redirects=False)
    assert answer.status_code == 303


def test_a_non_ascii_csrf_field_is_refused(site: Settings) -> None:
    c = client(site)
    c.get("/login")
    answer = c.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": "\u00e9"})
    assert answer.status_code == 403
    assert c.cookies.get(LOGIN_COOKIE)


@pytest.mark.parametrize("query", ["year=\u00b2", "days=\u00b2", "year=\u0663\u0660\u0662\u0666"])
def test_a_number_in_another_script_is_a_bad_request(site: Settings, query: str) -> None:
    c = logged_in(site)
    path = "/dashboard/county/SE312" if "days" in query else "/dashboard"
    assert c.get(f"{path}?{query}").status_code == 400
    assert c.get(f"/dashboard/county/SE312?{query}").status_code == 400


def webhook_site(site: Settings) -> tuple[Settings, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return replace(site, sendgrid_webhook_key=base64.b64encode(public).decode()), key


def signed(key: ec.EllipticCurvePrivateKey, body: str, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(clock.time()))
    signature = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize("body", ['{"event": "bounce"}', "[1, 2]", '["bounce"]', "[[]]", '"x"', "null"])
def test_a_signed_webhook_body_that_is_not_a_list_of_objects_is_a_bad_request(site: Settings, body: str) -> None:
    site, key = webhook_site(site)
    answer = client(site).post("/webhooks/sendgrid", content=body, headers=signed(key, body))
    assert answer.status_code == 400


@pytest.mark.parametrize("value", ["alerts@example.org\r\nBcc: victim@example.org", "a@example.org\n"])
def test_a_from_address_with_a_line_break_is_refused_at_load(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="TENDER_RADAR_FROM_EMAIL"):
        load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_FROM_EMAIL": value})


class Exploding:
    """A sender that fails in a way nobody planned for."""

    name = "exploding"

    def find(self, key: str) -> str | None:
        return None

    def send(self, message: Message) -> str:
        raise RuntimeError("unexpected")


def test_an_unexpected_exception_does_not_strand_a_digest_in_sending(site: Settings) -> None:
    store = open_store(site)
    tender = Tender(source="x", notice_id="1", title="Lokalvård i Falun", nuts=["SE312"])
    verdict = judge(tender)
    store.upsert([tender], {tender.id: verdict})
    item = Assessed(tender=tender, score=verdict.score, label=verdict.label, reasons=verdict.reasons,
                    content_hash=tender.content_hash())  # fmt: skip
    subs = [Subscriber(key=k, organisation=k, email=f"{k}@example.org", language="en") for k in ("a", "b")]
    for sub in subs:
        store.queue_digest(sub.key, sub.addresses, sub.language, [item], None)
    result = send_due(store, subs, Exploding(), site)
    assert result["held"] == 2 and result["failed"] == 0 and "unexpected" in result["errors"][0]
    assert sorted(d.status for d in store.digests()) == ["held", "held"]
    json.dumps(result)  # the run's report still goes out


BOUNCE = json.dumps([{"email": "info@gavle-stadkafe.example.org", "event": "bounce", "sg_event_id": "ev-1"}])


def test_a_signed_webhook_body_with_an_old_timestamp_is_refused(site: Settings) -> None:
    site, key = webhook_site(site)
    c = client(site)
    for moment in ("1000000000", str(int(clock.time()) - 600), str(int(clock.time()) + 600), "soon"):
        assert c.post("/webhooks/sendgrid", content=BOUNCE, headers=signed(key, BOUNCE, moment)).status_code == 403
    assert open_store(site).suppressed() == {}
    assert c.post("/webhooks/sendgrid", content=BOUNCE, headers=signed(key, BOUNCE)).status_code == 200


def test_a_replayed_webhook_event_is_taken_once(site: Settings) -> None:
    site, key = webhook_site(site)
    c = client(site)
    headers = signed(key, BOUNCE)
    first = c.post("/webhooks/sendgrid", content=BOUNCE, headers=headers).json()
    again = c.post("/webhooks/sendgrid", content=BOUNCE, headers=headers).json()
    assert first == {"received": 1, "suppressed": 1, "replayed": 0}
    assert again == {"received": 1, "suppressed": 0, "replayed": 1}


HUGE = 300 * 1024 * 1024


@pytest.mark.parametrize(
    ("path", "size"),
    [("/webhooks/sendgrid", 6 * 1024 * 1024), ("/unsubscribe?token=x", 100_000), ("/subscribe", 1024 * 1024)],
)
def test_a_body_over_the_route_s_limit_is_refused_with_413(site: Settings, path: str, size: int) -> None:
    site, _ = webhook_site(site)
    files = {"file": ("x.bin", b"a" * size, "application/octet-stream")}
    answer = (
        client(site).post(path, files=files) if path == "/subscribe" else client(site).post(path, content=b"a" * size)
    )
    assert answer.status_code == 413
    assert open_store(site).suppressed() == {}


class Body:
    """An ASGI receive that hands out a body in 64 KB chunks and counts what was taken."""

    HEAD = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'  # a valid multipart start

    def __init__(self, total: int) -> None:
        self.left, self.taken = total, 0

    async def __call__(self) -> dict[str, object]:
        chunk = min(self.left, 65536)
        start = self.HEAD if self.taken == 0 else b""
        self.left -= chunk
        self.taken += chunk
        return {"type": "http.request", "body": start + b"a" * (chunk - len(start)), "more_body": self.left > 0}


def asgi_post(site: Settings, path: str, body: Body, declared: int | None) -> int:
    import asyncio

    sent: list[dict[str, object]] = []
    headers = [(b"host", b"localhost"), (b"content-type", b"multipart/form-data; boundary=x")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("localhost", 80)}  # fmt: skip

    async def send(message: dict[str, object]) -> None:
        await asyncio.sleep(0)
        sent.append(message)

    asyncio.run(create_app(site)(scope, body, send))  # type: ignore[arg-type]
    status = sent[0]["status"]
    assert isinstance(status, int)
    return status


@pytest.mark.parametrize("path", ["/webhooks/sendgrid", "/unsubscribe", "/subscribe"])
def test_a_declared_huge_body_is_refused_without_reading_it(site: Settings, path: str) -> None:
    site, _ = webhook_site(site)
    body = Body(HUGE)
    assert asgi_post(site, path, body, HUGE) == 413
    assert body.taken == 0


@pytest.mark.parametrize("path", ["/webhooks/sendgrid", "/unsubscribe", "/subscribe"])
def test_an_undeclared_huge_body_is_cut_off_at_the_limit(site: Settings, path: str) -> None:
    site, _ = webhook_site(site)
    body = Body(HUGE)
    assert asgi_post(site, path, body, None) == 413
    assert body.taken <= 6 * 1024 * 1024
