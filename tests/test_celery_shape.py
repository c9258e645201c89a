"""The production shape on this machine: Celery workers on PostgreSQL and Redis.

`scripts/airflow-celery` (`make airflow-celery`) starts api-server, scheduler, dag-processor,
triggerer and two Celery workers as separate processes, each with its own AIRFLOW_HOME, sharing
only what separate machines would share: the metadata database, the broker, the generated
secrets and the project's store. The end-to-end test runs that script and checks what an
operator would see: the mapped collect tasks run on both workers, the Asset chain puts digests
in the outbox, and a worker killed in the middle of a collect run costs a retry on the other
worker, not a tender or a digest.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, overload

import pytest
import redis
import yaml
from sqlalchemy import create_engine, text

from .conftest import PG_ADMIN_URL, PROJECT
from .helpers.airflow import wait


class MappedResults(Sequence[dict[str, Any]]):
    """The mapped tasks' results as the task SDK hands them over: a lazy sequence that asks the
    api-server for each item, and whose server answers 404 past the end."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.missed: list[int] = []

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, key: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[dict[str, Any]]: ...

    def __getitem__(self, key: int | slice) -> dict[str, Any] | Sequence[dict[str, Any]]:
        if isinstance(key, slice):
            return self.items[key]
        if key >= len(self.items):
            self.missed.append(key)  # the api-server logs "XCom not found" and answers 404
        return self.items[key]


def announce_task() -> Any:
    sys.path.insert(0, str(PROJECT / "dags"))
    try:
        module = importlib.import_module("tender_radar")
    finally:
        sys.path.remove(str(PROJECT / "dags"))
    return module.tender_radar_collect().get_task("announce").python_callable


def test_announce_reads_the_mapped_results_without_asking_past_the_end() -> None:
    results = MappedResults([{"new": 2, "changed": 0}, {"new": 0, "changed": 1}, {"new": 1, "changed": 0}])
    events: Iterator[Any] = announce_task()(results)
    (event,) = list(events)
    assert event.extra == {"new": 3, "changed": 1, "sources": 3}
    assert results.missed == []


# -- the shape, end to end ---------------------------------------------------------------------

# What the test configures, and so the bound it holds the recovery to: a lost worker's task is
# marked failed once its heartbeat is older than the timeout (checked every DETECTION seconds),
# then retried after RETRY_DELAY. The slack is for a loaded machine; production values are in
# the README (300 s and 120 s: about seven minutes).
HEARTBEAT_TIMEOUT = 45
DETECTION = 5
RETRY_DELAY = 10
SLACK = 420
RECOVERY_BOUND = HEARTBEAT_TIMEOUT + DETECTION + RETRY_DELAY + SLACK
pytestmark = pytest.mark.slow  # end to end, in make test only
REDIS = os.environ.get("TENDER_RADAR_TEST_REDIS", "redis://127.0.0.1:6379/14")  # flushed by this test

POLICY = f'''
"""Cluster policy for the test: a short constant retry delay, so the bound above is what it says."""
from datetime import timedelta


def task_policy(task):
    if task.dag_id.startswith("tender_radar_"):
        task.retry_delay = timedelta(seconds={RETRY_DELAY})
        task.retry_exponential_backoff = 0
'''

# A feed the test writes itself: one invented tender for Dalarna, reserved like the sample's first.
LATE_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Invented for the test: not a real procurement. -->
<rss version="2.0"><channel><title>Sena upphandlingar (exempel)</title><language>sv</language>
<item>
  <title>Fönsterputs i Falu kommuns skolor</title>
  <link>https://example.org/dalarna/upphandlingar/test-901</link>
  <guid isPermaLink="false">test-901</guid>
  <pubDate>Thu, 26 Nov 2026 08:00:00 +0100</pubDate>
  <description>Falu kommun upphandlar fönsterputs i skolor. Upphandlingen är reserverad enligt 4 kap. 18 § LOU
  för leverantörer vars huvudsakliga syfte är social och yrkesmässig integration av personer med
  funktionsnedsättning eller som är missgynnade.</description>
