"""The store at scale: a year of Europe's tenders in the store, and the dashboard over it.

``make bench`` runs it after ``tender-radar bench``: it generates tenders (no XML: 50,000 notices
take 3.9 GB of disk) spread over Europe with a Swedish share, inserts them through the store's
own upsert, then asks the dashboard's pages and CSVs through the ASGI app as a logged-in admin
coordinator, in a child process whose peak memory is the web process's. Any query over 100 ms
is printed with its ``EXPLAIN``. Scale it down with ``--scale`` or ``TENDER_RADAR_BENCH_SCALE``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from radar.ops.bench_search import generated_deadline, generated_sectors, search_rows, searches_over_http
from tenders.config import PROJECT_ROOT
from tenders.model import Tender
from tenders.places import counties, municipalities_by_county
from tenders.results import Verdict
from tenders.store import Store, drop_schema, new_schema

SIZES = {"postgresql": 870_000, "sqlite": 200_000}  # a year of TED; what SQLite is asked to carry
TARGETS = {"postgresql": 0.3, "sqlite": 1.0}  # seconds, every page
SLOW = 0.1  # a query slower than this gets its EXPLAIN printed
# Invented weights, roughly the shape of TED's publishing countries (not a measurement); Sweden ~3.5 %.
COUNTRIES = {"FR": 22, "DE": 14, "PL": 13, "ES": 7, "IT": 6, "RO": 4, "SE": 3.5, "NL": 3, "CZ": 3, "BE": 3,
             "AT": 2.5, "DK": 2, "FI": 2, "NO": 1.5, "PT": 2, "HU": 1.5, "IE": 1, "LT": 1, "SK": 1,
             "EE": 1}  # fmt: skip
TYPES = {"competition": 55, "result": 33, "change": 9, "planning": 3}  # invented shares
WORDS = ("städning", "livsmedel", "transport", "catering", "cleaning", "services", "maintenance", "works",
         "supply", "framework", "agreement", "textiles", "recycling", "gardening", "furniture", "printing")  # fmt: skip
MARK_START, MARK_END = "<!-- store-at-scale -->", "<!-- /store-at-scale -->"


def register(n: int = 300) -> list[dict[str, Any]]:
    """An invented register of social enterprises (made-up ten-digit numbers)."""
    return [{"org_number": f"55{i:08d}", "name": f"Invented enterprise {i}", "municipality": None, "county": None,
             "sectors": []} for i in range(n)]  # fmt: skip


def generate(n: int, seed: int = 870) -> Iterator[tuple[Tender, Verdict]]:
    """``n`` tenders of the last year over Europe with a verdict each; Swedish ones placed every
    way the figures read (NUTS code, a municipality or a region as buyer)."""
    rnd = random.Random(seed)
    countries, weights = list(COUNTRIES), list(COUNTRIES.values())
    types, type_weights = list(TYPES), list(TYPES.values())
    codes = sorted(counties())
    town_weight = [len(municipalities_by_county()[c]) for c in codes]
    enterprises = [e["org_number"] for e in register()]
    start = date.today() - timedelta(days=365)
    procedures: list[str] = []
    for i in range(n):
        country = rnd.choices(countries, weights)[0]
        kind = rnd.choices(types, type_weights)[0]
        published = (start + timedelta(days=rnd.randrange(366))).isoformat()
        words = " ".join(rnd.choices(WORDS, k=80))
        word = rnd.choice(WORDS)
        t = Tender(source="ted", notice_id=f"{i:07d}-{published[:4]}", notice_type=kind, published=published,
                   title=f"{word.title()} {i}", description=words, buyer_country=country,
                   deadline=generated_deadline(published, kind, i),
                   buyer_name=f"Buyer {rnd.randrange(20_000)} ({country})",
                   buyer_nuts=f"{country}{rnd.randrange(100):03d}", cpv_main=f"{rnd.randrange(30_000_000, 99_000_000)}",
                   estimated_value=float(rnd.randrange(10**4, 10**7)), currency="EUR",
                   url=f"https://example.invalid/notice/{i}")  # fmt: skip
        if kind == "competition" or not procedures:
            t.procedure_id = f"proc-{i}"
            procedures.append(t.procedure_id)
            del procedures[:-5000]
        elif kind == "change":
            t.procedure_id = rnd.choice(procedures)  # stands under its competition: counted once
        reasons: list[dict[str, Any]] = []
        if country == "SE":
            county = rnd.choices(codes, town_weight)[0]
            way = rnd.random()
            if way < 0.45:
                t.buyer_name, t.buyer_nuts = f"{rnd.choice(municipalities_by_county()[county])} kommun", county
            elif way < 0.6:
                t.buyer_name = f"Region {counties()[county]['sv'].removesuffix(' län')}"
            else:
                t.buyer_nuts = county
            if rnd.random() < 0.12:
                reasons.append({"code": "social_objective", "weight": 2})
            if rnd.random() < 0.03:
                reasons.append({"code": "reserved_participation", "weight": 3})
            if kind == "result":
                won = rnd.random() < 0.05
                t.winners = [{"org_id": f"SE{rnd.choice(enterprises) if won else rnd.randrange(10**9, 10**10)}"}]
        score = min(1.0, 0.3 * len(reasons) + rnd.random() * 0.2)
        yield t, Verdict(score=score, label="possible" if reasons else "unlikely", reasons=reasons, version="bench",
                         sectors=generated_sectors(word))  # fmt: skip


@dataclass
class Built:
    url: str
    tenders: int
    seconds: float


def build(store: Store, n: int, chunk: int = 5000) -> Built:
    """Insert ``n`` generated tenders through ``Store.upsert``, then a register and some digests."""
    started = time.perf_counter()
    pending: list[tuple[Tender, Verdict]] = []
    done = 0
    for pair in generate(n):
        pending.append(pair)
        if len(pending) >= chunk:
            store.upsert([t for t, _ in pending], {t.id: v for t, v in pending})
            done += len(pending)
            pending = []
            if done % 50_000 == 0:
                print(f"  {done:,} tenders, {done / (time.perf_counter() - started):,.0f}/s", file=sys.stderr)
    store.upsert([t for t, _ in pending], {t.id: v for t, v in pending})
    seconds = time.perf_counter() - started
    store.replace_register(register())
    swedish = [a for a in store.assessed(0.3)][:4000]  # the likelier Swedish tenders (few: a partial read)
    for s in range(40):
        picked = swedish[s * 100 % max(1, len(swedish)) :][:100]
        digest = store.queue_digest(f"bench-{s}", f"bench-{s}@example.invalid", "sv", picked)
        if digest and s % 2 == 0:
            store.mark_digest(digest, sent=True)
    if store.engine.dialect.name == "postgresql":
        settle(store)
    return Built(url=store.url, tenders=n, seconds=seconds)


def settle(store: Store) -> None:
    """What autovacuum does on its own some minutes after a bulk load: the planner's statistics
    and the visibility map (index-only scans). Measured right after the load, without it, the
    planner takes 29,000 rows for one and the overview's plan costs 1.8 s instead of milliseconds."""
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("tenders", "tender_winners", "deliveries", "digests", "social_enterprises"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))


