"""`tender-radar status` tells an operator what needs a person: digests sending, unsure, held and
unknown, runs that started and never ended, and blocked or failing sources; it exits 1 then."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from radar.cli import main
from radar.judging import judge
from tenders.config import load_settings
from tenders.model import Tender
from tenders.store import DigestRow, Store, open_store, utcnow

from .helpers.cli import PROJECT, cli, home_env


def _store(home: Path) -> Store:
    return open_store(load_settings(home_env(home)))


def _digests(store: Store, states: list[str]) -> None:
    for n, state in enumerate(states):
        t = Tender(source="x", notice_id=str(n), title="Lokalvård", nuts=["SE312"])
        store.upsert([t], {t.id: judge(t)})
        digest_id = store.queue_digest(f"s{n}", f"s{n}@example.org", "sv", list(store.assessed_by_ids([t.id])))
        long_ago = utcnow() - timedelta(hours=2)
        with store.engine.begin() as connection:
            connection.execute(
                update(DigestRow).where(DigestRow.id == digest_id).values(status=state, attempted_at=long_ago)
            )


def test_status_shows_every_digest_state_that_needs_a_person_and_exits_1(tmp_path: Path) -> None:
    _digests(_store(tmp_path), ["sent", "sending", "unsure", "held", "unknown"])
    shown = cli("status", env=home_env(tmp_path))
    assert shown.returncode == 1, shown.stderr
    assert "1 sending (1 stuck: their run died" in shown.stdout and "1 unsure" in shown.stdout
    assert "1 held" in shown.stdout and "1 unknown" in shown.stdout
    assert "needs a person" in shown.stdout and "1 digest(s) stuck sending" in shown.stdout
    as_json = json.loads(cli("status", "--json", env=home_env(tmp_path)).stdout)
    assert {k: as_json["digests"][k] for k in ("sent", "sending", "stuck_sending", "unsure", "held", "unknown")} == {
        "sent": 1, "sending": 1, "stuck_sending": 1, "unsure": 1, "held": 1, "unknown": 1
    }  # fmt: skip
    assert len(as_json["needs_a_person"]) == 4


@pytest.mark.parametrize("state", ["held", "unsure"])
def test_one_held_or_unsure_digest_alone_makes_status_exit_1(tmp_path: Path, state: str) -> None:
    _digests(_store(tmp_path), ["sent", state])
    shown = cli("status", "--json", env=home_env(tmp_path))
    assert shown.returncode == 1 and json.loads(shown.stdout)["needs_a_person"] == [f"1 digest(s) {state}"]


def test_nothing_to_do_is_exit_0_with_an_empty_list(tmp_path: Path) -> None:
    _digests(_store(tmp_path), ["sent"])
    (tmp_path / "sources.yaml").write_text("sources: []\n")
    env = home_env(tmp_path, TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml"))
    shown = cli("status", "--json", env=env)
    assert shown.returncode == 0, shown.stdout
    assert json.loads(shown.stdout)["needs_a_person"] == [] and json.loads(shown.stdout)["runs"] == []


def test_run_prints_held_digests_as_held_not_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary: dict[str, Any] = {
        "collected": [], "classified": {"classified": 0}, "queued": {"digests_queued": 2, "tenders_matched": 2},
        "delivered": {"sent": 0, "failed": 1, "held": 1, "errors": [], "sender": "sendgrid"}, "outbox": None,
    }  # fmt: skip
    monkeypatch.setattr("radar.pipeline.run_once", lambda: summary)
    main(["run"])
    out = capsys.readouterr().out
    assert "sent 0 via sendgrid, failed 1, 1 held" in out


# -- runs that never ended, and their workers ---------------------------------------------------

SLOW_RUN = """
import sys, time
from scrapers.sources import registry
from scrapers.sources.files import NoticeFiles

class Slow(NoticeFiles):  # a source whose every notice takes a second to parse, on the workers
    kind = "slow_files"
    def parse(self, document):
        time.sleep(1)
        return super().parse(document)

registry.KINDS["slow_files"] = Slow
from radar.cli import main
sys.exit(main(["run"]))
"""


def _slow_run(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int], dict[str, str]]:
    """A `tender-radar run` on 64 slow notices with 2 workers, once both workers are busy."""
    folder = tmp_path / "notices"
    folder.mkdir()
    sample = (PROJECT / "data/samples/ted/ted-real_legacy_20-155018-001-EXP.xml").read_bytes()
    for n in range(64):
        (folder / f"n{n:02}.xml").write_bytes(sample)
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - {{name: slow, kind: slow_files, path: '{folder}'}}\n")
    env = home_env(tmp_path, TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml"), TENDER_RADAR_WORKERS="2")
    with (tmp_path / "run.err").open("w") as err:  # a file, not a pipe: an orphan would hold a pipe open
        run = subprocess.Popen([sys.executable, "-c", SLOW_RUN], cwd=PROJECT, env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        workers = _children(run.pid)
    assert len(workers) == 2, (run.poll(), workers)
    time.sleep(1)  # both are parsing now
    (tmp_path / "status-sources.yaml").write_text("sources: []\n")  # what status reads: no slow kind there
    return run, workers, {**env, "TENDER_RADAR_SOURCES": str(tmp_path / "status-sources.yaml")}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pids: list[int], within: float) -> list[int]:
    """The processes of ``pids`` still there (zombies count as gone) after at most ``within`` seconds;
    those are killed then, so that a failing test leaves no orphan behind either."""
    deadline = time.monotonic() + within
    while True:
        left = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                left.append(pid)
        if not left or time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            return left
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_a_run_killed_by_sigkill_takes_its_workers_along_and_status_shows_it_never_ended(tmp_path: Path) -> None:
    run, workers, env = _slow_run(tmp_path)
    assert all(os.getpgid(w) == os.getpgid(run.pid) for w in workers)  # one process group
    run.kill()
    run.wait()
    assert _alive(workers, within=3) == []  # no orphan under PID 1
    shown = cli("status", "--json", env=env)
    assert shown.returncode == 1
    (open_run,) = json.loads(shown.stdout)["runs"]
    assert open_run["state"] == "never ended" and open_run["pid"] == run.pid
    assert f"run {open_run['id']} started" in json.loads(shown.stdout)["needs_a_person"][0]
    closed = cli("status", "--close-runs", env=env)
    assert "closed 1 run(s) that never ended" in closed.stdout
    assert json.loads(cli("status", "--json", env=env).stdout)["runs"] == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table in /proc")
def test_a_run_stopped_by_sigterm_stops_its_workers_and_says_so_in_one_line(tmp_path: Path) -> None:
    run, workers, env = _slow_run(tmp_path)
    started = time.monotonic()
    run.terminate()
    run.wait(timeout=30)
    took = time.monotonic() - started
    err = (tmp_path / "run.err").read_text()
    assert run.returncode == 143 and err.strip().splitlines() == ["tender-radar: stopped by SIGTERM"], err
    assert took < 5 and _alive(workers, within=3) == []
    assert json.loads(cli("status", "--json", env=env).stdout)["runs"] == []  # it ended, and said how
