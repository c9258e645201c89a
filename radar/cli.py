"""``tender-radar``: the pipeline's steps from a shell, without a scheduler.

A file that cannot be read gets one line on standard error (the file and the reason);
the other files are still processed, and the exit status is 1 at the end.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from sqlalchemy.exc import DBAPIError

from matching.classify import classify
from matching.subscriptions import SubscriberError, everything
from notifications.digest import render_digest
from radar.ops import status as status_cli
from radar.reports import cli as report_cli
from scrapers.errors import ParseError, SourceError
from scrapers.notices import iter_path
from tenders.config import ConfigError
from tenders.model import Tender
from tenders.store import Assessed, DatabaseUnavailable


class _Run:
    """Counts problems as they are reported, so the exit status can say there were any."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.problems = 0

    def problem(self, text: str) -> None:
        self.problems += 1
        print(f"tender-radar: {text}", file=self.err)

    def tenders(self, paths: Sequence[str]) -> Iterator[Tender]:
        for raw in paths:
            for item in iter_path(Path(raw)):
                if isinstance(item, ParseError):
                    self.problem(str(item))
                else:
                    yield item


def _json_lines(run: _Run, stream: TextIO) -> Iterator[tuple[Any, Tender]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            yield data.get("id"), Tender.from_dict(data)
        except (ValueError, TypeError) as exc:
            run.problem(f"<stdin>:{number}: not a tender in JSON: {exc}")


def cmd_parse(args: argparse.Namespace, run: _Run) -> None:
    for tender in run.tenders(args.paths):
        print(tender.to_json(), flush=False)


def cmd_classify(args: argparse.Namespace, run: _Run) -> None:
    if args.paths and args.paths != ["-"]:
        pairs: Iterator[tuple[Any, Tender]] = ((t.id, t) for t in run.tenders(args.paths))
    else:
        pairs = _json_lines(run, sys.stdin)
    for given_id, tender in pairs:
        out = classify(tender).to_dict()
        out["id"] = given_id
        print(json.dumps(out, ensure_ascii=False))


def cmd_match(args: argparse.Namespace, run: _Run) -> None:
    from matching.subscriptions import SubscriberError, load_subscribers
    from radar.inbox import route

    path = Path(args.subscribers)
    if not path.is_file():
        run.problem(f"--subscribers {path}: no such file")
        return
    try:
        subscribers = load_subscribers(path)
    except SubscriberError as exc:
        run.problem(str(exc))
        return
    for line in route(_json_lines(run, sys.stdin), subscribers):
        print(json.dumps(line, ensure_ascii=False))


def cmd_preview(args: argparse.Namespace, run: _Run) -> None:
    items = []
    for tender in run.tenders(args.paths):
        a = classify(tender)
        items.append(Assessed(tender=tender, score=a.score, label=a.label, reasons=a.reasons,
                              content_hash=tender.content_hash(), sectors=tuple(a.sectors)))  # fmt: skip
    rendered = render_digest(everything(args.language), items)
    print(rendered.text if args.text else rendered.html)


def cmd_eval(args: argparse.Namespace, run: _Run) -> None:
    from radar.lab.evaluate import run as evaluate

    if args.inbox:
        from radar.lab.inbox import run as inbox

        print(inbox(as_json=args.json))
        return
    text, problems = evaluate(real=args.real, as_json=args.json, show_mistakes=args.mistakes)
    print(text)
    for problem in problems:
        run.problem(problem)


def cmd_train(args: argparse.Namespace, run: _Run) -> None:
    from radar.lab.train import run as train

    try:
        print(train(choose_c=args.choose_c, feedback=args.feedback))
    except (OSError, ValueError) as exc:
        run.problem(str(exc))


class Stopped(BaseException):
    """SIGTERM: the run stops where it is (its workers with it) and says so; not an Exception, so
    that no step's error handling takes it for a failure of its own."""


def _stop(signum: int, frame: Any) -> None:
    raise Stopped(f"stopped by {signal.Signals(signum).name}")


def cmd_run(args: argparse.Namespace, run: _Run) -> None:
    from radar.pipeline import run_once

    signal.signal(signal.SIGTERM, _stop)
    summary = run_once()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for c in summary["collected"]:
        line = f"{c['source']:<28} new {c['new']:>5}  changed {c['changed']:>4}  unchanged {c['unchanged']:>5}"
        line += f"  linked {c['linked']}" if c["linked"] else ""
        print(line + (f"  errors {len(c['errors'])}" if c["errors"] else ""))
        for error in c["errors"]:
            run.problem(error)
    labels = {k: sum(c["labels"].get(k, 0) for c in summary["collected"]) for k in ("suitable", "possible", "unlikely")}
    again = summary["classified"]["classified"]
    print(f"classified {sum(labels.values())} new or changed: {labels['suitable']} suitable, "
          f"{labels['possible']} possible, {labels['unlikely']} unlikely"
          + (f"; {again} re-classified" if again else ""))  # fmt: skip
    q, d = summary["queued"], summary["delivered"]
    print(f"digests queued {q['digests_queued']} ({q['tenders_matched']} tenders); "
          f"sent {d['sent']} via {d['sender']}, failed {d['failed']}"
          + "".join(f", {d[k]} {k}" for k in ("held", "recovered", "unsure", "unknown", "partial", "taken_elsewhere",
                                               "deferred", "resent")
                    if d.get(k)))  # fmt: skip
    if d.get("waiting"):
        print(f"{d['waiting']} digest(s) wait for their subscriber's time (next at {d['next_due']} UTC)")
    for error in d["errors"]:
        run.problem(error)
    if b := d.get("buyers"):  # reminders and invitations around buyers' notices
        print(f"buyers' messages: {b['advertised']} advertised, {b['deadline']} deadline reminders queued; "
              f"sent {b['sent']}, failed {b['failed']}")  # fmt: skip
        for error in b["errors"]:
            run.problem(error)
    if summary["outbox"]:
        print(f"digests are in {summary['outbox']}")


def cmd_bench(args: argparse.Namespace, run: _Run) -> None:
    from radar.ops.bench import Options
    from radar.ops.bench import run as bench

    opts = Options(
        day=args.day, big=args.big, subscribers=args.subscribers, package_mb=args.package_mb,
        repeat=args.repeat, big_repeat=args.big_repeat, pg_url=args.postgres or None,
        output=Path(args.output) if args.output else None, workers=args.workers,
    )  # fmt: skip
    bench(opts)


def cmd_serve(args: argparse.Namespace, run: _Run) -> None:
    import uvicorn

    from radar.web.app import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port)


