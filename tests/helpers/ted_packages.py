"""A local TED daily-packages site serving OJ S issues of this year (on the project's clock)."""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tenders import clock

YEAR = clock.today().year  # this year's issues: an earlier year's would roll over into this one


def package(files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in files:
            tar.add(path, arcname=f"package/{path.name}")
    return buffer.getvalue()


@contextmanager
def ted_site(packages: dict[str, bytes]) -> Generator[tuple[str, list[str]]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/packages/daily/"):
                asked.append(name)
            body = packages.get(name) if self.path.startswith("/packages/daily/") else None
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/packages/daily", asked
    finally:
        server.shutdown()
        server.server_close()
