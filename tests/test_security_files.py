"""What an operator's machine keeps and logs gives nothing away (issue 13, item 13)."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from notifications.alerts import send_alert
from notifications.senders.base import Message
from notifications.senders.outbox import OutboxSender
from radar.web.app import create_app
from radar.web.auth import hash_password
from tenders.config import Settings, load_settings
from tenders.store import open_store

SLACK_LIKE = "http://127.0.0.1:9/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"  # invented, port 9 is closed


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_its_wal_and_the_outbox_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path)})
    store = open_store(settings)
    store.save_coordinator("anna", hash_password("dalarna-pass-123"), ["SE312"])
    OutboxSender(settings.outbox_dir).send(
        Message(
            key="d-1",
            to="a@example.org",
            subject="s",
            html="<p>h</p>",
            text="h",
            from_email="f@example.org",
            from_name="Radar",
        )
    )
    var = tmp_path / "var"
    files = [p for p in var.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"tender-radar.sqlite", "tender-radar.sqlite-wal", "d-1.eml"}
    assert {p.name: oct(mode(p)) for p in files if mode(p) & 0o077} == {}
    assert {p.name: oct(mode(p)) for p in [var, *var.rglob("*")] if p.is_dir() and mode(p) & 0o077} == {}


def test_an_existing_world_readable_database_is_closed_on_open(tmp_path: Path) -> None:
    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path)})
    open_store(settings)
    db = tmp_path / "var" / "tender-radar.sqlite"
    db.chmod(0o644)
    open_store(settings)
    assert mode(db) == 0o600


def test_the_alert_webhook_url_is_not_logged_in_full(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = replace(load_settings({"TENDER_RADAR_HOME": str(tmp_path)}), alert_webhook=SLACK_LIKE)
    with caplog.at_level(logging.INFO):
        delivered = send_alert("test", "a source is failing", settings)
    assert "XXXXXXXX" not in caplog.text and "B00000000" not in caplog.text
    assert "127.0.0.1" in caplog.text  # the host is still named, for the operator
    assert not any("XXXXXXXX" in d for d in delivered)


def test_the_access_log_leaves_out_query_strings(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    create_app(settings)
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # the record exactly as uvicorn's httptools/h11 protocols write it
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/unsubscribe?token=unsubscribe.c2VjcmV0.1.x",
                    "1.1", 200)  # fmt: skip
    assert "/unsubscribe" in caplog.text and "token" not in caplog.text and "c2VjcmV0" not in caplog.text


@pytest.mark.parametrize(
    "path", ["/unsubscribe?token=x", "/confirm?token=x", "/subscribe", "/login", "/static/app.css"]
)
def test_every_page_forbids_framing_and_the_link_pages_have_a_policy(settings: Settings, path: str) -> None:
    answer = TestClient(create_app(settings)).get(path)
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src" in policy
    assert answer.headers.get("x-content-type-options") == "nosniff"
