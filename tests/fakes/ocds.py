"""A local fake of UK Find a Tender's and Contracts Finder's OCDS release-package APIs.

Find a Tender as documented and measured (zebreus/tender-db, docs/research/uk-fts.md):
``GET /api/1.0/ocdsReleasePackages`` takes exactly ``stages``, ``limit`` (1-100), ``cursor``,
``updatedFrom``, ``updatedTo``; any other parameter is a 400 naming the allowed ones; the times
are ``YYYY-MM-DDTHH:MM:SS`` (19 characters, UK local time; a trailing ``Z`` is refused), both
ends include their second, and ``updatedTo`` must be later than ``updatedFrom``. A full page
carries ``links.next``, an absolute URL with a ``cursor`` for the next page of the same window.
``/api/1.0/ocdsReleasePackages/{ocid}`` lists every release of one procedure. Its limits as
reported (open-contracting/kingfisher-collect issues #1215 and #1270): ``throttle`` requests are
answered 429 with the body "12 request limit in 2 minute exceeded" and no Retry-After, and with
``broken_numbers`` an amount of 0 is sent as `` 000,`` and one of -1 as ``1e9999`` (invalid or
out-of-range JSON numbers).

Contracts Finder (``/Published/Notices/OCDS/Search``) takes ``publishedFrom``, ``publishedTo``,
``stages``, ``limit`` (1-100) and ``cursor``. That it refuses other parameters with a 400 is
this fake being stricter than anything documented. Its bodies are ISO-8859-1 (as kingfisher-collect
decodes them), and ``forbidden`` requests are answered 403, its throttle ("no further requests
should be made until after 5 minutes", its API documentation as quoted by kingfisher-collect);
the text of that 403's body is not known here, so the fake sends none.
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
    throttle: int = 0  # Find a Tender's 429s to answer first
    forbidden: int = 0  # Contracts Finder's throttling 403s to answer first
    broken_numbers: bool = False
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

        def _package(self, releases: list[dict[str, Any]], following: int | None) -> None:
            path = re.sub(r"&cursor=[^&]*", "", self.path)
            link = f"http://127.0.0.1:{fake.port}{path}&cursor={following}" if following is not None else None
            body = {"uri": self.path, "version": "1.1", "releases": releases, "links": {"next": link} if link else {}}
            if urlsplit(self.path).path == CF:  # Contracts Finder's bodies are ISO-8859-1
                return self._send(200, json.dumps(body, ensure_ascii=False).encode("iso-8859-1", "replace"))
            data = json.dumps(body).encode()
            if fake.broken_numbers:
                data = data.replace(b'"amount": 0,', b'"amount": 000,').replace(b'"amount": -1,', b'"amount": 1e9999,')
            return self._send(200, data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if fake.throttle and url.path.startswith(FTS):
                fake.throttle -= 1
                return self._send(429, b"12 request limit in 2 minute exceeded")
            if fake.forbidden and url.path == CF:
                fake.forbidden -= 1
                return self._send(403, b"")
            if url.path.startswith(FTS + "/"):
                ocid = url.path[len(FTS) + 1 :]
                fake.processes.append(ocid)
                return self._package([r for r in fake.releases if r["ocid"] == ocid], None)
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
            start = int(query["cursor"]) if query.get("cursor", "").isdigit() else 0
            following = start + limit if len(hits) > start + limit else None
            return self._package(hits[start : start + limit], following)

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
