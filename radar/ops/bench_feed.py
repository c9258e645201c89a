"""``make bench``'s big-feed row: a 50 MB RSS feed of invented items, served on loopback and
collected as a run collects a feed source (2 workers), in a process of its own; its peak memory."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from radar.ops.bench_rows import Row
from tenders.config import PROJECT_ROOT

PROBE = """
import functools, http.server, json, resource, sys, threading
from pathlib import Path
from radar.pipeline import collect
from scrapers.sources.web import Feed
from tenders.config import load_settings
from tenders.store import Store
feed = Path(sys.argv[1])
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(feed.parent))
handler.func.log_message = lambda *a: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
store = Store("sqlite:///" + sys.argv[2]); store.migrate()
source = Feed(name="big-feed", url=f"http://127.0.0.1:{server.server_address[1]}/{feed.name}",
              options={"allow_private": True})
result = collect(source, store, load_settings(), workers=2)
server.shutdown()
print(json.dumps({"new": result.new, "errors": len(result.errors),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def write_feed(path: Path, megabytes: float = 50) -> int:
    """Invented RSS items (example.org) up to ``megabytes``; the number of items."""
    rng = random.Random(26)
    words = ["Lokalvård", "i", "förskolor", "och", "skolor", "&amp;", "<b>fet</b>", "kommun", "upphandling"]
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Invented</title>'
                "<language>sv</language>\n")  # fmt: skip
        while f.tell() < megabytes * 1_000_000 - 2_000:
            text = " ".join(rng.choice(words) for _ in range(130))
            f.write(f"<item><title>Invented tender {n}</title><link>https://example.org/t/{n}</link>"
                    f'<guid isPermaLink="false">t-{n}</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0100</pubDate>'
                    f"<description><![CDATA[{text}]]></description></item>\n")  # fmt: skip
            n += 1
        f.write("</channel></rss>\n")
    return n


def big_feed_case(work: Path, megabytes: int = 50) -> Row:
    feed = work / "big-feed.xml"
    items = write_feed(feed, megabytes)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE, str(feed), str(work / "big-feed.sqlite")], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "TENDER_RADAR_CONTACT": "bench@example.org"})  # fmt: skip
    took = time.perf_counter() - start
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    row = Row("big feed", f"{items:,} items, {feed.stat().st_size / 1e6:,.0f} MB RSS over loopback", [took], "items",
              probe["new"])  # fmt: skip
    peak = max(probe["peak_mb"], probe["worker_peak_mb"])
    row.note = (f"peak RSS {probe['peak_mb']:,.0f} MB (collector), {probe['worker_peak_mb']:,.0f} MB (a worker); "
                f"{probe['new']:,} stored, {probe['errors']} errors")  # fmt: skip
    row.target, row.verdict = "peak <= 400 MB", "met" if peak <= 400 else "missed"
    row.extra["peak_mb"] = round(peak, 1)
    return row
