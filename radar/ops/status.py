"""``tender-radar status``: sources, digests and runs, and whether any of them needs a person.

The exit status is 1 when something needs a person (docs/operations.md says what to do for each
state), so a cron job or a monitor can notice; ``--json`` gives the same for a program.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Protocol


class Problems(Protocol):
    problems: int


def cmd_status(args: argparse.Namespace, run: Problems) -> None:
    from radar.health import status
    from radar.pipeline import sources
    from tenders.config import load_settings
    from tenders.store import open_store

    settings = load_settings()
    store = open_store(settings)
    report = status({s.name: s.expect_every for s in sources(settings)}, store)
    attention = list(report.attention)
    if args.release_held:
        attention = [a for a in attention if not a.endswith(" held")]
    if args.unknown_sent or args.resend_unknown:
        attention = [a for a in attention if not a.endswith(" unknown")]
    if args.close_runs:
        attention = [a for a in attention if not a.endswith("never ended")]
    if args.json:
        print(json.dumps(_as_json(report, attention), indent=2))
    else:
        _print(report, store.recent_runs(args.runs))
    if args.release_held:
        print(f"released {store.release_held()} held digest(s) for the next run")
    if args.unknown_sent:
        print(f"recorded {store.resolve_unknown(resend=False)} unknown digest(s) as sent")
    if args.resend_unknown:
        print(f"{store.resolve_unknown(resend=True)} unknown digest(s) will be sent again on the next run")
    if args.close_runs:
        dead = [r.id for r in report.runs if r.state != "running"]
        print(f"closed {store.close_open_pipeline_runs(dead, 'closed by the operator')} run(s) that never ended")
    if attention:
        run.problems += 1  # a non-zero exit lets a cron job or a monitor notice


def _as_json(report: Any, attention: list[str]) -> dict[str, Any]:
    return {
        "sources": [
            {"source": r.source, "state": r.state, "detail": r.detail, "last_run": _iso(r.last_run),
             "last_produced": _iso(r.last_produced), "expected_every": _every(r.expected)}
            for r in report.sources
        ],
        "digests": report.digests,
        "runs": [{"id": r.id, "started_at": _iso(r.started_at), "host": r.host, "pid": r.pid, "state": r.state}
                 for r in report.runs],
        "needs_a_person": attention,
    }  # fmt: skip


def _print(report: Any, recent: list[Any]) -> None:
    print(f"{'source':<26} {'state':<8} {'last run':<17} {'last new':<17} {'expected':<9} detail")
    for r in report.sources:
        print(f"{r.source:<26} {r.state:<8} {_when(r.last_run):<17} {_when(r.last_produced):<17} "
              f"{_every(r.expected):<9} {r.detail}")  # fmt: skip
    print("\nlast runs:")
    for row in recent:
        unchanged = row.unchanged + row.skipped
        print(f"  {_when(row.finished_at)}  {row.source:<26} new {row.new:>5}  "
              f"changed {row.changed:>4}  unchanged {unchanged:>6}  errors {row.errors}")  # fmt: skip
    for r in report.runs:
        what = "running now" if r.state == "running" else "NEVER ENDED (killed?): --close-runs once looked at"
        print(f"  run {r.id} started {_when(r.started_at)} on {r.host} (pid {r.pid}): {what}")
    c = report.digests
    print(f"\ndigests: {c['sent']} sent, {c['queued']} queued, {c['failed']} failed (retried), {c['held']} held "
          "(refused by the provider: fix the cause, then --release-held)")  # fmt: skip
    print(f"         {c['sending']} sending ({c['stuck_sending']} stuck: their run died; the next run looks them up), "
          f"{c['unsure']} unsure (may be at the provider: looked up before any resend)")  # fmt: skip
    print(f"         {c['unknown']} unknown (the lookup could not tell: check the provider's activity log, "
          f"then --unknown-sent or --resend-unknown), {c['partial']} partly refused")  # fmt: skip
    if report.attention:
        print("\nneeds a person (docs/operations.md):")
        for line in report.attention:
            print(f"  {line}")
    else:
        print("\nnothing needs a person")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "status", help="sources, digests, runs (exit 1: something needs a person, see docs/operations.md)"
    )
    p.add_argument("--runs", type=int, default=10, help="how many recent source runs to list")
    p.add_argument("--release-held", action="store_true", help="put held digests back in the retry queue")
    unknown = p.add_mutually_exclusive_group()
    unknown.add_argument(
        "--unknown-sent", action="store_true", help="the provider's log shows the unknown digests: record them as sent"
    )
    unknown.add_argument("--resend-unknown", action="store_true",
                         help="the provider's log does not show them: send the unknown digests again")  # fmt: skip
    p.add_argument("--close-runs", action="store_true", help="close the runs that never ended, once looked at")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _every(delta: Any) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 and hours else f"{hours}h"