def cmd_coordinator(args: argparse.Namespace, run: _Run) -> None:
    """Add or change a coordinator; the password comes from standard input, never the command line."""
    from matching.subscriptions import SubscriberError, region_code
    from radar.passwords import hash_password_from_input
    from tenders.config import load_settings
    from tenders.places import counties
    from tenders.store import open_store

    regions = []
    for region in args.region:
        try:
            code = region_code(region, "--region")
        except SubscriberError as exc:
            run.problem(str(exc))
            return
        if code[:5] not in counties():
            run.problem(f"--region {region!r}: not a Swedish county or municipality")
            return
        regions.append(code[:5])
    if not regions and not args.admin:
        run.problem("a coordinator needs --region (one or more counties) or --admin")
        return
    try:
        hashed = hash_password_from_input()
    except ValueError as exc:
        run.problem(str(exc))
        return
    open_store(load_settings()).save_coordinator(args.username, hashed, regions, is_admin=args.admin,
                                                 language=args.language, email=args.email)  # fmt: skip
    print(f"{args.username}: {'admin, all counties' if args.admin else ', '.join(regions)}")


def cmd_register(args: argparse.Namespace, run: _Run) -> None:
    from radar.reports.register import RegisterError, parse_register
    from tenders.config import load_settings
    from tenders.store import open_store

    try:
        entries = parse_register(Path(args.file).read_text(encoding="utf-8-sig"), args.file)
    except (OSError, UnicodeDecodeError, RegisterError) as exc:
        run.problem(str(exc))
        return
    store = open_store(load_settings())
    if args.replace:
        print(f"{store.replace_register(entries)} social enterprises in the register (replaced)")
        return
    added, updated = store.import_register(entries)
    print(f"{added} added, {updated} updated; {len(store.register())} social enterprises in the register")


