"""Source health: which source has gone quiet, and `tender-radar status` showing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from radar.health import freshness, parse_interval
from tenders.store import Store, UpsertResult, utcnow

from .conftest import PROJECT


def test_intervals() -> None:
    assert parse_interval("6h") == timedelta(hours=6)
    assert parse_interval("3d") == timedelta(days=3)
    with pytest.raises(ValueError, match="'soon' is not an interval"):
        parse_interval("soon")


def test_states(sqlite_store: Store) -> None:
    now = utcnow()
    week_ago = now - timedelta(days=8)
    hour_ago = now - timedelta(hours=1)
    sqlite_store.record_run("busy", hour_ago, UpsertResult(new=["a"]), [], finished_at=hour_ago)
    sqlite_store.record_run("quiet", week_ago, UpsertResult(new=["b"]), [], finished_at=week_ago)
    sqlite_store.record_run("quiet", hour_ago, UpsertResult(unchanged=5), [], finished_at=hour_ago)
    sqlite_store.record_run("broken", hour_ago, UpsertResult(), ["feed.xml: broken XML"], finished_at=hour_ago)
    declared = {
        "busy": timedelta(days=1),
        "quiet": timedelta(days=3),
        "broken": timedelta(days=1),
        "new": timedelta(days=1),
    }
    states = {f.source: f for f in freshness(declared, sqlite_store, now=now + timedelta(minutes=1))}
    assert states["busy"].state == "ok"
    assert states["quiet"].state == "stale" and "nothing new for 8.0 days" in states["quiet"].detail
    assert states["broken"].state == "failing" and "broken XML" in states["broken"].detail
    assert states["new"].state == "never"


def test_status_command_prints_health_and_exits_1_when_a_source_is_failing(tmp_path: Path) -> None:
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / "bad.xml").write_text("<not-closed>")
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: broken-one, kind: ted_files, path: {folder}}}\n"
        f"  - {{name: samples, kind: ted_files, path: {PROJECT / 'data/samples/ted'}}}\n"
    )
    env = {**os.environ, "TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SOURCES": str(tmp_path / "sources.yaml"),
           "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml")}  # fmt: skip
    cli = [sys.executable, "-m", "radar.cli"]
    subprocess.run([*cli, "run"], env=env, capture_output=True, text=True, check=False)
    status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=False)
    assert status.returncode == 1
    lines = status.stdout.splitlines()
    assert any(line.startswith("broken-one") and " failing " in line and "broken XML" in line for line in lines)
    assert any(line.startswith("samples") and " ok " in line and "6 new" in line for line in lines)
    assert "digests:" in status.stdout
    as_json = json.loads(subprocess.run([*cli, "status", "--json"], env=env, capture_output=True, text=True).stdout)
    assert {r["source"]: r["state"] for r in as_json["sources"]} == {"broken-one": "failing", "samples": "ok"}
    assert as_json["needs_a_person"] == ["source broken-one: failing"]
