"""A small web site on loopback: fixed pages by path, 404 elsewhere, optionally too slow to answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def site(pages: dict[str, tuple[str, bytes]], *, delay: float = 0.0) -> Generator[str]:
    """Serve ``{path: (content type, body)}``; yields the base URL. ``delay`` holds back every page."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path not in pages:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            time.sleep(delay)
            kind, body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # a held-back page must not hold up the test's end
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(body: bytes, content_type: str, *, delay: float = 0.0) -> Generator[str]:
    """One page; yields its URL."""
    with site({"/feed": (content_type, body)}, delay=delay) as base:
        yield f"{base}/feed"
