"""Sign-ups from strangers: real addresses only, and no flood of confirmations (issue 13, item 10)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matching.subscriptions import SubscriberError, parse_subscriber
from radar.subscribers import subscribe
from radar.web.app import create_app
from tenders.config import Settings
from tenders.store import open_store

from .helpers.dashboard_site import csrf

PROFILE = {"organisation": "Orsa Grönt Arbete", "regions": ["SE312"], "frequency": "daily", "language": "en"}


@pytest.fixture
def radar(settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "nobody.yaml").write_text("subscribers: []\n")
    return replace(settings, secret="s3cret", subscribers_file=tmp_path / "nobody.yaml")


@pytest.mark.parametrize(
    "address", ["<x>@e.org", "x@[127.0.0.1].se", "info\u202e@example.org", "a@example.org\u200f", "x@localhost"]
)
def test_an_address_a_mail_system_would_read_otherwise_is_refused(address: str) -> None:
    with pytest.raises(SubscriberError, match="not an email address"):
        parse_subscriber({**PROFILE, "email": address}, "sign-up")


def sign_up(c: TestClient, address: str) -> int:
    form = c.get("/subscribe?lang=en")
    data = {**PROFILE, "regions": "Dalarna", "csrf": csrf(form.text), "email": address}
    status: int = c.post("/subscribe?lang=en", data=data).status_code
    return status


def test_a_hostile_address_is_refused_on_the_page_and_nothing_is_sent(radar: Settings) -> None:
    c = TestClient(create_app(radar), base_url="http://localhost:8000")
    assert sign_up(c, "<x>@e.org") == 400
    assert not list(radar.outbox_dir.glob("*.eml"))


def test_twenty_sign_ups_for_one_address_send_at_most_three_confirmations(radar: Settings) -> None:
    store = open_store(radar)
    for _ in range(20):
        subscribe(radar, store, {**PROFILE, "email": "info@orsa-gront.example.org"})
    assert len(list(radar.outbox_dir.glob("*.eml"))) == 3


def test_one_client_cannot_sign_up_address_after_address(radar: Settings) -> None:
    c = TestClient(create_app(radar), base_url="http://localhost:8000")
    answers = [sign_up(c, f"info{i}@orsa-gront.example.org") for i in range(12)]
    assert answers[:10] == [200] * 10 and answers[10:] == [429, 429]
    assert len(list(radar.outbox_dir.glob("*.eml"))) == 10
