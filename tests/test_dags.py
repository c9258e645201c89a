"""The Airflow DAGs: they load cleanly, do no I/O at import, and run scrape → classify → notify."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT, outbox
from .helpers.airflow import airflow_env, python

DAGS = ("tender_radar_collect", "tender_radar_classify", "tender_radar_notify")
ALL_DAGS = (*DAGS, "tender_radar_health", "tender_radar_report", "tender_radar_statistics")


INTEGRITY = """
import json, socket
import sqlalchemy

def refuse(*a, **k):
    raise AssertionError("I/O at DAG import time")

socket.socket.connect = refuse
real_create_engine = sqlalchemy.create_engine
from airflow.dag_processing.dagbag import DagBag
import tenders.store.engine
tenders.store.engine.create_engine = refuse
bag = DagBag(dag_folder="dags")
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tags": sorted(dag.tags), "doc": bool(dag.doc_md), "owner": dag.owner,
        "retries": [t.retries for t in dag.tasks], "timeouts": [bool(t.execution_timeout) for t in dag.tasks],
    }
print(json.dumps(out))
"""


def test_dagbag_loads_without_errors_or_io_and_every_dag_is_documented(tmp_path: Path) -> None:
    result = python(INTEGRITY, airflow_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    assert sorted(out["dags"]) == sorted(ALL_DAGS)
    for dag_id, info in out["dags"].items():
        assert "tender-radar" in info["tags"], dag_id
        assert info["doc"] and info["owner"] == "tender-radar", dag_id
        assert all(info["timeouts"]), dag_id
        assert any(r > 0 for r in info["retries"]), dag_id


def test_ruff_airflow_rules_are_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is a dev dependency"
    result = subprocess.run([ruff, "check", "--select", "AIR", "--preview", "dags"], cwd=PROJECT,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout


END_TO_END = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="dags")
states = {{}}
for dag_id in {DAGS!r}:
    run = bag.dags[dag_id].test()
    states[dag_id] = str(run.state)
print(json.dumps(states))
"""


@pytest.mark.timeout(600)
def test_scrape_classify_notify_with_dag_test_puts_digests_in_the_outbox(tmp_path: Path) -> None:
    env = airflow_env(tmp_path)
    migrate = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, cwd=PROJECT,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    result = python(END_TO_END, env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    states = json.loads(result.stdout.strip().splitlines()[-1])
    assert states == {dag_id: "success" for dag_id in DAGS}
    texts = outbox(tmp_path / "radar" / "var" / "outbox")
    assert sorted(texts) == ["kontakt@falu-aterbruk.example.org", "watch@nordic-wise.example.org"]  # instant ones
    assert any("Reserved participation (BT-71)" in t and "EPS Paul Guiraud" in t for t in texts.values())


def test_a_run_without_a_logical_date_takes_its_year_from_the_project_clock() -> None:
    """Airflow 3's manual runs have no logical date: the statistics and the October report then
    ask the project clock, which ``make test-future`` moves a year ahead (the wall clock does not)."""
    from datetime import datetime

    from radar.pipeline import previous_year
    from tenders import clock

    assert previous_year(datetime(2030, 5, 1)) == 2029
    assert previous_year(None) == clock.today().year - 1
