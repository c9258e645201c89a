"""Source health: is each source still producing what it should, as often as it should?

A source that has brought nothing new for longer than its ``expect_every`` (in
``sources.yaml``) has probably gone quiet: a moved feed, a changed page, a blocked IP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tenders.config import parse_interval as parse_interval
from tenders.store import SourceHealth, Store, utcnow

DEFAULT_EXPECT = {"ted_files": "3d", "feed": "7d"}  # TED publishes Monday to Friday


@dataclass(frozen=True, slots=True)
class Freshness:
    source: str
    state: str  # ok | stale | failing | never
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
    if run.errors and not (run.new or run.changed):
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
