"""A fake of the three Airflow 3 REST calls a buyer's publish makes, as the real one answers them
(``tests/test_scheduler.py`` makes the same calls on a real ``airflow standalone``):

- ``POST /auth/token`` with ``{"username", "password"}`` -> 201 ``{"access_token"}`` (401 for a
  wrong password); ``GET /auth/token`` when everyone is admin (development);
- ``GET /api/v2/assets?uri_pattern=...`` -> ``{"assets": [{"id", "uri", ...}], "total_entries"}``;
- ``POST /api/v2/assets/events`` with ``{"asset_id", "extra"}`` -> 200 with the event.

Without a valid Bearer token the API answers 401. ``expire()`` makes the current token stale.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeAirflow:
    url: str = ""
    user: str = "radar-service"
    password: str = "service-pass-123"
    assets: dict[str, int] = field(default_factory=lambda: {"tenders://collected": 7, "tenders://classified": 8})
    tokens: set[str] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)
    issued: int = 0

    def expire(self) -> None:
        self.tokens.clear()


@contextmanager
def airflow() -> Generator[FakeAirflow]:
    fake = FakeAirflow()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def authorised(self) -> bool:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token in fake.tokens:
                return True
            self.answer(401, {"detail": "Not authenticated"})
            return False

        def token(self) -> None:
            fake.issued += 1
            token = f"jwt-{fake.issued}"
            fake.tokens.add(token)
            self.answer(201, {"access_token": token})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/auth/token":
                self.answer(403, {"detail": "only when everyone is admin"})
            elif parts.path == "/api/v2/assets" and self.authorised():
                pattern = parse_qs(parts.query).get("uri_pattern", [""])[0]
                found = [{"id": i, "uri": uri, "name": uri} for uri, i in fake.assets.items() if pattern in uri]
                self.answer(200, {"assets": found, "total_entries": len(found)})
            elif parts.path != "/api/v2/assets":
                self.answer(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/auth/token":
                given = self.body()
                if given.get("username") == fake.user and given.get("password") == fake.password:
                    self.token()
                else:
                    self.answer(401, {"detail": "Invalid credentials"})
            elif path == "/api/v2/assets/events" and self.authorised():
                event = self.body()
                if event.get("asset_id") not in fake.assets.values():
                    self.answer(404, {"detail": "asset not found"})
                    return
                fake.events.append(event)
                self.answer(200, {"id": len(fake.events), **event})
            elif path != "/api/v2/assets/events":
                self.answer(404, {"detail": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
