"""The web app's guards that nothing else tests: the webhook without its key, the login brake's
quarter of an hour, and the session cookie's flags."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from radar.web.app import create_app
from radar.web.auth import FAILURE_WINDOW, FAILURES_ALLOWED, SESSION_COOKIE, hash_password
from tenders.config import Settings
from tenders.store import open_store

from .helpers.clock import MovingClock

PASSWORD = "dalarna-pass-123"  # invented for the test


def test_the_webhook_without_a_configured_key_answers_503_and_changes_nothing(settings: Settings) -> None:
    client = TestClient(create_app(replace(settings, sendgrid_webhook_key=None)))
    body = json.dumps([{"email": "info@example.org", "event": "bounce", "reason": "550 no such user"}])
    response = client.post("/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 503 and "not configured" in response.text
    assert open_store(settings).suppressed() == {}


def login(client: TestClient, password: str) -> int:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf
    answer = client.post("/login", data={"username": "anna", "password": password, "csrf": csrf.group(1)},
                         follow_redirects=False)  # fmt: skip
    return int(answer.status_code)


@pytest.fixture
def site(settings: Settings) -> TestClient:
    open_store(settings).save_coordinator("anna", hash_password(PASSWORD), ["SE312"])
    return TestClient(create_app(settings), base_url="http://localhost:8000")


def test_wrong_passwords_lock_the_name_for_a_quarter_of_an_hour(
    site: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert FAILURE_WINDOW == 15 * 60
    clock = MovingClock(monkeypatch)
    assert [login(site, "wrong-password-1") for _ in range(FAILURES_ALLOWED)] == [401] * FAILURES_ALLOWED
    assert login(site, PASSWORD) == 429  # even the right password is refused now
    clock.advance(minutes=14, seconds=50)
    assert login(site, PASSWORD) == 429  # still inside the quarter of an hour
    clock.advance(seconds=20)
    assert login(site, PASSWORD) == 303  # the quarter of an hour is over


def test_the_session_cookie_is_httponly_samesite_strict_and_expires(site: TestClient) -> None:
    page = site.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf
    answer = site.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": csrf.group(1)},
                       follow_redirects=False)  # fmt: skip
    [cookie] = [v for v in answer.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}=")]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= flags
    assert re.search(r"samesite=strict", cookie, re.IGNORECASE)
    assert re.search(r"max-age=28800", cookie, re.IGNORECASE)  # eight hours
