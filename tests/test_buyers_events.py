"""A buyer's publish tells Airflow at once (an Asset event through the REST API, with a service
account), and a missing or broken Airflow never costs the buyer the notice.

Organisations and numbers here are invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer
from radar.web.app import create_app
from tenders import clock
from tenders.config import load_settings
from tenders.store import open_store

from .fakes.airflow import FakeAirflow, airflow

SOON = (clock.today() + timedelta(days=30)).isoformat()
NOTICE = {"title": "Lokalvård (reserverad, invented)", "status": "open", "nuts": ["SE312"], "deadline": SOON,
          "reserved_participation": ["res-ws"]}  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with airflow() as running:
        yield running


def client(tmp_path: Path, **env: str) -> tuple[TestClient, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "events-" + "e" * 20, **env})
    token = add_buyer(open_store(settings), "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).token
    return TestClient(create_app(settings)), token


def test_publish_edit_and_withdraw_each_emit_an_asset_event(tmp_path: Path, fake: FakeAirflow) -> None:
    c, token = client(tmp_path, TENDER_RADAR_AIRFLOW_URL=fake.url, TENDER_RADAR_AIRFLOW_USER=fake.user,
                      TENDER_RADAR_AIRFLOW_PASSWORD=fake.password)  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}
    ident = c.post("/api/v1/notices", json=NOTICE, headers=auth).json()["id"]
    assert fake.events == [{"asset_id": 7, "extra": {"source": "buyer", "tender_id": ident, "action": "publish"}}]
    fake.expire()  # the service account's token runs out: a new one is fetched
    c.put(f"/api/v1/notices/{ident}", json={**NOTICE, "title": "Lokalvård och fönsterputs (invented)"}, headers=auth)
    c.put(f"/api/v1/notices/{ident}", json={**NOTICE, "title": "Lokalvård och fönsterputs (invented)"}, headers=auth)
    c.delete(f"/api/v1/notices/{ident}", headers=auth)
    assert [e["extra"]["action"] for e in fake.events] == ["publish", "edit", "withdraw"]  # the same edit twice: once
    assert fake.issued == 2


def test_without_airflow_or_with_a_wrong_password_the_notice_is_still_published(
    tmp_path: Path, fake: FakeAirflow
) -> None:
    c, token = client(tmp_path / "a", TENDER_RADAR_AIRFLOW_URL=fake.url, TENDER_RADAR_AIRFLOW_USER=fake.user,
                      TENDER_RADAR_AIRFLOW_PASSWORD="wrong-password")  # fmt: skip
    answer = c.post("/api/v1/notices", json=NOTICE, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201 and fake.events == []
    closed, token = client(tmp_path / "b", TENDER_RADAR_AIRFLOW_URL="http://127.0.0.1:9")  # nothing listens there
    answer = closed.post("/api/v1/notices", json=NOTICE, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201


def test_the_airflow_password_in_its_url_is_not_logged(
    tmp_path: Path, fake: FakeAirflow, caplog: pytest.LogCaptureFixture
) -> None:
    with_password = fake.url.replace("http://", "http://svc:S3cret-invented@")
    c, token = client(tmp_path, TENDER_RADAR_AIRFLOW_URL=with_password, TENDER_RADAR_AIRFLOW_USER=fake.user,
                      TENDER_RADAR_AIRFLOW_PASSWORD="wrong-password")  # fmt: skip
    with caplog.at_level("WARNING", logger="tender_radar"):
        answer = c.post("/api/v1/notices", json=NOTICE, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201
    (warning,) = [r.getMessage() for r in caplog.records if "could not tell Airflow" in r.getMessage()]
    assert "S3cret" not in caplog.text and "svc" not in warning
    assert fake.url.replace("http://", "http://…@") in warning  # still says which Airflow