# -- the web process ----------------------------------------------------------------------


CSV_TABLES = ("months", "municipalities", "reserved", "wins", "blind")


def pages(year: int) -> list[tuple[str, str]]:
    county = "/dashboard/county/SE110"
    q = f"?year={year}"
    return [
        ("overview", f"/dashboard{q}"),
        ("overview CSV", f"/dashboard{q}&format=csv"),
        ("county page (Stockholm)", f"{county}{q}"),
        ("municipality page (Stockholm)", f"{county}{q}&municipality=Stockholm"),
        *((f"county CSV {t}", f"{county}{q}&format=csv&table={t}") for t in CSV_TABLES),
        ("municipality CSV months", f"{county}{q}&format=csv&table=months&municipality=Stockholm"),
    ]


def measure(url: str, repeat: int) -> dict[str, Any]:
    """In the web process: log in as an admin, time every page, catch the slow queries."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from radar.passwords import hash_password
    from radar.web.app import create_app
    from tenders.config import load_settings

    home = tempfile.mkdtemp(prefix="tender-radar-scale-")
    settings = load_settings({"TENDER_RADAR_HOME": home, "TENDER_RADAR_DATABASE_URL": url,
                              "TENDER_RADAR_SOURCES": str(PROJECT_ROOT / "sources.yaml"),
                              "TENDER_RADAR_BASE_URL": "http://localhost:8000"})  # fmt: skip
    Store(url).save_coordinator("bench-admin", hash_password("bench-admin-pass"), [], is_admin=True, language="en")
    slow: dict[str, tuple[float, Any]] = {}

    def before(conn: Any, _c: Any, _s: str, _p: Any, context: Any, _m: bool) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, _c: Any, statement: str, parameters: Any, context: Any, _m: bool) -> None:
        spent = time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        if spent > SLOW and spent > slow.get(statement, (0.0, None))[0]:
            slow[statement] = (spent, parameters)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    client = TestClient(create_app(settings), base_url="http://localhost:8000")
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    login = client.post("/login", data={"username": "bench-admin", "password": "bench-admin-pass",
                                        "csrf": token.group(1) if token else ""}, follow_redirects=False)  # fmt: skip
    if login.status_code != 303:
        raise RuntimeError(f"the bench admin could not log in: {login.status_code}")
    year = date.today().year
    out: dict[str, Any] = {"pages": []}
    for name, path in pages(year):
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            runs.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
        out["pages"].append({"page": name, "path": path, "runs": runs, "bytes": len(response.content)})
    out["search"] = searches_over_http(create_app(settings), repeat)  # /tenders over real HTTP
    event.remove(Engine, "before_cursor_execute", before)
    event.remove(Engine, "after_cursor_execute", after)
    out["slow"] = [{"seconds": s, "statement": q, "plan": explain(url, q, p)} for q, (s, p) in slow.items()]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def explain(url: str, statement: str, parameters: Any) -> str:
    store = Store(url)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    finally:
        raw.close()
        store.engine.dispose()


def web_process(url: str, repeat: int) -> dict[str, Any]:
    """The measurement in a fresh process: its peak memory is the web app's alone."""
    done = subprocess.run([sys.executable, "-m", "radar.ops.bench_scale", "--measure", url, "--repeat", str(repeat)],
                          capture_output=True, text=True, cwd=PROJECT_ROOT)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the web process failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the case -------------------------------------------------------------------------------


