"""``tender-radar statistics import FILE`` and ``tender-radar report``: the October check-in from a shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Protocol


class Problems(Protocol):
    def problem(self, text: str) -> None: ...


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("statistics", help="import Upphandlingsmyndigheten's statistics exports (XLSX or CSV)")
    actions = p.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="import one or more exports (procurements, contracts, values)")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(func=cmd_statistics_import)
    down = actions.add_parser("download", help="download a year's export of advertised procurements from UHM's API "
                              "and import it")  # fmt: skip
    down.add_argument("--year", type=int, required=True)
    down.add_argument("--param", action="append", default=[], required=True, help="a column wanted; repeat")
    down.add_argument("--unit", help='default "Antal upphandlingar"')
    down.add_argument("--distributed-unit", help='default "Upphandlingar, Bas.Antal upphandlingar"')
    down.add_argument("--order-by")
    down.add_argument("--api", help="the statistics API's base URL")
    down.add_argument("--allow-private", action="store_true", help="let --api be a loopback or private address "
                      "(only for a test server)")  # fmt: skip
    down.set_defaults(func=cmd_statistics_download)
    listing = actions.add_parser("parameters", help="print the API's listing of units and parameters, unchanged")
    listing.add_argument("--unit")
    listing.add_argument("--distributed-unit")
    listing.add_argument("--api", help="the statistics API's base URL")
    listing.add_argument("--allow-private", action="store_true", help="as for download")
    listing.set_defaults(func=cmd_statistics_parameters)

    p = sub.add_parser("report", help="the October check-in for a county: HTML, PDF or JSON")
    p.add_argument("--county", required=True, help="Dalarna, Gävleborgs län, or a NUTS code (SE312)")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--format", choices=("html", "pdf", "json"), default="json")
    p.add_argument("--municipality", help="one municipality of the county")
    p.add_argument("--language", choices=("sv", "en"), default="sv")
    p.add_argument(
        "--output",
        help="file to write; without it JSON goes to standard output, and HTML or PDF to "
        "october-report-<county>-<year>-<language>.<format> in the current folder",
    )
    p.set_defaults(func=cmd_report)


def cmd_statistics_import(args: argparse.Namespace, run: Problems) -> None:
    from radar.reports.statistics import StatisticsError, import_export
    from tenders.store import open_store

    store = open_store()
    for raw in args.files:
        try:
            result = import_export(store, Path(raw))
        except StatisticsError as exc:
            run.problem(str(exc))
            continue
        for problem in result.problems:
            run.problem(problem)
        years = ", ".join(str(y) for y in sorted(result.years)) or "-"
        print(f"{raw}: {result.kind}, {result.rows} rows, {result.procurements} procurements ({years}); "
              f"{result.in_county} bought by a municipality or region, {result.by_title} of them attributed "
              f"to the member municipality named in the title")  # fmt: skip


def cmd_statistics_download(args: argparse.Namespace, run: Problems) -> None:
    from radar.reports.statistics import StatisticsError
    from radar.reports.statistics_api import (
        API,
        EXAMPLE_DISTRIBUTED_UNIT,
        EXAMPLE_UNIT,
        ExportRequest,
        download_and_import,
        statistics_client,
    )
    from scrapers.errors import SourceError

    request = ExportRequest(year=args.year, params=args.param, unit=args.unit or EXAMPLE_UNIT,
                            distributed_unit=args.distributed_unit or EXAMPLE_DISTRIBUTED_UNIT,
                            order_by=args.order_by, api=args.api or API)  # fmt: skip
    try:
        path, result = download_and_import(request, client=statistics_client(allow_private=args.allow_private))
    except (SourceError, StatisticsError, ValueError) as exc:
        run.problem(str(exc))
        return
    for problem in result.problems:
        run.problem(problem)
    print(f"{path}: {result.kind}, {result.rows} rows, {result.procurements} procurements ({args.year})")


def cmd_statistics_parameters(args: argparse.Namespace, run: Problems) -> None:
    from radar.reports.statistics_api import API, listing_url, statistics_client
    from scrapers.errors import SourceError

    try:
        body = (
            statistics_client(allow_private=args.allow_private)
            .get(listing_url(args.api or API, args.unit, args.distributed_unit))
            .body
        )
    except SourceError as exc:
        run.problem(str(exc))
        return
    sys.stdout.write(body.decode("utf-8", "replace") + "\n")


def cmd_report(args: argparse.Namespace, run: Problems) -> None:
    from radar.reports.october import build_report
    from radar.reports.render import render_as
    from tenders.config import load_settings
    from tenders.places import PlaceError, county_code
    from tenders.store import open_store

    try:
        county = county_code(args.county)
        report = build_report(open_store(), county, args.year, args.municipality,
                              processed_by=load_settings().from_name)  # fmt: skip
    except PlaceError as exc:
        run.problem(str(exc))
        return
    data = render_as(report, args.format, args.language)
    output = args.output
    if not output and args.format != "json":  # a PDF is no text for a terminal
        output = f"october-report-{county.lower()}-{args.year}-{args.language}.{args.format}"
    if not output:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        run.problem(f"{output}: cannot write the report: {exc}")
        return
    national = report["national_statistics"]
    print(
        f"{output}: {report['county']['name']} {args.year}, {national['procurements']} procurements advertised "
        f"({national['social']} socially sustainable, {national['reserved']} reserved)"
    )