def cmd_feedback(args: argparse.Namespace, run: _Run) -> None:
    """Subscribers' votes as labelled examples (no subscriber named): material for the next training."""
    from tenders.config import load_settings
    from tenders.store import open_store

    store = open_store(load_settings())
    votes = store.feedback()
    items = {a.tender.id: a for a in store.assessed_by_ids(sorted({v.tender_id for v in votes}))}
    for vote in votes:
        item = items.get(vote.tender_id)
        if item is not None:
            t = item.tender
            print(json.dumps({"tender_id": t.id, "relevant": vote.relevant, "title": t.title,
                              "description": t.description, "language": t.language, "label": item.label,
                              "score": item.score}, ensure_ascii=False))  # fmt: skip


def cmd_subscribe(args: argparse.Namespace, run: _Run) -> None:
    from radar.subscribers import subscribe
    from tenders.config import load_settings
    from tenders.store import open_store

    settings = load_settings()
    profile = {
        "email": args.email, "organisation": args.organisation, "org_number": args.org_number,
        "language": args.language, "regions": args.region, "sectors": args.sector, "cpv": args.cpv,
        "keywords": args.keyword, "exclude": args.exclude, "min_score": args.min_score,
        "frequency": args.frequency, "timezone": args.timezone, "send_hour": args.send_hour,
        "sector_uncertain": args.sector_uncertain or None, "unplaced": args.unplaced or None,
    }  # fmt: skip
    sub = subscribe(settings, open_store(settings), {k: v for k, v in profile.items() if v not in (None, [])})
    print(f"{sub.key}: pending; a confirmation link was sent to {sub.email}")