def case(kind: str, n: int, repeat: int, pg_url: str | None) -> tuple[list[str], list[str]]:
    """Build a store of ``n`` tenders on ``kind``, measure it; the table rows and the slow plans."""
    work = Path(tempfile.mkdtemp(prefix="tender-radar-scale-"))
    url = new_schema(pg_url, "scale") if kind == "postgresql" and pg_url else f"sqlite:///{work / 'scale.sqlite'}"
    try:
        store = Store(url)
        store.migrate()
        print(f"building {n:,} tenders on {kind} ...", file=sys.stderr)
        built = build(store, n)
        store.engine.dispose()
        print(f"measuring the dashboard on {kind} ...", file=sys.stderr)
        result = web_process(url, repeat)
    finally:
        if kind == "postgresql" and pg_url:
            drop_schema(url)
        else:
            for path in work.glob("*"):
                path.unlink()
            work.rmdir()
    target = TARGETS[kind]
    rows = [f"| store built ({kind}) | {n:,} tenders | 1 | {built.seconds:.1f} s | | "
            f"{n / built.seconds:,.0f} tenders/s through Store.upsert |  |  |"]  # fmt: skip
    for p in result["pages"]:
        worst, median = max(p["runs"]), statistics.median(p["runs"])
        verdict = "met" if worst < target else "missed"
        size = f"{n:,} tenders"
        rows.append(f"| {p['page']} ({kind}) | {size} | {len(p['runs'])} | {median * 1000:.0f} ms | "
                    f"{worst * 1000:.0f} ms | {p['bytes']:,} bytes | < {target * 1000:.0f} ms | {verdict} |"
                    )  # fmt: skip
    rows += search_rows(result["search"], kind, n)
    rows.append(f"| web process peak memory ({kind}) | {n:,} tenders | | | | {result['peak_rss_mb']:.0f} MB |  |  |")
    plans = [f"{kind}, {s['seconds'] * 1000:.0f} ms:\n{s['statement']}\n{s['plan']}" for s in result["slow"]]
    return rows, plans