</item>
</channel></rss>
"""


FALU = "kontakt@falu-aterbruk.example.org"
WATCH = "watch@nordic-wise.example.org"
LATE = "Fönsterputs i Falu kommuns skolor"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the workers' and the triggerer's log servers)."""
    for _ in range(200):
        first = random.randint(20000, 40000)
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("0.0.0.0", port))
        except OSError:
            continue
        return first
    raise AssertionError(f"no {count} consecutive free ports")


class FeedServer:
    """Feeds over loopback HTTP; a held feed's requests wait until the test lets them through."""

    def __init__(self, feeds: dict[str, bytes], held: tuple[str, ...]) -> None:
        self.feeds = feeds
        self.arrived: dict[str, threading.Event] = {p: threading.Event() for p in feeds}
        self.released: dict[str, threading.Event] = {p: threading.Event() for p in feeds}
        self.release(*(p for p in feeds if p not in held))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = server.feeds.get(self.path)
                if body is None:
                    self.send_error(404)  # robots.txt too: nothing is disallowed
                    return
                server.arrived[self.path].set()
                server.released[self.path].wait(timeout=900)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker that asked was killed

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def hold(self, *paths: str) -> None:
        for path in paths:
            self.arrived[path].clear()
            self.released[path].clear()

    def release(self, *paths: str) -> None:
        for path in paths:
            self.released[path].set()


@dataclass
class Shape:
    api: str
    token: str
    state: Path
    radar: Path
    store_url: str
    groups: dict[str, int]  # component -> process group
    feeds: FeedServer
    banner: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.api}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after")["dag_runs"])

    def tasks(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])

    def running_collects(self) -> list[dict[str, Any]]:
        found = self.call("GET", "/api/v2/dags/tender_radar_collect/dagRuns/~/taskInstances?state=running")
        return [t for t in found["task_instances"] if t["task_id"] == "collect"]


def write_sources(folder: Path, base: str, late: bool) -> None:
    def feed(name: str, nuts: str) -> dict[str, Any]:
        # A held request must not time out; a failed one is Airflow's to retry.
        # The feeds are on loopback, which a source reaches only when it says so (allow_private).
        return {"name": f"{name}-http", "kind": "feed", "url": f"{base}/{name}.xml", "nuts": [nuts], "timeout": 900,
                "request_deadline": 900, "attempts": 1, "allow_private": True}  # fmt: skip

    sources = [
        {"name": "ted-samples", "kind": "ted_files", "path": str(PROJECT / "data/samples/ted")},
        feed("gavleborg", "SE313"),
        feed("dalarna", "SE312"),
        *([feed("late", "SE312")] if late else []),
    ]
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))


def subscribers_at_once(folder: Path) -> Path:
    """The project's subscribers who get reserved contracts at once: no digest waits for an hour."""
    doc = yaml.safe_load((PROJECT / "subscribers.yaml").read_text())
    doc["subscribers"] = [s for s in doc["subscribers"] if s.get("frequency") == "instant"]
    path = folder / "subscribers.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