def cmd_subscribers(args: argparse.Namespace, run: _Run) -> None:
    from radar.subscribers import active_subscribers
    from tenders.config import load_settings
    from tenders.store import open_store

    settings = load_settings()
    store = open_store(settings)
    if args.export:
        print(json.dumps(store.subscriber_data(args.export), ensure_ascii=False, indent=2))
        return
    if args.erase:
        found = store.erase_subscriber(args.erase)
        print(f"{args.erase}: {'erased' if found else 'nothing stored'}; the address stays suppressed (as a hash)")
        return
    for sub in active_subscribers(settings, store):
        print(f"{sub.key:<40} active   {sub.frequency:<8} {sub.language}  {','.join(sub.regions) or 'all regions'}")
    for row in store.signed_up():
        if row.status != "active":
            print(f"{row.key:<40} {row.status:<8}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tender-radar", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="print one normalized tender per line as JSON")
    p.add_argument("paths", nargs="+", metavar="PATH", help="notice XML, folder, TED package (.tar.gz) or RSS/Atom")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("classify", help="print score, label and reasons per tender")
    p.add_argument("paths", nargs="*", metavar="PATH", help="as for parse; none or '-' reads JSON lines on stdin")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("match", help="which subscribers each tender (JSON lines on stdin) reaches; stores nothing")
    p.add_argument("--subscribers", required=True, metavar="FILE", help="subscribers in the YAML of subscribers.yaml")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("run", help="run the whole pipeline once and print a summary")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("eval", help="measure the text-only classifier on the hand-written evaluation sets")
    p.add_argument("--mistakes", action="store_true", help="list every text it got wrong")
    p.add_argument("--real", action="store_true", help="on the held-out real procurements instead")
    p.add_argument("--inbox", action="store_true",
                   help="what a profile per sector and per county gets of the held-out real titles")  # fmt: skip
    p.add_argument("--json", action="store_true", help="the figures as JSON")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("train", help="train the text models from matching/data (needs scikit-learn)")
    p.add_argument("--choose-c", action="store_true", help="cross-validate the regularisation on the training data")
    p.add_argument("--feedback", metavar="FILE", help="also learn from votes saved by `tender-radar feedback`")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("preview-digest", help="print the digest a subscriber matching everything would get")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--language", choices=("sv", "en"), default="sv")
    p.add_argument("--text", action="store_true", help="the plain-text part instead of the HTML")
    p.set_defaults(func=cmd_preview)

    status_cli.add_parser(sub)

    p = sub.add_parser("subscribe", help="sign up a subscriber (double opt-in: a confirmation link is emailed)")
    p.add_argument("--email", required=True)
    p.add_argument("--organisation", required=True)
    p.add_argument("--org-number")
    p.add_argument("--language", choices=("sv", "en"), default="sv")
    p.add_argument("--region", action="append", default=[], help="NUTS code, e.g. SE312 (Dalarna); repeatable")
    p.add_argument("--sector", action="append", default=[], help="e.g. cleaning, catering, grounds; repeatable")
    p.add_argument("--cpv", action="append", default=[])
    p.add_argument("--keyword", action="append", default=[])
    p.add_argument("--exclude", action="append", default=[])
    p.add_argument("--min-score", type=float)
    p.add_argument("--frequency", choices=("instant", "daily", "weekly"))
    p.add_argument("--timezone")
    p.add_argument("--send-hour", type=int)
    p.add_argument(
        "--sector-uncertain", action="store_true", help="also tenders whose words do not say clearly what is bought"
    )
    p.add_argument("--unplaced", action="store_true", help="also tenders that nothing places in a county")
    p.set_defaults(func=cmd_subscribe)

    p = sub.add_parser("subscribers", help="list subscribers; export or erase one subscriber's data")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--export", metavar="KEY", help="print everything kept about KEY as JSON")
    group.add_argument("--erase", metavar="KEY", help="delete KEY's data (the address stays suppressed, hashed)")
    p.set_defaults(func=cmd_subscribers)

    p = sub.add_parser("serve", help="the web app: dashboard, subscriber pages, unsubscribe, the SendGrid webhook")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("coordinator", help="add or change a coordinator login (password on standard input)")
    p.add_argument("username")
    p.add_argument("--region", action="append", default=[], help="a county (or a municipality: its county); repeat")
    p.add_argument("--admin", action="store_true", help="sees every county")
    p.add_argument("--email", help="where the county's October report is mailed")
    p.add_argument("--language", choices=("sv", "en"), default="sv")
    p.set_defaults(func=cmd_coordinator)

    p = sub.add_parser("register", help="import the register of social enterprises from CSV (adds and updates)")
    p.add_argument("file")
    p.add_argument("--replace", action="store_true", help="replace the whole register with the file")
    p.set_defaults(func=cmd_register)

    p = sub.add_parser("feedback", help="subscribers' relevant / not relevant votes as JSON lines (labelled data)")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("bench", help="measure ingest, reruns, memory, matching, digests, classification")
    p.add_argument("--day", type=int, default=3700, help="notices in one day of TED")
    p.add_argument("--big", type=int, default=50_000, help="notices in the large ingest (0: skip)")
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument("--package-mb", type=int, default=200, help="unpacked size of the streamed package (0: skip)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--big-repeat", type=int, default=1)
    p.add_argument("--workers", type=int, default=None, help="parse/classify processes (default: every core)")
    p.add_argument("--postgres", default="", help="a PostgreSQL URL to measure ingest there too")
    p.add_argument("--output", default="docs/benchmarks.md", help="where to write the table ('' for nowhere)")
    p.set_defaults(func=cmd_bench)
    report_cli.add_parsers(sub)  # statistics import, report: the October check-in

    from radar.buyers.cli import add_buyer_parser

    add_buyer_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = _Run(sys.stderr)
    try:
        args.func(args, run)
    except (ConfigError, SourceError, SubscriberError) as exc:
        run.problem(str(exc))
        return 2
    except BrokenPipeError:  # `tender-radar parse ... | head`
        return 0
    except Stopped as exc:
        run.problem(str(exc))
        _end_now(128 + signal.SIGTERM)
    except (DatabaseUnavailable, DBAPIError) as exc:  # one line naming the database, never a traceback
        text = str(exc) if isinstance(exc, DatabaseUnavailable) else _database_error(exc)
        run.problem(text)
        return 3
    return 1 if run.problems else 0


def _end_now(status: int) -> NoReturn:
    """A stopped run ends here: its steps have unwound (the run record says so) and its workers are
    killed, but the interpreter's exit hooks would still poke the torn-down worker pools of sources
    read side by side and print their tracebacks after our one line."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _database_error(exc: DBAPIError) -> str:
    from tenders.config import load_settings
    from tenders.redact import redacted

    try:
        where = redacted(load_settings().database_url)
    except ConfigError:
        where = "(TENDER_RADAR_DATABASE_URL)"
    return f"database {where}: {' '.join(str(exc.orig).split())[:300]}"


if __name__ == "__main__":
    sys.exit(main())