def run(scale: float, repeat: int, pg_url: str | None, output: Path | None, only: str | None = None) -> str:
    from radar.ops.bench_rows import machine

    started = datetime.now(UTC)
    rows: list[str] = []
    plans: list[str] = []
    kinds = [k for k in (["postgresql"] if pg_url else []) + ["sqlite"] if only in (None, k)]
    for kind in kinds:
        n = max(1000, int(SIZES[kind] * scale))
        got_rows, got_plans = case(kind, n, repeat, pg_url)
        rows += got_rows
        plans += got_plans
    head = ["| case | size | requests | median | worst | output | target | verdict |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    text = "\n".join(head + rows)
    slow = ("\n```\n" + "\n\n".join(plans) + "\n```") if plans else " none, every query took under 100 ms."
    section = (f"{MARK_START}\n## The store at scale\n\nMeasured {started:%Y-%m-%d %H:%M} UTC with "
               f"`python -m radar.ops.bench_scale` (scale {scale:g}) on: {machine()}.\n\n{text}\n\n"
               f"Queries over 100 ms, with their plans:{slow}\n\n{SCALE_NOTES}{MARK_END}\n")  # fmt: skip
    print(text)
    print(f"slow queries: {slow}")
    if output:
        write_section(output, section)
    return text


def write_section(path: Path, section: str) -> None:
    """Replace the scale section of the benchmarks file, leaving the rest as it is."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    before, _, rest = old.partition(MARK_START)
    _, _, after = rest.partition(MARK_END)
    path.write_text(before.rstrip("\n") + "\n\n" + section + after.lstrip("\n"))


def kept_section(path: Path) -> str:
    """The scale section of the benchmarks file, for ``radar.ops.bench`` to keep when it rewrites it."""
    text = path.read_text() if path.exists() else ""
    if MARK_START not in text:
        return ""
    return MARK_START + text.partition(MARK_START)[2].partition(MARK_END)[0] + MARK_END + "\n"


SCALE_NOTES = """* **store built**: generated tenders (no XML) inserted through `Store.upsert` in chunks of
  5,000, each batch of 500 one transaction with its history, facts and linking; a verdict each.
  The spread over Europe and the notice types are invented weights (Sweden about 3.5 %).
* **pages and CSVs**: through the ASGI app in a child process, logged in as an admin coordinator
  (every county), for the current year; median and worst of the requests. The figures are one
  `GROUP BY` over the indexed facts (`Store.county_reports`); no request reads every tender.
* **search /tenders**: the open tenders' list (`radar/ops/bench_search.py`) served by uvicorn in the
  child and asked over loopback HTTP: a word, a word in a county, a sector, two words by deadline,
  page 50 of a word, planned procurements of a municipality; the first request of each is not
  counted. Competitions close 10 to 59 days after publication, so about a tenth of them are open;
  each title's word gives the sector the model would predict (cleaning, catering, ...).
* **peak memory**: the child's peak resident set, the web app alone (Python, FastAPI, the app).
* **PostgreSQL's statistics**: after the load the store is `VACUUM ANALYZE`d, as autovacuum does by
  itself minutes after a bulk load; measured before that, the planner took the year's 29,000
  Swedish rows for one and the overview took 1.5 s (median) with plans in the seconds.
* **The rows**: about 3.5 % of the tenders are Swedish, so a year at 870,000 puts some 29,000
  rows in the figures' partial index; every page reads that index, never the tenders' JSON.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("TENDER_RADAR_BENCH_SCALE", "1")),
                        help="fraction of 870,000 (PostgreSQL) and 200,000 (SQLite) tenders")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=7, help="requests per page")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL ('' to skip PostgreSQL)")
    parser.add_argument("--only", choices=sorted(SIZES), help="one database only")
    parser.add_argument("--output", default="docs/benchmarks.md", help="where to write the section ('' for nowhere)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: measure this store's web app
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return
    run(args.scale, args.repeat, args.postgres or None, Path(args.output) if args.output else None, args.only)


if __name__ == "__main__":
    main()
