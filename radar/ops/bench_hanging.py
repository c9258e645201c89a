"""``make bench``'s hanging-source row: what one feed that accepts and never answers adds to a run.

Why: issue 26 measured a run held 127 s by such a feed (4 tries of 30 s) while the good feed after
it waited. Here ``run_once`` reads ``feeds`` good RSS feeds of invented items on loopback, with and
without a feed on a server that accepts the connection and never sends a byte; the row gives the
extra seconds against the target. The silent feed has the default settings: sources run side by
side, and a server that does not answer within the timeout (10 s) is not asked again in the same
run, so what it can add is that timeout less what the others take (``source_deadline`` bounds a
source that is slow in any other way).

``python -m radar.ops.bench_hanging`` prints this row alone.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from radar.ops.bench_feed import write_feed
from radar.ops.bench_rows import Row, table
from radar.pipeline import run_once
from tenders.config import load_settings

TARGET = 15.0  # seconds a run may take longer with one hanging source (issue 26, item 5)
CONTACT = "bench@example.org"


@contextmanager
def _served(folder: Path) -> Generator[str]:
    """The feeds in ``folder`` over loopback HTTP; yields the base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.func.log_message = lambda *_args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _silent() -> Generator[int]:
    """A port whose server accepts every connection and never answers; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        for connection in held:
            connection.close()


def _one_run(home: Path, entries: list[dict[str, Any]], workers: int) -> tuple[float, dict[str, Any]]:
    """A fresh store, ``run_once`` over ``entries``; its wall time and summary."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "sources.yaml").write_text("sources:\n" + "".join(f"  - {json.dumps(e)}\n" for e in entries))
    (home / "subscribers.yaml").write_text("subscribers: []\n")
    settings = load_settings({"TENDER_RADAR_HOME": str(home), "TENDER_RADAR_WORKERS": str(workers)})
    started = time.perf_counter()
    summary = run_once(settings)
    return time.perf_counter() - started, summary


def hanging_source_case(
    work: Path, *, feeds: int = 8, megabytes: float = 0.05, repeat: int = 3, workers: int = 1
) -> Row:
    folder = work / "hanging-feeds"
    folder.mkdir(parents=True, exist_ok=True)
    items = sum(write_feed(folder / f"feed-{n}.xml", megabytes) for n in range(feeds))
    common = {"kind": "feed", "min_interval": 0, "allow_private": True, "contact": CONTACT}
    with _served(folder) as base, _silent() as port:
        good = [{"name": f"good-{n}", "url": f"{base}/feed-{n}.xml", **common} for n in range(feeds)]
        silent = {"name": "silent", "url": f"http://127.0.0.1:{port}/feed.xml", **common}
        without, with_hang, errors, stored = [], [], [], 0
        for _ in range(repeat):
            took, _summary = _one_run(work / "hanging-home", good, workers)
            without.append(took)
            took, summary = _one_run(work / "hanging-home", [silent, *good], workers)
            with_hang.append(took)
            by_name = {c["source"]: c for c in summary["collected"]}
            errors += by_name["silent"]["errors"]
            stored = sum(by_name[g["name"]]["new"] for g in good)
    extra = statistics.median(with_hang) - statistics.median(without)
    row = Row("hanging source", f"{feeds} feeds, {items:,} items + 1 feed that never answers (default settings)",
              with_hang, "items", stored)  # fmt: skip
    row.target, row.verdict = f"<= {TARGET:g} s extra", "met" if extra <= TARGET else "missed"
    named = sum(1 for e in errors if "no answer within" in e)
    row.note = (f"{extra:.1f} s extra: {statistics.median(without):.1f} s without it; the silent feed reported "
                f"failed ('no answer within') in {named} of {repeat} runs; {stored:,} of {items:,} items stored "
                "with it")  # fmt: skip
    row.extra.update(extra_s=round(extra, 2), without_s=[round(t, 2) for t in without])
    return row


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="tender-radar-hanging-"))
    try:
        print(table([hanging_source_case(work)]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
