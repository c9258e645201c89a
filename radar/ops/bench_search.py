"""The open tenders' search at scale: ``/tenders`` over real HTTP on the store ``bench_scale`` builds.

Part of ``python -m radar.ops.bench_scale`` (``make bench``): in its web process, after the
dashboard's pages, the app is served by uvicorn on a loopback port and asked the searches people
make (a word, a word in a county, a sector, the nearest deadlines, a deep page), each ``repeat``
times after one request that is not counted; the table gets a row per search with its median and
worst against the issue's target (under 300 ms at the median and under 1 s at worst on PostgreSQL).
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

SEARCHES = [
    ("a word", {"q": "städning"}),
    ("a word in a county (Stockholm)", {"q": "transport", "county": "SE110"}),
    ("a sector (cleaning)", {"sector": "cleaning"}),
    ("two words, nearest deadline first", {"q": "catering services", "order": "deadline"}),
    ("a word, page 50", {"q": "services", "page": "50"}),
    ("planned, a municipality", {"state": "planned", "municipality": "Stockholm"}),
]
TARGETS = {"postgresql": (0.3, 1.0), "sqlite": (1.0, 1.0)}  # (median, worst) in seconds
# What the generated tenders buy, by their title's word: the sector filter has something to find.
SECTOR_OF_WORD = {"städning": "cleaning", "cleaning": "cleaning", "livsmedel": "catering", "catering": "catering",
                  "recycling": "recycling", "gardening": "grounds", "printing": "printing"}  # fmt: skip


def generated_sectors(word: str) -> list[dict[str, Any]]:
    """A generated tender's sectors, as the sector model would predict them from its title's word."""
    sector = SECTOR_OF_WORD.get(word)
    return [{"sector": sector, "by": "text", "probability": 0.8}] if sector else []


def generated_deadline(published: str, kind: str, i: int) -> str | None:
    """A competition's deadline 10 to 59 days after it was published (about a tenth still open)."""
    return (date.fromisoformat(published) + timedelta(days=10 + i % 50)).isoformat() if kind == "competition" else None


@contextmanager
def served(app: Any) -> Generator[str, None, None]:
    """The app served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        listening.close()


def searches_over_http(app: Any, repeat: int) -> list[dict[str, Any]]:
    """Each search ``repeat`` times through the served app: seconds per request and the page's size."""
    out = []
    with served(app) as base:
        for name, params in SEARCHES:
            address = f"{base}/tenders?{urlencode({**params, 'lang': 'sv'})}"
            runs, size = [], 0
            for attempt in range(repeat + 1):
                started = time.perf_counter()
                with urllib.request.urlopen(address, timeout=60) as response:  # ruff: ignore[suspicious-url-open-usage] - http to our own loopback
                    size = len(response.read())
                if attempt:  # the first opens the store and warms the caches: not counted
                    runs.append(time.perf_counter() - started)
            out.append({"search": name, "path": address.removeprefix(base), "runs": runs, "bytes": size})
    return out


def search_rows(results: list[dict[str, Any]], kind: str, n: int) -> list[str]:
    """The table rows of ``bench_scale``: one per search, median and worst against the target."""
    median_target, worst_target = TARGETS[kind]
    target = f"< {median_target * 1000:.0f} ms median, < {worst_target * 1000:.0f} ms worst"
    rows = []
    for r in results:
        median, worst = statistics.median(r["runs"]), max(r["runs"])
        verdict = "met" if median < median_target and worst < worst_target else "missed"
        timing = f"{median * 1000:.0f} ms | {worst * 1000:.0f} ms"
        rows.append(f"| search /tenders at {n:,}: {r['search']} ({kind}) | {n:,} tenders | {len(r['runs'])} | "
                    f"{timing} | {r['bytes']:,} bytes | {target} | {verdict} |")  # fmt: skip
    return rows