def drop_databases(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in (name, f"{name}_store"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, start time), from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (command)"
            found[int(stat.parent.name)] = (int(fields[1]), fields[19])
    return found


def tree(root: int, known: dict[int, str] | None = None) -> dict[int, str]:
    """`root` and every process under it (pid -> start time), added to `known`."""
    table = processes()
    found = dict(known or {})
    if root in table:
        found[root] = table[root][1]
    changed = True
    while changed:
        changed = False
        for pid, (parent, started) in table.items():
            if parent in found and pid not in found:
                found[pid] = started
                changed = True
    return found


def kill_tree(root: int, known: dict[int, str] | None = None) -> list[str]:
    """SIGKILL `root` and everything under it, stopped first so that nothing forks or outlives it.
    A task runs in a process group of its own: killing its worker's group alone would leave it
    running, which a machine that goes away does not. Returns the command lines killed."""
    found: dict[int, str] = dict(known or {})
    while True:  # stop the tree from the top until no new process appears under it
        grown = tree(root, found)
        alive = {p: t for p, t in grown.items() if processes().get(p, (0, ""))[1] == t}
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        if alive.keys() <= found.keys():
            break
        found = alive
    killed = []
    table = processes()
    for pid, started in found.items():
        if table.get(pid, (0, ""))[1] != started:
            continue  # gone already (and the pid maybe reused)
        with contextlib.suppress(OSError):
            killed.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return killed


@pytest.fixture
def shape(tmp_path: Path) -> Iterator[Shape]:
    """`scripts/airflow-celery` with two workers of one slot each, on a database of its own."""
    feeds = FeedServer({
        "/gavleborg.xml": (PROJECT / "data/samples/feeds/gavleborg.xml").read_bytes(),
        "/dalarna.xml": (PROJECT / "data/samples/feeds/dalarna.xml").read_bytes(),
        "/late.xml": LATE_FEED.encode(),
    }, held=("/gavleborg.xml", "/dalarna.xml"))  # fmt: skip
    radar = tmp_path / "radar"
    radar.mkdir()
    write_sources(radar, feeds.base, late=False)
    state = tmp_path / "state"
    (state / "config").mkdir(parents=True)
    (state / "config" / "airflow_local_settings.py").write_text(POLICY)
    name = f"radar_celery_{uuid.uuid4().hex[:8]}"
    server = PG_ADMIN_URL.split("+", 1)[0] + "://" + PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_PORT": str(port),
        "AIRFLOW_LOG_PORT": str(free_ports(3)),
        "AIRFLOW_CELERY_WORKERS": "2",
        "AIRFLOW_CELERY_CONCURRENCY": "1",  # two feeds held at once must be on two workers
        "AIRFLOW_CELERY_PG": server,
        "AIRFLOW_CELERY_DB": name,
        "AIRFLOW_CELERY_REDIS": REDIS,
        "AIRFLOW_CELERY_STATE": str(state),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": str(DETECTION),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "TENDER_RADAR_HOME": str(radar),
        "TENDER_RADAR_SOURCES": str(radar / "sources.yaml"),
        "TENDER_RADAR_SUBSCRIBERS": str(subscribers_at_once(radar)),
        "TENDER_RADAR_INCLUDE_EXPIRED": "1",
    }
    for key in ("AIRFLOW_HOME", "TENDER_RADAR_DATABASE_URL", "TENDER_RADAR_OUTBOX", "TENDER_RADAR_SENDER"):
        env.pop(key, None)
    broker = redis.Redis.from_url(REDIS)
    broker.flushdb()
    log_path = tmp_path / "airflow-celery.log"
    log = log_path.open("w")
    script = subprocess.Popen([str(PROJECT / "scripts" / "airflow-celery")], env=env, cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    groups: dict[str, int] = {}
    everything: dict[int, str] = {}
    try:
        banner = wait("the ready banner", lambda: script.poll() is None and "is ready" in log_path.read_text() and
                      log_path.read_text(), timeout=900)  # fmt: skip
        groups = {p.stem: int(p.read_text()) for p in (state / "pids").glob("*.pid")}
        password = json.loads((state / "passwords.json.generated").read_text())["admin"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/auth/token", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "admin", "password": password}).encode(),
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as response:
            token = json.loads(response.read())["access_token"]
        store = f"postgresql+psycopg2://{server.split('://', 1)[1]}/{name}_store"
        yield Shape(f"http://127.0.0.1:{port}", token, state, radar, store, groups, feeds, banner)
    finally:
        everything = tree(script.pid)  # before anything is orphaned
        try:
            os.killpg(script.pid, signal.SIGTERM)  # the script stops its components (Ctrl-C does the same)
            script.wait(timeout=120)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        kill_tree(script.pid, everything)  # whatever outlived that
        script.wait(timeout=30)
        log.close()
        feeds.release(*feeds.released)
        feeds.server.shutdown()
        drop_databases(name)
        broker.flushdb()
        broker.close()
        with contextlib.suppress(OSError):  # the components' logs, for a failure in CI
            shutil.copytree(state / "logs", PROJECT / "test-artifacts" / "celery-shape-logs", dirs_exist_ok=True)
            shutil.copy(log_path, PROJECT / "test-artifacts" / "celery-shape-logs" / "airflow-celery.log")


def mails(outbox: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        found.append((str(msg["To"]), body.get_content() if body is not None else ""))
    return found


def success(runs: list[dict[str, Any]], run_type: str, after: int = 0) -> dict[str, Any] | None:
    done = [r for r in runs if r["run_type"] == run_type and r["state"] == "success"]
    return done[after] if len(done) > after else None


@pytest.mark.timeout(2400)  # every wait is bounded; together they may take long on a loaded machine
def test_two_workers_deliver_and_survive_a_lost_worker(shape: Shape) -> None:
    s = shape
    outbox = s.radar / "var" / "outbox"
    password = json.loads((s.state / "passwords.json.generated").read_text())["admin"]
    last_lines = s.banner.strip().splitlines()[-10:]
    assert any(password in line for line in last_lines)  # the password is among the last lines printed
    assert set(s.groups) == {"api-server", "scheduler", "dag-processor", "triggerer", "worker1", "worker2"}

    # 1. The hourly collect run starts by itself (the DAGs are unpaused). Both feeds are held
    #    from the start, so they are asked for at the same moment, by two workers with one slot each.
    for path in ("/gavleborg.xml", "/dalarna.xml"):
        assert s.feeds.arrived[path].wait(timeout=900), f"nobody asked for {path}"
    running = wait("both held collect tasks running", lambda: len(s.running_collects()) == 2 and s.running_collects(),
                   timeout=300)  # fmt: skip
    hosts = {t["hostname"] for t in running}
    assert len(hosts) == 2 and all(h.startswith(("worker1@", "worker2@")) for h in hosts), hosts
    s.feeds.release("/gavleborg.xml", "/dalarna.xml")

    # The Asset chain: collect -> classify -> notify, and the digests are in the outbox.
    collect = wait("the first collect run", lambda: success(s.runs("tender_radar_collect"), "scheduled"), timeout=600)
    wait("the classify run", lambda: success(s.runs("tender_radar_classify"), "asset_triggered"), timeout=600)
    wait("the notify run", lambda: success(s.runs("tender_radar_notify"), "asset_triggered"), timeout=600)
    first = wait("digests in the outbox", lambda: {to for to, _ in mails(outbox)} == {FALU, WATCH} and mails(outbox),
                 timeout=120)  # fmt: skip
    assert len(first) == 2
    assert "Lokalvård i Falu kommuns förskolor" in dict(first)[FALU]
    hosts_run1 = {t["hostname"] for t in s.tasks("tender_radar_collect", collect["dag_run_id"])}
    assert {h.split("@")[0] for h in hosts_run1} == {"worker1", "worker2"}
    started = datetime.fromisoformat(collect["start_date"])
    delivered = datetime.fromtimestamp(max(p.stat().st_mtime for p in outbox.glob("*.eml")), tz=UTC)

    # 2. A new source; its feed is held, and the worker asking for it dies (SIGKILL to the worker
    #    and every process under it: as if the machine went away).
    write_sources(s.radar, s.feeds.base, late=True)
    s.feeds.hold("/late.xml")
    triggered = s.call("POST", "/api/v2/dags/tender_radar_collect/dagRuns", {"logical_date": None})["dag_run_id"]
    assert s.feeds.arrived["/late.xml"].wait(timeout=900), "nobody asked for the new feed"
    # The hourly scheduled run may start too when the test crosses the hour: the victim is this run's task.
    victim = wait(
        "the new feed's collect task",
        lambda: next((t for t in s.running_collects() if t["map_index"] == 3 and t["dag_run_id"] == triggered), None),
        300,
    )
    worker = victim["hostname"].split("@")[0]
    gone = kill_tree(s.groups[worker])
    killed = datetime.now(UTC)
    assert any("celeryd" in c or "celery worker" in c for c in gone) and any("supervisor" in c for c in gone), gone
    s.feeds.release("/late.xml")

    run_id = victim["dag_run_id"]
    path = f"/api/v2/dags/tender_radar_collect/dagRuns/{run_id}"
    wait("the collect run to finish on the other worker", lambda: s.call("GET", path)["state"] == "success",
         timeout=RECOVERY_BOUND)  # fmt: skip
    tries = sorted(
        s.call("GET", f"{path}/taskInstances/collect/3/tries")["task_instances"], key=lambda t: t["try_number"]
    )
    summary = [(t["try_number"], t["state"], t["hostname"]) for t in tries]
    assert tries[0]["hostname"].split("@")[0] == worker, (summary, gone)
    assert tries[-1]["state"] == "success" and tries[-1]["hostname"].split("@")[0] != worker, (summary, gone)
    recovered = datetime.fromisoformat(tries[-1]["end_date"])
    wait("the second notify run", lambda: success(s.runs("tender_radar_notify"), "asset_triggered", after=1),
         timeout=600)  # fmt: skip
    second = wait("the new digest", lambda: any(LATE in b for to, b in mails(outbox) if to == FALU) and mails(outbox),
                  timeout=120)  # fmt: skip

    # Every tender stored once, every digest sent once.
    store = create_engine(s.store_url)
    with store.connect() as conn:
        doubles = conn.execute(text("SELECT source, notice_id FROM tenders GROUP BY 1, 2 HAVING count(*) > 1")).all()
        late = conn.execute(text("SELECT version FROM tenders WHERE source = 'late-http'")).scalars().all()
        digests: dict[str, int] = dict(conn.execute(text("SELECT status, count(*) FROM digests GROUP BY status")).all())
    store.dispose()
    assert doubles == [] and late == [1]
    # One file per digest sent; the rest wait for their subscriber's daily hour, none failed or half-sent.
    assert digests.pop("sent") == len(second) and set(digests) <= {"queued"}, digests
    for recipient in (FALU, WATCH):
        for title in (LATE, "Lokalvård i Falu kommuns förskolor"):
            assert sum(title in body for to, body in second if to == recipient) <= 1, (recipient, title)
    assert sum(LATE in body for to, body in second if to == FALU) == 1
    # The announce step no longer reads past the end of the mapped results.
    assert "XCom not found" not in (s.state / "logs" / "api-server.log").read_text()

    measured = {
        "digests_after_collect_start_s": round((delivered - started).total_seconds()),
        "recovery_after_kill_s": round((recovered - killed).total_seconds()),
        "heartbeat_timeout_s": HEARTBEAT_TIMEOUT,
        "retry_delay_s": RETRY_DELAY,
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }
    artifacts = PROJECT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "celery-shape.json").write_text(json.dumps(measured, indent=1))
    print(measured)


# -- the scripts refuse what would go wrong later ----------------------------------------------


@pytest.mark.parametrize("script", ["airflow-standalone", "airflow-celery"])
def test_a_busy_port_is_refused_before_anything_starts(script: str, tmp_path: Path) -> None:
    # Another Airflow on the port would receive this one's task calls (and answer its health check).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "AIRFLOW_PORT": str(port), "AIRFLOW_HOME": str(tmp_path / "home"),
               "AIRFLOW_CELERY_STATE": str(tmp_path / "state")}  # fmt: skip
        done = subprocess.run([str(PROJECT / "scripts" / script)], env=env, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert f"port {port} is in use" in done.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "state").exists()  # nothing was started
