"""End to end with the real scheduler: `airflow standalone` on a temporary SQLite database.

A triggered collect run makes the Asset-scheduled classify and notify runs happen on their
own; a broken source fails only its own mapped task and the failure notifier fires; an
asset event posted through Airflow's REST API (a tender pushed from outside) triggers
classification without waiting for the next poll.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Generator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import PROJECT, outbox
from .helpers.airflow import Airflow, standalone_airflow

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]  # slow: end to end, in make test only


class Hook:
    """A generic alert webhook on loopback that remembers what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alert"


@pytest.fixture
def standalone(tmp_path: Path) -> Generator[tuple[Airflow, Path, Hook]]:
    hook = Hook()
    folder = tmp_path / "radar"
    folder.mkdir()
    (folder / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: ted-samples, kind: ted_files, path: {PROJECT / 'data/samples/ted'}}}\n"
        f"  - {{name: dalarna, kind: feed, path: {PROJECT / 'data/samples/feeds/dalarna.xml'}, nuts: [SE312]}}\n"
        f"  - {{name: moved-away, kind: ted_files, path: {tmp_path / 'no-such-folder'}}}\n"
    )
    extra = {"TENDER_RADAR_INCLUDE_EXPIRED": "1", "TENDER_RADAR_ALERT_WEBHOOK": hook.url}
    try:
        with standalone_airflow(tmp_path, folder, paused=False, env=extra) as airflow:
            yield airflow, folder, hook
    finally:
        hook.server.shutdown()


def first(runs: list[dict[str, Any]], run_type: str, state: str = "success") -> dict[str, Any] | None:
    return next((r for r in runs if r["run_type"] == run_type and r["state"] == state), None)


def test_a_scrape_triggers_classification_and_a_digest(standalone: tuple[Airflow, Path, Hook]) -> None:
    airflow, folder, hook = standalone
    # The DAGs are unpaused as they are parsed: the scheduler starts the hourly collect run itself.
    collect = airflow.wait("the collect run", lambda: first(airflow.runs("tender_radar_collect"), "scheduled"))
    classify = airflow.wait(
        "the asset-triggered classify run", lambda: first(airflow.runs("tender_radar_classify"), "asset_triggered")
    )
    airflow.wait(
        "the asset-triggered notify run", lambda: first(airflow.runs("tender_radar_notify"), "asset_triggered")
    )

    # The broken source failed its own mapped task; the other sources' tenders arrived.
    path = f"/api/v2/dags/tender_radar_collect/dagRuns/{collect['dag_run_id']}/taskInstances"
    states = {(t["task_id"], t["map_index"]): t["state"] for t in airflow.call("GET", path)["task_instances"]}
    assert sorted(s for (task, _), s in states.items() if task == "collect") == ["failed", "success", "success"]
    assert states["announce", -1] == "success"
    texts = outbox(folder / "var" / "outbox")
    assert sorted(texts) == [
        "kontakt@falu-aterbruk.example.org",
        "watch@nordic-wise.example.org",
    ]  # no Gävleborg source
    assert "Reserved participation (BT-71)" in texts["watch@nordic-wise.example.org"]
    assert "Lokalvård i Falu kommuns förskolor" in texts["kontakt@falu-aterbruk.example.org"]

    # The failure notifier fired for the broken source, through the webhook.
    alert = airflow.wait(
        "the failure alert", lambda: next((a for a in hook.received if "collect.collect failed" in a["subject"]), None)
    )
    assert "moved-away" in alert["text"] and "does not exist" in alert["text"]

    # Scheduler overhead: from the end of the task that emitted the asset event to the start
    # of the classify task it triggered.
    tasks = airflow.call("GET", path)["task_instances"]
    emitted = next(t["end_date"] for t in tasks if t["task_id"] == "announce")
    classify_path = f"/api/v2/dags/tender_radar_classify/dagRuns/{classify['dag_run_id']}/taskInstances"
    started = airflow.call("GET", classify_path)["task_instances"][0]["start_date"]
    overhead = (datetime.fromisoformat(started) - datetime.fromisoformat(emitted)).total_seconds()
    # The classify run was started by the asset event the collect DAG's announce task emitted.
    upstream = airflow.call(
        "GET", f"/api/v2/dags/tender_radar_classify/dagRuns/{classify['dag_run_id']}/upstreamAssetEvents"
    )
    assert [(e["source_dag_id"], e["source_task_id"]) for e in upstream["asset_events"]][:1] == [
        ("tender_radar_collect", "announce")
    ]
    assert datetime.fromisoformat(started) >= datetime.fromisoformat(emitted)
    artifacts = PROJECT / "test-artifacts"  # ignored by git; `make bench` reads the figure from here
    artifacts.mkdir(exist_ok=True)
    when = f"{datetime.now():%Y-%m-%d %H:%M}"
    (artifacts / "scheduler.json").write_text(json.dumps({"seconds": [overhead], "when": when}))

    # A tender pushed from outside: an asset event through the REST API triggers classification at once.
    assets = airflow.call("GET", "/api/v2/assets?uri_pattern=tenders://collected")["assets"]
    before = len(airflow.runs("tender_radar_classify"))
    airflow.call("POST", "/api/v2/assets/events", {"asset_id": assets[0]["id"], "extra": {"pushed_by": "coordinator"}})
    airflow.wait("a classify run from the pushed event", lambda: len(airflow.runs("tender_radar_classify")) > before)

    # The web app is mounted in Airflow's own api-server by the plugin: one site for operators and coordinators.

    with urllib.request.urlopen(f"{airflow.base}/tender-radar/login?lang=en", timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200 and 'action="/tender-radar/login?lang=en"' in page
    assert 'href="/tender-radar/static/app.css"' in page
