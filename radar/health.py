"""Source health: is each source still producing what it should, as often as it should?

A source that has brought nothing new for longer than its ``expect_every`` (in
``sources.yaml``) has probably gone quiet: a moved feed, a changed page, a blocked IP.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.alerts import send_alert
from scrapers.errors import SourceError
from scrapers.sources import load_sources
from tenders.config import Settings, load_settings
from tenders.config import parse_interval as parse_interval
from tenders.store import TAKE_OVER, SourceHealth, Store, open_store, utcnow
from tenders.store.records import PipelineRun

DEFAULT_EXPECT = {"ted_files": "3d", "feed": "7d"}  # TED publishes Monday to Friday


@dataclass(frozen=True, slots=True)
class Freshness:
    source: str
    state: str  # ok | stale | failing | blocked | never
    expected: timedelta
    last_run: datetime | None
    last_produced: datetime | None
    detail: str


def freshness(declared: dict[str, timedelta], store: Store, now: datetime | None = None) -> list[Freshness]:
    """One line per declared source (and per source that ran but is no longer declared)."""
    now = now or utcnow()
    health = store.source_health()
    out = []
    for name in [*declared, *sorted(set(health) - set(declared))]:
        expected = declared.get(name, timedelta(days=7))
        out.append(_judge(name, expected, health.get(name), now))
    return out


def _judge(name: str, expected: timedelta, h: SourceHealth | None, now: datetime) -> Freshness:
    if h is None:
        return Freshness(name, "never", expected, None, None, "has not run yet")
    run = h.last_run
    produced = h.last_produced
    if run.errors and run.last_error and SourceError.BLOCKED in run.last_error:
        state, detail = "blocked", f"refused by the service (or its robots.txt) on the last run: {run.last_error}"
    elif run.errors and not (run.new or run.changed):
        state, detail = "failing", f"last run: {run.errors} error(s): {run.last_error}"
    elif produced is None and now - run.finished_at > expected:
        state, detail = "stale", f"nothing new in {h.runs} run(s) over {_ago(now - run.finished_at)}"
    elif produced is not None and now - produced > expected:
        state, detail = "stale", f"nothing new for {_ago(now - produced)} (expected every {_ago(expected)})"
    else:
        state, detail = "ok", f"last run: {run.new} new, {run.changed} changed, {run.unchanged + run.skipped} unchanged"
    return Freshness(name, state, expected, run.finished_at, produced, detail)


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


# -- the whole status: sources, digests, runs; what needs a person ---------------------------

RUN_LIMIT = timedelta(hours=6)  # an open run elsewhere is taken for dead after this long
DIGEST_STATES = ("sending", "unsure", "held", "unknown")


@dataclass(frozen=True, slots=True)
class OpenRun:
    id: int
    started_at: datetime
    host: str
    pid: int
    state: str  # running | never ended


@dataclass(frozen=True, slots=True)
class Status:
    sources: list[Freshness]
    digests: dict[str, int]  # every state, with "stuck_sending": sending since before the take-over time
    runs: list[OpenRun]
    attention: list[str]  # one line per thing a person must look at; empty: all is well


def status(declared: dict[str, timedelta], store: Store, now: datetime | None = None) -> Status:
    now = now or utcnow()
    sources = freshness(declared, store, now)
    counts = {state: 0 for state in ("queued", "sent", "failed", "partial", *DIGEST_STATES)}
    counts.update(store.digest_counts())
    counts["stuck_sending"] = store.stuck_sending(now - TAKE_OVER)
    runs = [_open_run(row, now) for row in store.open_pipeline_runs()]
    attention = [f"source {f.source}: {f.state}" for f in sources if f.state in ("stale", "failing", "blocked")]
    if counts["stuck_sending"]:
        attention.append(f"{counts['stuck_sending']} digest(s) stuck sending (their run died)")
    attention += [f"{counts[k]} digest(s) {k}" for k in ("unsure", "held", "unknown") if counts[k]]
    attention += [f"run {r.id} started {r.started_at:%Y-%m-%d %H:%M} never ended" for r in runs if r.state != "running"]
    return Status(sources, counts, runs, attention)


def _open_run(row: PipelineRun, now: datetime) -> OpenRun:
    # On this machine: is its process still there? Another machine's run is judged by its age alone.
    alive = _alive(row.pid) if row.host == socket.gethostname() else now - row.started_at < RUN_LIMIT
    return OpenRun(row.id, row.started_at, row.host, row.pid, "running" if alive else "never ended")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that number
        return True
    return True


def source_freshness(settings: Settings, store: Store) -> list[Freshness]:
    return freshness({s.name: s.expect_every for s in load_sources(settings.sources_file)}, store)


def check_freshness(settings: Settings | None = None) -> list[Freshness]:
    """Alert the operators about every source gone quiet or failing; returns those sources."""
    settings = settings or load_settings()
    bad = [f for f in source_freshness(settings, open_store(settings)) if f.state in ("stale", "failing", "blocked")]
    if bad:
        lines = [f"{f.source}: {f.state} - {f.detail}" for f in bad]
        send_alert(f"{len(bad)} source(s) need a look", "\n".join(lines), settings)
    return bad
