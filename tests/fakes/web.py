"""A web site on loopback that behaves like the ones sources read: feeds and municipal pages.

Beyond fixed pages by path (404 elsewhere) it does what real servers do: an ``ETag`` on every
page and 304 to a matching ``If-None-Match``; redirects; a robots.txt with rules; 5xx (with
Retry-After) a given number of times before the page; a body dripped a few bytes at a time;
a slow answer. It records every request with its headers, so a test can count the tries.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeSite:
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (content type, body)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location (absolute or relative)
    robots: str | None = None  # None: no robots.txt (404)
    robots_status: int = 200
    failures: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses answered first, in order
    retry_after: str | None = None  # sent with every 429/5xx
    drip: dict[str, float] = field(default_factory=dict)  # path -> seconds between two bytes of the body
    drip_headers: dict[str, float] = field(default_factory=dict)  # path -> seconds between two bytes of a header
    delay: float = 0.0  # every page held back this long
    etags: bool = True
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, headers in lower case)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def _handler(fake: FakeSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if self.path == "/robots.txt":
                if fake.robots is None:
                    return self._send(404)
                return self._send(fake.robots_status, fake.robots.encode(), {"Content-Type": "text/plain"})
            queued = fake.failures.get(self.path)
            if queued:
                status = queued.pop(0)
                extra = {"Retry-After": fake.retry_after} if fake.retry_after else {}
                return self._send(status, b"busy", extra)
            if self.path in fake.redirects:
                return self._send(302, b"", {"Location": fake.redirects[self.path]})
            if self.path not in fake.pages:
                return self._send(404)
            time.sleep(fake.delay)
            kind, body = fake.pages[self.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if fake.etags and self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            headers = {"Content-Type": kind, **({"ETag": etag} if fake.etags else {})}
            if self.path in fake.drip_headers:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for byte in b"X-Slow: " + b"a" * 400:  # a header that never ends
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fake.drip_headers[self.path])
                return None
            if self.path in fake.drip:
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fake.drip[self.path])
                return None
            return self._send(200, body, headers)

    return Handler


@contextmanager
def fake_site(pages: dict[str, tuple[str, bytes]] | None = None, **options: Any) -> Generator[FakeSite]:
    """A site on a port of its own; yields the FakeSite (``.url`` is its base URL)."""
    fake = FakeSite(pages=dict(pages or {}), **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    server.block_on_close = False  # a held-back page must not hold up the test's end
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def site(pages: dict[str, tuple[str, bytes]], *, delay: float = 0.0) -> Generator[str]:
    """Serve ``{path: (content type, body)}``; yields the base URL. ``delay`` holds back every page."""
    with fake_site(pages, delay=delay) as fake:
        yield fake.url


@contextmanager
def serve(body: bytes, content_type: str, *, delay: float = 0.0) -> Generator[str]:
    """One page; yields its URL."""
    with site({"/feed": (content_type, body)}, delay=delay) as base:
        yield f"{base}/feed"
