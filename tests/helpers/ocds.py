"""A local Find a Tender (OCDS release packages by time window) with 30 releases around a month ago."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tenders import clock

BASE = datetime.combine(clock.today() - timedelta(days=30), time(), UTC)  # inside the first run's 40 days

DEADLINE = f"{BASE + timedelta(days=49):%Y-%m-%d}T12:00:00Z"


def release(i: int, **tender: Any) -> dict[str, Any]:
    return {
        "ocid": f"ocds-h6vhtk-{i:06d}", "id": f"r{i}", "date": (BASE + timedelta(hours=7 * i)).isoformat(),
        "tag": ["tender"], "language": "en", "buyer": {"id": "GB-B1", "name": f"Council {i}"},
        "parties": [{"id": "GB-B1", "name": f"Council {i}", "roles": ["buyer"],
                     "address": {"countryName": "United Kingdom", "region": "UKI32"}}],
        "tender": {"id": f"T{i}", "title": f"Grounds maintenance {i}", "description": "Parks and verges.",
                   "value": {"amount": 120000, "currency": "GBP"}, "tenderPeriod": {"endDate": DEADLINE},
                   "classification": {"scheme": "CPV", "id": "77310000"}, **tender},
    }  # fmt: skip


RELEASES = [release(i) for i in range(30)]
RELEASES[3]["tender"]["otherRequirements"] = {"reservedParticipation": ["shelteredWorkshop"]}
RELEASES[4]["tender"]["suitability"] = {"sme": True, "vcse": True}
UPDATE = {**release(5, title="Grounds maintenance 5 (amended)"), "id": "r5b", "tag": ["tenderUpdate"],
          "date": (BASE + timedelta(hours=7 * 29 + 1)).isoformat()}  # fmt: skip


@contextmanager
def find_a_tender(
    limit_hits: int = 100, throttle: int = 0, names: tuple[str, str, str] = ("updatedFrom", "updatedTo", "limit")
) -> Generator[dict[str, Any]]:
    state: dict[str, Any] = {"requests": [], "throttle": throttle}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path not in ("/api/1.0/ocdsReleasePackages", "/Published/Notices/OCDS/Search"):
                self.send_response(404)
                self.end_headers()
                return
            if state["throttle"]:
                state["throttle"] -= 1
                self.send_response(429)
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            state["requests"].append(q)
            low, high = (datetime.fromisoformat(q[k].replace("Z", "+00:00")) for k in names[:2])
            hits = [r for r in [*RELEASES, UPDATE] if low <= datetime.fromisoformat(r["date"]) < high]
            limit = min(int(q[names[2]]), limit_hits)
            body = {"releases": hits[:limit], "links": {"next": "https://x/cursor"} if len(hits) > limit else {}}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/api/1.0/ocdsReleasePackages"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
