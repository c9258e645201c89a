"""A subscriber subscribes, confirms, receives a digest, unsubscribes in one click, and never gets a duplicate;
their data can be exported and erased."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matching.subscriptions import SubscriberError
from notifications.senders.configured import for_settings
from radar.pipeline import run_once
from radar.subscribers import active_subscribers, subscribe
from radar.web.app import create_app
from tenders.config import Settings
from tenders.store import address_hash, open_store

from .conftest import PROJECT, outbox

PROFILE = {
    "email": "ny@kooperativ.example.org",
    "organisation": "Mora Städ & Trädgård",
    "org_number": "556036-0793",
    "regions": ["SE312"],
    "sectors": ["cleaning", "grounds"],
    "frequency": "instant",
    "language": "sv",
}


@pytest.fixture
def radar(settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "nobody.yaml").write_text("subscribers: []\n")
    return replace(
        settings, secret="s3cret", base_url="https://radar.example.org", subscribers_file=tmp_path / "nobody.yaml"
    )


def link_in(settings: Settings, to: str, path: str) -> str:
    text = outbox(settings.outbox_dir)[to]
    line = next(word for word in text.split() if word.startswith(f"https://radar.example.org{path}"))
    return line.removeprefix("https://radar.example.org")


def test_subscribe_confirm_receive_unsubscribe_never_twice(radar: Settings) -> None:
    store = open_store(radar)
    subscribe(radar, store, PROFILE)
    assert active_subscribers(radar, store) == []  # nothing is sent before the confirmation
    assert "Klicka på länken för att börja få upphandlingar" in outbox(radar.outbox_dir)["ny@kooperativ.example.org"]
    run_once(radar)
    assert len(list(radar.outbox_dir.glob("*.eml"))) == 1  # still only the confirmation

    client = TestClient(create_app(radar))
    confirm = link_in(radar, "ny@kooperativ.example.org", "/confirm")
    assert "Bekräfta prenumerationen" in client.get(confirm).text
    assert store.signed_up()[0].status == "pending"  # opening the link confirms nothing
    assert "bekräftad" in client.post(confirm).text
    row = store.signed_up()[0]
    assert row.status == "active" and row.confirmed_at is not None and row.confirmed_ip == "testclient"

    run_once(radar)  # the reserved cleaning contract in Falun goes out at once (instant)
    texts = outbox(radar.outbox_dir)["ny@kooperativ.example.org"]
    assert "Lokalvård i Falu kommuns förskolor" in texts
    run_once(radar)
    assert texts.count("Lokalvård i Falu kommuns förskolor") == outbox(radar.outbox_dir)[
        "ny@kooperativ.example.org"
    ].count("Lokalvård i Falu kommuns förskolor")  # nothing twice

    unsubscribe = link_in(radar, "ny@kooperativ.example.org", "/unsubscribe")
    assert client.post(unsubscribe, content="List-Unsubscribe=One-Click").status_code == 200
    assert store.signed_up()[0].status == "unsubscribed" and active_subscribers(radar, store) == []


def test_export_and_erase(radar: Settings) -> None:
    store = open_store(radar)
    subscribe(radar, store, PROFILE)
    key = store.signed_up()[0].key
    store.confirm(key, "192.0.2.7")
    run_once(radar)
    env = {"TENDER_RADAR_HOME": str(radar.home), "TENDER_RADAR_SUBSCRIBERS": str(radar.subscribers_file),
           "TENDER_RADAR_SOURCES": str(radar.sources_file), "PATH": "/usr/bin:/bin"}  # fmt: skip
    cli = [sys.executable, "-m", "radar.cli", "subscribers"]
    exported = json.loads(
        subprocess.run([*cli, "--export", key], env=env, capture_output=True, text=True, cwd=PROJECT).stdout
    )
    assert (
        exported["sign_up"]["confirmed_ip"] == "192.0.2.7"
        and exported["sign_up"]["profile"]["org_number"] == "556036-0793"
    )
    assert exported["tenders_sent"] and exported["digests"][0]["status"] == "sent"

    erased = subprocess.run([*cli, "--erase", key], env=env, capture_output=True, text=True, cwd=PROJECT)
    assert "erased" in erased.stdout
    after = store.subscriber_data(key)
    assert after["sign_up"] is None and after["digests"] == [] and after["tenders_sent"] == []
    assert store.suppressed() == {address_hash("ny@kooperativ.example.org"): "erased"}  # no address kept in clear
    assert store.is_suppressed("NY@kooperativ.example.org") == "erased"


def test_a_wrong_sign_up_is_refused_with_a_reason(radar: Settings) -> None:
    with pytest.raises(SubscriberError, match="unknown sector"):
        subscribe(radar, open_store(radar), {**PROFILE, "sectors": ["rocket science"]})
    with pytest.raises(SubscriberError, match="not a valid Swedish organisation number"):
        subscribe(radar, open_store(radar), {**PROFILE, "org_number": "123456-7890"})
    assert open_store(radar).signed_up() == []
    assert not list(radar.outbox_dir.glob("*.eml"))


def test_the_daily_digest_through_sendgrid_end_to_end(radar: Settings) -> None:
    from datetime import timedelta

    from radar.delivery import send_due
    from tenders.store import utcnow
    from tests.fakes.sendgrid import API_KEY, fake_sendgrid

    with fake_sendgrid() as fake:
        radar = replace(radar, sender="sendgrid", sendgrid_api_key=API_KEY, sendgrid_host=fake.url)
        store = open_store(radar)
        subscribe(radar, store, {**PROFILE, "frequency": "daily", "contacts": ["kollega@kooperativ.example.org"]})
        confirmation = fake.requests[-1]["content"][0]["value"]
        confirm = next(w for w in confirmation.split() if "/confirm?token=" in w).removeprefix(
            "https://radar.example.org"
        )
        client = TestClient(create_app(radar))
        client.post(confirm)

        run_once(radar)  # matched, but a daily digest waits for 07:00 Stockholm time
        assert len(fake.requests) == 1
        subs = active_subscribers(radar, store)
        tomorrow = utcnow() + timedelta(days=1, hours=1)
        assert send_due(store, subs, for_settings(radar), radar, now=tomorrow)["sent"] == 1
        digest = fake.requests[-1]
        assert [t["email"] for t in digest["personalizations"][0]["to"]] == [
            "ny@kooperativ.example.org", "kollega@kooperativ.example.org"]  # fmt: skip
        assert "Lokalvård i Falu kommuns förskolor" in digest["content"][0]["value"]
        assert digest["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert send_due(store, subs, for_settings(radar), radar, now=tomorrow)["sent"] == 0  # never twice

        unsubscribe = digest["headers"]["List-Unsubscribe"].strip("<>").removeprefix("https://radar.example.org")
        assert client.post(unsubscribe, content="List-Unsubscribe=One-Click").status_code == 200
        run_once(radar)
        assert send_due(store, active_subscribers(radar, store), for_settings(radar), radar,
                        now=tomorrow + timedelta(days=1))["sent"] == 0  # fmt: skip
        assert fake.invalid == [] and all(len(ids) == 1 for ids in fake.accepted.values())
