"""A local fake of TED: the Search API v3 (expert query, ITERATION pagination) and notice XML.

It serves the bundled real eForms notices that carry a publication number. It checks what the
real API requires (a non-empty ``fields``, ``limit`` <= 250, the ITERATION mode), can answer
429 with Retry-After a given number of times, and counts every request.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eforms-real"
_PUB = re.compile(rb"<efbc:NoticePublicationID[^>]*>([^<]+)<")
_DATE = re.compile(rb"<efbc:PublicationDate>(\d{4}-\d\d-\d\d)")


@dataclass
class FakeTed:
    notices: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # number -> (date, xml)
    page_size: int = 5
    throttle: int = 0  # answer 429 to this many requests first
    unavailable: set[str] = field(default_factory=set)  # found by the search, but their XML answers 404
    robots: str = "User-agent: *\nDisallow: /private/\n"
    searches: list[dict[str, Any]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def load(self) -> None:
        for path in sorted(FIXTURES.glob("*.xml")):
            data = path.read_bytes()
            number, day = _PUB.search(data), _DATE.search(data)
            if number and day:
                self.notices[number.group(1).decode()] = (day.group(1).decode(), data)


def _handler(fake: FakeTed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: bytes, kind: str = "application/json", extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _throttled(self) -> bool:
            if fake.throttle > 0:
                fake.throttle -= 1
                self._send(429, b'{"error": "too many requests"}', extra={"Retry-After": "0"})
                return True
            return False

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                return self._send(200, fake.robots.encode(), "text/plain")
            found = re.fullmatch(r"/en/notice/([0-9]+-[0-9]{4})/xml", self.path)
            if not found or found.group(1) not in fake.notices or found.group(1) in fake.unavailable:
                return self._send(404, b"not found", "text/plain")
            if self._throttled():
                return None
            fake.fetched.append(found.group(1))
            return self._send(200, fake.notices[found.group(1)][1], "application/xml")

        def do_POST(self) -> None:
            if self.path != "/v3/notices/search":
                return self._send(404, b"{}")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.searches.append(body)
            if not body.get("fields") or body.get("limit", 0) > 250 or body.get("paginationMode") != "ITERATION":
                return self._send(400, b'{"error": "fields must not be empty, limit <= 250, ITERATION mode"}')
            if self._throttled():
                return None
            since = re.search(r"publication-date>=(\d{8})", body["query"])
            low = f"{since.group(1)[:4]}-{since.group(1)[4:6]}-{since.group(1)[6:]}" if since else "0000"
            hits = sorted((n, d) for n, (d, _) in fake.notices.items() if d >= low)
            start = int(body.get("iterationNextToken") or 0)
            page = hits[start : start + fake.page_size]
            more = start + fake.page_size < len(hits)
            answer = {
                "notices": [{"publication-number": n, "publication-date": f"{d}+02:00"} for n, d in page],
                "totalNoticeCount": len(hits),
                "iterationNextToken": str(start + fake.page_size) if more else None,
            }
            return self._send(200, json.dumps(answer).encode())

    return Handler


@contextmanager
def fake_ted() -> Generator[FakeTed]:
    fake = FakeTed()
    fake.load()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
