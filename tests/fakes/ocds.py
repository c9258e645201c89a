"""A local fake of UK Find a Tender's and Contracts Finder's OCDS release-package APIs.

Find a Tender as documented and measured (zebreus/tender-db, docs/research/uk-fts.md):
``GET /api/1.0/ocdsReleasePackages`` takes exactly ``stages``, ``limit`` (1-100), ``cursor``,
``updatedFrom``, ``updatedTo``; any other parameter is a 400 naming the allowed ones; the times
are ``YYYY-MM-DDTHH:MM:SS`` (19 characters, UK local time; a trailing ``Z`` is refused), both
ends include their second, and ``updatedTo`` must be later than ``updatedFrom``. A full page
carries ``links.next`` (a cursor). ``/api/1.0/ocdsReleasePackages/{ocid}`` lists every release
of one procedure. 429 with Retry-After a given number of times.

Contracts Finder (``/Published/Notices/OCDS/Search``) takes ``publishedFrom``, ``publishedTo``,
``stages``, ``limit`` (1-100) and ``cursor``. That it refuses other parameters with a 400 is
this fake being stricter than anything documented.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
FTS = "/api/1.0/ocdsReleasePackages"
CF = "/Published/Notices/OCDS/Search"
ALLOWED = {FTS: ("updatedFrom", "updatedTo"), CF: ("publishedFrom", "publishedTo")}
_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


@dataclass
class FakeOcds:
    releases: list[dict[str, Any]] = field(default_factory=list)
    page_limit: int = 100  # the most the server puts on a page, whatever ``limit`` says
    throttle: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)  # the query of every answered window
    processes: list[str] = field(default_factory=list)  # ocids asked for one by one
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{FTS}"

    @property
    def contracts_finder(self) -> str:
        return f"http://127.0.0.1:{self.port}{CF}"


def _handler(fake: FakeOcds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _package(self, releases: list[dict[str, Any]], more: bool) -> None:
            body = {"uri": self.path, "version": "1.1", "releases": releases,
                    "links": {"next": f"{self.path}&cursor=abc"} if more else {}}  # fmt: skip
            self._send(200, json.dumps(body).encode())

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if fake.throttle:
                fake.throttle -= 1
                return self._send(
                    429, b"Rate limit of 12 exceeded. Please retry after 0 seconds.", {"Retry-After": "0"}
                )
            if url.path.startswith(FTS + "/"):
                ocid = url.path[len(FTS) + 1 :]
                fake.processes.append(ocid)
                return self._package([r for r in fake.releases if r["ocid"] == ocid], False)
            if url.path not in ALLOWED:
                return self._send(404, b"not found")
            low_name, high_name = ALLOWED[url.path]
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            allowed = ("stages", "limit", "cursor", low_name, high_name)
            for name in query:
                if name not in allowed:
                    return self._send(400, f"Request parameter '{name}' is not recognised, allowed parameters are: "
                                      f"{', '.join(allowed)}".encode())  # fmt: skip
            if not query.get("limit", "100").isdigit() or not 1 <= int(query.get("limit", "100")) <= 100:
                return self._send(400, b"'limit' must be greater than 0 and at most 100")
            for name in (low_name, high_name):
                if name in query and not _LOCAL.match(query[name]):
                    return self._send(400, f"'{name}' must be YYYY-MM-DDTHH:MM:SS".encode())
            low, high = (datetime.fromisoformat(query[n]).replace(tzinfo=UK) for n in (low_name, high_name))
            if high <= low:
                return self._send(400, f"'{high_name}' must be later than '{low_name}'".encode())
            fake.requests.append(query)
            hits = [r for r in fake.releases if low <= datetime.fromisoformat(r["date"]) <= high]
            limit = min(int(query.get("limit", "100")), fake.page_limit)
            return self._package(hits[:limit], len(hits) > limit)

    return Handler


@contextmanager
def fake_ocds(releases: list[dict[str, Any]], **options: Any) -> Generator[FakeOcds]:
    fake = FakeOcds(releases=releases, **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
