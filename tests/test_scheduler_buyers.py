"""End to end with the real scheduler: a buyer publishes a reserved contract in Dalarna over the API,
the publish emits an Asset event through Airflow's REST API, and the instant Dalarna subscriber's
message is in the outbox without waiting for the hourly run.

The time from publish to the message, for several notices, is written to test-artifacts/publish.json;
`make bench` prints it (no timing is asserted here). The buyer's name and number are invented.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Generator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radar.buyers.notices import add_buyer
from radar.web.app import create_app
from tenders import clock
from tenders.config import load_settings
from tenders.store import open_store

from .conftest import PROJECT, outbox
from .helpers.airflow import Airflow, standalone_airflow

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]  # slow: end to end, in make test only
SUBSCRIBER = "kontakt@falu-aterbruk.example.org"  # subscribers.yaml: instant, Dalarna (SE312)
ROUNDS = 3


@pytest.fixture
def quiet_airflow(tmp_path: Path) -> Generator[tuple[Airflow, Path]]:
    """`airflow standalone` with the project's DAGs and no sources: only a buyer's publish makes work."""
    folder = tmp_path / "radar"
    folder.mkdir()
    (folder / "sources.yaml").write_text("sources: []\n")
    # paused as parsed: no hourly runs racing the api-server's start
    with standalone_airflow(tmp_path, folder, paused=True) as airflow:
        assets = "/api/v2/assets?uri_pattern=tenders://collected"
        airflow.wait("the DAGs' assets", lambda: airflow.call("GET", assets)["assets"])
        for dag_id in ("tender_radar_classify", "tender_radar_notify"):  # collect stays paused: no sources
            airflow.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        # Unpaused, the notify DAG may start the run of its last hourly slot: let it finish first.
        time.sleep(20)
        airflow.wait("no notify run still going", lambda: all(
            r["state"] in ("success", "failed") for r in airflow.runs("tender_radar_notify")))  # fmt: skip
        yield airflow, folder


def test_a_published_reserved_contract_reaches_the_instant_subscriber_through_airflow(
    quiet_airflow: tuple[Airflow, Path],
) -> None:
    airflow, folder = quiet_airflow
    settings = load_settings({"TENDER_RADAR_HOME": str(folder), "TENDER_RADAR_SOURCES": str(folder / "sources.yaml"),
                              "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
                              "TENDER_RADAR_AIRFLOW_URL": airflow.base})  # fmt: skip
    token = add_buyer(open_store(settings), "Dala Inköp (invented)", "999999-9999", ["Dalarna"]).token
    api = TestClient(create_app(settings))
    deadline = (clock.today() + timedelta(days=30)).isoformat()
    seconds = []
    for round_ in range(ROUNDS):
        title = f"Lokalvård i badhuset, omgång {round_ + 1} (invented)"
        triggered = sum(r["run_type"] == "asset_triggered" for r in airflow.runs("tender_radar_notify"))
        started = time.monotonic()
        answer = api.post("/api/v1/notices", headers={"Authorization": f"Bearer {token}"},
                          json={"title": title, "status": "open", "deadline": deadline, "cpv_main": "90910000",
                                "nuts": ["SE312"], "reserved_participation": ["res-ws"]})  # fmt: skip
        assert answer.status_code == 201, answer.text
        while title not in outbox(folder / "var" / "outbox").get(SUBSCRIBER, ""):  # a fine poll: this is timed
            assert time.monotonic() - started < 240, f"no message for round {round_ + 1} after 4 minutes"
            time.sleep(0.2)
        seconds.append(time.monotonic() - started)
        airflow.wait("the asset-triggered notify run", lambda triggered=triggered: sum(
            r["run_type"] == "asset_triggered" for r in airflow.runs("tender_radar_notify")) > triggered)  # fmt: skip
        assert not any(
            r["run_type"] == "scheduled" and r["state"] not in ("success", "failed")
            for r in airflow.runs("tender_radar_notify")
        )  # the event brought it, not the hour
    artifacts = PROJECT / "test-artifacts"  # tests write only under tmp or here, never into var/
    artifacts.mkdir(exist_ok=True)
    (artifacts / "publish.json").write_text(json.dumps({"seconds": seconds, "when": f"{datetime.now():%Y-%m-%d %H:%M}",
                                                    "median": statistics.median(seconds)}))  # fmt: skip
