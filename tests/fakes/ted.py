"""A local fake of TED that behaves as the real one does, documented or reported.

- The Search API v3 (``POST /v3/notices/search``): expert query, ITERATION pagination. It
  refuses what the real API refuses (empty ``fields``, ``limit`` > 250, another pagination
  mode, a field it does not know: ``QUERY_INVALID_FIELD_FORMAT``), applies the API's default
  ``scope`` (ACTIVE: notices whose deadline has not passed) when none is sent, and can say
  ``timedOut``.
- Notice XML (``/en/notice/{number}/xml``) and daily packages (``/packages/daily/{id}``,
  404 for an issue not published), HEAD included; the release calendar per year as CSV
  (``/en/release-calendar/-/download/file/CSV/{year}``: issue number, date as D/M/YYYY).
- Its web application firewall answers ``202`` with an empty body and
  ``x-amzn-waf-action: challenge`` to a User-Agent shaped like ``name/1.0 (+url)`` (as
  reported by zebreus/tender-db), and to a given number of requests (``challenge``). Its CAPTCHA
  action answers ``405`` with ``x-amzn-waf-action: captcha`` instead (AWS WAF API reference,
  CaptchaAction; ``challenge_status=405``).
- 429 or 5xx with Retry-After a given number of times (``throttle``, ``errors``).
- It records every request (path, User-Agent) so tests can count tries and check the pace.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eforms-real"
_PUB = re.compile(rb"<efbc:NoticePublicationID[^>]*>([^<]+)<")
_DATE = re.compile(rb"<efbc:PublicationDate>(\d{4}-\d\d-\d\d)")
KNOWN_FIELDS = frozenset(
    {"publication-number", "publication-date", "buyer-country", "notice-type", "classification-cpv",
     "reserved-procurement-lot", "social-objective-lot", "strategic-procurement-lot", "reserved-execution"}
)  # fmt: skip
# Product/version (comment) that is not the "Mozilla/5.0 (compatible; ...)" form, e.g. name/1.0 (+url):
# the real WAF challenged those and answered the compatible form normally.
_BOT_SHAPED = re.compile(r"^(?!Mozilla/5\.0 \(compatible; )[\w.-]+/[\d.]+ \(")


@dataclass
class FakeTed:
    notices: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # number -> (date, xml)
    packages: dict[str, bytes] = field(default_factory=dict)  # yyyynnnnn -> tar.gz bytes
    calendar: dict[int, str] = field(default_factory=dict)  # year -> CSV text
    calendar_status: int = 200
    page_size: int = 5
    throttle: int = 0  # answer 429 to this many requests first
    errors: list[int] = field(default_factory=list)  # statuses answered first, in order, to any request
    challenge: int = 0  # answer a bot challenge to this many notice or package requests
    challenge_status: int = 202  # 202: the Challenge action (empty body); 405: the CAPTCHA action
    retry_after: str = "0"
    unavailable: set[str] = field(default_factory=set)  # found by the search, but their XML answers 404
    empty: set[str] = field(default_factory=set)  # their XML answers 200 with nothing
    truncated: set[str] = field(default_factory=set)  # their XML is cut off half way
    timed_out: bool = False
    robots: str = "User-agent: *\nDisallow: /private/\n"
    searches: list[dict[str, Any]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # notice numbers answered with their XML
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, user agent)
    on_request: Callable[[str], None] | None = None  # called with the path of every request
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

    def asked(self, prefix: str) -> list[str]:
        return [path for _, path, _ in self.requests if path.startswith(prefix)]


def _handler(fake: FakeTed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

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
            if self.command != "HEAD":
                self.wfile.write(body)

        def _refused(self, guarded: bool) -> bool:
            """The WAF, the rate limit and a failing back end, in that order."""
            agent = self.headers.get("User-Agent", "")
            fake.requests.append((self.command, self.path, agent))
            if fake.on_request:
                fake.on_request(self.path)
            if guarded and (fake.challenge > 0 or _BOT_SHAPED.match(agent)):
                fake.challenge = max(0, fake.challenge - 1)
                captcha = fake.challenge_status == 405
                self._send(fake.challenge_status, b"<html>captcha</html>" if captcha else b"", "text/html",
                           {"x-amzn-waf-action": "captcha" if captcha else "challenge"})  # fmt: skip
                return True
            if fake.throttle > 0:
                fake.throttle -= 1
                self._send(429, b'{"error": "too many requests"}', extra={"Retry-After": fake.retry_after})
                return True
            if fake.errors:
                self._send(fake.errors.pop(0), b"<html>busy</html>", "text/html", {"Retry-After": fake.retry_after})
                return True
            return False

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                fake.requests.append((self.command, self.path, self.headers.get("User-Agent", "")))
                return self._send(200, fake.robots.encode(), "text/plain")
            calendar = re.fullmatch(r"/en/release-calendar/-/download/file/CSV/(\d{4})", self.path)
            if calendar:
                if self._refused(False):
                    return None
                text = fake.calendar.get(int(calendar.group(1)))
                if fake.calendar_status != 200 or text is None:
                    return self._send(fake.calendar_status if fake.calendar_status != 200 else 404, b"", "text/html")
                return self._send(200, text.encode(), "text/csv")
            package = re.fullmatch(r"/packages/daily/(\d{9})", self.path)
            if package:
                if self._refused(True):
                    return None
                body = fake.packages.get(package.group(1))
                if body is None:
                    return self._send(404, b"not found", "text/plain")
                return self._send(200, body, "application/gzip")
            found = re.fullmatch(r"/en/notice/([0-9]+-[0-9]{4})/xml", self.path)
            if not found or found.group(1) not in fake.notices or found.group(1) in fake.unavailable:
                fake.requests.append((self.command, self.path, self.headers.get("User-Agent", "")))
                return self._send(404, b"not found", "text/plain")
            if self._refused(True):
                return None
            number = found.group(1)
            data = fake.notices[number][1]
            if number in fake.empty:
                return self._send(200, b"", "application/xml")
            fake.fetched.append(number)
            if number in fake.truncated:
                data = data[: len(data) // 2]
            return self._send(200, data, "application/xml")

        def do_POST(self) -> None:
            if self.path != "/v3/notices/search":
                return self._send(404, b"{}")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self._refused(False):
                return None
            fake.searches.append(body)
            if not body.get("fields") or body.get("limit", 0) > 250 or body.get("paginationMode") != "ITERATION":
                return self._send(400, b'{"error": "fields must not be empty, limit <= 250, ITERATION mode"}')
            asked = set(body["fields"]) | set(re.findall(r"([a-z][a-z-]*)\s*(?:>=|<=|=|<|>|IN|~)", body["query"]))
            if unknown := sorted(asked - KNOWN_FIELDS):
                error = {"error": "QUERY_INVALID_FIELD_FORMAT", "message": f"unknown field(s) {unknown}"}
                return self._send(400, json.dumps(error).encode())
            since = re.search(r"publication-date>=(\d{8})", body["query"])
            low = f"{since.group(1)[:4]}-{since.group(1)[4:6]}-{since.group(1)[6:]}" if since else "0000"
            # Without a scope the API searches ACTIVE notices only; the bundled notices are old.
            scope = body.get("scope", "ACTIVE")
            hits = sorted((n, d) for n, (d, _) in fake.notices.items() if d >= low and scope in ("ALL", "LATEST"))
            start = int(body.get("iterationNextToken") or 0)
            page = hits[start : start + fake.page_size]
            more = start + fake.page_size < len(hits)
            answer = {
                "notices": [{"publication-number": n, "publication-date": f"{d}+02:00"} for n, d in page],
                "totalNoticeCount": len(hits),
                "iterationNextToken": str(start + fake.page_size) if more else None,
                "timedOut": fake.timed_out,
            }
            return self._send(200, json.dumps(answer).encode())

    return Handler


@contextmanager
def fake_ted(load: bool = True) -> Generator[FakeTed]:
    fake = FakeTed()
    if load:
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
