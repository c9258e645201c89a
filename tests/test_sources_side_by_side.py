"""One bad source delays nothing else (issue 26, item 5): the sources of a run are read side by side,
each within its own total deadline. A feed whose server accepts and never answers used to cost its
run 4 tries of 30 s (127 s) while the good feed after it waited; an IMAP server that never answers
held the run for its socket timeout. Each hang here is a real server on loopback that accepts the
connection and sends not one byte."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from radar.health import freshness
from radar.pipeline import collect, open_store, run_once
from scrapers.errors import SourceError
from tenders.config import load_settings
from tenders.store import new_schema

from .conftest import PROJECT
from .fakes.silent import silent_server
from .fakes.web import fake_site
from .helpers.cli import home_env

FEED = (PROJECT / "data/samples/feeds/gavleborg.xml").read_bytes()  # two invented tenders
ATOM = "application/atom+xml"
DEADLINE = 3  # seconds: the hanging source's own deadline in these tests


def write_sources(home: Path, *entries: dict[str, Any]) -> None:
    (home / "sources.yaml").write_text("sources:\n" + "".join(f"  - {json.dumps(e)}\n" for e in entries))
    (home / "subscribers.yaml").write_text("subscribers: []\n")


def feed(name: str, url: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "kind": "feed", "url": url, "min_interval": 0, "allow_private": True, **options}


def test_a_feed_that_never_answers_holds_up_neither_the_good_feed_nor_the_run(tmp_path: Path) -> None:
    with silent_server() as silent, fake_site({"/feed": (ATOM, FEED)}) as good:
        write_sources(
            tmp_path,
            feed("silent", f"http://127.0.0.1:{silent.port}/feed", source_deadline=DEADLINE),  # 30 s reads, 4 tries
            feed("good", f"{good.url}/feed"),
        )
        settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_WORKERS": "1"})
        started = time.monotonic()
        summary = run_once(settings)
        took = time.monotonic() - started
        assert silent.accepted >= 1  # it was asked, and it held the connection
    assert took < DEADLINE + 10, f"the run took {took:.1f} s with a {DEADLINE} s deadline on the silent feed"
    by_name = {c["source"]: c for c in summary["collected"]}
    assert (by_name["good"]["new"], by_name["good"]["errors"]) == (2, [])
    (error,) = by_name["silent"]["errors"]
    assert "'silent'" in error and f"deadline of {DEADLINE} s" in error and "source_deadline" in error
    week = timedelta(days=7)
    states = {f.source: f.state for f in freshness({"silent": week, "good": week}, open_store(settings))}
    assert states["silent"] == "failing"  # out of time: not "blocked" (nothing refused us)


def test_a_silent_server_is_asked_once_a_run_with_the_default_settings(tmp_path: Path) -> None:
    """No source_deadline: the old client asked a silent server 4 times, 30 s each (127 s); now one
    10 s wait, and the source fails for this run, retryably and not as "blocked"."""
    with silent_server() as silent, fake_site({"/feed": (ATOM, FEED)}) as good:
        quiet = feed("silent", f"http://127.0.0.1:{silent.port}/feed")
        write_sources(tmp_path, quiet, feed("good", f"{good.url}/feed"))
        settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_WORKERS": "1"})
        started = time.monotonic()
        summary = run_once(settings)
        took = time.monotonic() - started
        assert silent.accepted == 1  # asked once (its robots.txt), not again after a backoff
    assert took < 10 + 10, f"the run took {took:.1f} s"
    by_name = {c["source"]: c for c in summary["collected"]}
    assert by_name["good"]["new"] == 2
    (error,) = by_name["silent"]["errors"]
    assert "no answer within 10 s" in error and "next run" in error and "blocked" not in error


def test_retries_stop_at_the_source_deadline_instead_of_sleeping_past_it(tmp_path: Path) -> None:
    """503 with Retry-After: 5, three times: the old loop slept 15 s and read the feed on its 4th try."""
    with fake_site({"/feed": (ATOM, FEED)}, failures={"/feed": [503, 503, 503]}, retry_after="5") as site:
        write_sources(tmp_path, feed("busy", f"{site.url}/feed", source_deadline=DEADLINE))
        settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_WORKERS": "1"})
        started = time.monotonic()
        with pytest.raises(SourceError, match=f"deadline of {DEADLINE} s") as caught:
            collect("busy", open_store(settings), settings)
        assert time.monotonic() - started < DEADLINE
        assert site.hits("/feed") == 1 and caught.value.retryable and not caught.value.blocked


def test_a_source_past_its_deadline_outside_http_is_abandoned_and_the_run_ends(tmp_path: Path) -> None:
    """An IMAP server that accepts and never greets, the socket's own timeout 10 minutes: the run
    gives the mailbox up at its deadline (plus a few seconds' grace), stores the good feed and exits."""
    with silent_server() as silent, fake_site({"/feed": (ATOM, FEED)}) as good:
        mailbox = {"name": "alerts", "kind": "mailbox", "host": "127.0.0.1", "port": silent.port, "security": "none",
                   "allow_private": True, "senders": ["@example.org"], "timeout": 600,
                   "source_deadline": DEADLINE}  # fmt: skip
        write_sources(tmp_path, mailbox, feed("good", f"{good.url}/feed"))
        env = home_env(tmp_path, TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml"),
                       TENDER_RADAR_SUBSCRIBERS=str(tmp_path / "subscribers.yaml"), TENDER_RADAR_WORKERS="1",
                       TENDER_RADAR_MAILBOX_USER="radar", TENDER_RADAR_MAILBOX_PASSWORD="secret")  # fmt: skip
        started = time.monotonic()
        try:
            run = subprocess.run([sys.executable, "-m", "radar.cli", "run", "--json"], cwd=PROJECT, env=env,
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail("the run was still going after 60 s: the silent mailbox held it")
        took = time.monotonic() - started
    assert took < DEADLINE + 5 + 15, f"{took:.1f} s"  # deadline, grace, and the interpreter's start
    summary = json.loads(run.stdout)
    by_name = {c["source"]: c for c in summary["collected"]}
    assert by_name["good"]["new"] == 2
    (error,) = by_name["alerts"]["errors"]
    assert f"'alerts': not done within its deadline of {DEADLINE} s" in error and "abandoned" in error
    states = {f.source: f.state for f in freshness({"alerts": timedelta(days=7)}, open_store(load_settings(env)))}
    assert states["alerts"] == "failing"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_side_by_side_stores_what_one_after_the_other_stored(
    tmp_path: Path, database: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four feeds of the same two items and a silent one, on SQLite (one writer) and PostgreSQL: the
    writes take turns, so the store ends as it did when the sources were read one at a time."""

    def stored(home: Path, at_once: int) -> tuple[list[tuple[str, int, int, int]], set[str]]:
        monkeypatch.setattr("radar.pipeline.SOURCES_AT_ONCE", at_once)
        env = {"TENDER_RADAR_HOME": str(home), "TENDER_RADAR_WORKERS": "1"}
        if database == "postgresql":
            env["TENDER_RADAR_DATABASE_URL"] = new_schema(request.getfixturevalue("pg_url"), "t")
        summary = run_once(load_settings(env))
        counts = sorted((c["source"], c["new"], c["linked"], len(c["errors"])) for c in summary["collected"])
        ids = {a.tender.id for a in open_store(load_settings(env)).assessed(min_score=0.0)}
        return counts, ids

    with silent_server() as silent, fake_site({"/feed": (ATOM, FEED)}) as good:
        feeds = [feed(f"good-{n}", f"{good.url}/feed") for n in range(4)]
        hanging = feed("silent", f"http://127.0.0.1:{silent.port}/feed", source_deadline=DEADLINE)
        (tmp_path / "one").mkdir()
        (tmp_path / "all").mkdir()
        write_sources(tmp_path / "one", *feeds)
        write_sources(tmp_path / "all", hanging, *feeds)
        one_at_a_time, ids_before = stored(tmp_path / "one", 1)
        side_by_side, ids_now = stored(tmp_path / "all", 4)
    assert [c for c in side_by_side if c[0] != "silent"] == one_at_a_time
    assert ids_now == ids_before and len(ids_now) >= 2
    assert ("silent", 0, 0, 1) in side_by_side


STUCK_RUN = """
import sys, time
from scrapers.sources import registry
from scrapers.sources.files import NoticeFiles
class Stuck(NoticeFiles):  # a notice whose parse never ends, on a worker process
    kind = "stuck_files"
    def parse(self, document):
        time.sleep(3600)
        return super().parse(document)
registry.KINDS["stuck_files"] = Stuck
from radar.cli import main
sys.exit(main(["run", "--json"]))
"""


def test_a_parse_stuck_on_a_worker_is_abandoned_with_its_workers_and_the_run_exits(tmp_path: Path) -> None:
    """The hang is in a worker process: at the deadline the source is given up and its workers
    killed, or the interpreter would wait at exit for the worker's chunk for ever."""
    folder = tmp_path / "notices"
    folder.mkdir()
    sample = (PROJECT / "data/samples/ted/ted-real_legacy_20-155018-001-EXP.xml").read_bytes()
    for n in range(40):  # more than the 32 that start worker processes
        (folder / f"n{n:02}.xml").write_bytes(sample)
    with fake_site({"/feed": (ATOM, FEED)}) as good:
        stuck = {"name": "stuck", "kind": "stuck_files", "path": str(folder), "source_deadline": DEADLINE}
        write_sources(tmp_path, stuck, feed("good", f"{good.url}/feed"))
        env = home_env(tmp_path, TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml"),
                       TENDER_RADAR_SUBSCRIBERS=str(tmp_path / "subscribers.yaml"),
                       TENDER_RADAR_WORKERS="2")  # fmt: skip
        started = time.monotonic()
        try:
            run = subprocess.run([sys.executable, "-c", STUCK_RUN], cwd=PROJECT, env=env, capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail("the run was still going after 60 s: the stuck worker held it")
        took = time.monotonic() - started
    assert took < DEADLINE + 5 + 15, f"{took:.1f} s"
    by_name = {c["source"]: c for c in json.loads(run.stdout)["collected"]}
    assert by_name["good"]["new"] == 2
    (error,) = by_name["stuck"]["errors"]
    assert f"'stuck': not done within its deadline of {DEADLINE} s" in error and "abandoned" in error


@pytest.mark.parametrize("value", ["soon", 0, -5])
def test_a_wrong_source_deadline_is_an_error_naming_the_file_and_the_entry(tmp_path: Path, value: object) -> None:
    write_sources(tmp_path, feed("good", "https://example.org/feed", source_deadline=value))
    env = home_env(tmp_path, TENDER_RADAR_SOURCES=str(tmp_path / "sources.yaml"))
    shown = subprocess.run([sys.executable, "-m", "radar.cli", "run"], cwd=PROJECT, env=env, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert shown.returncode == 2
    assert f"{tmp_path / 'sources.yaml'}: sources[0]: source_deadline {value!r}" in shown.stderr, shown.stderr
