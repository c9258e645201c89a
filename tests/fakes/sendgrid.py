"""A local fake of SendGrid's v3 mail-send endpoint, on loopback.

Every request body is validated against the real v3 schema (``tests/fixtures/sendgrid``,
from sendgrid/sendgrid-oai); the answer can be set to 202, 400, 429 (with rate-limit
headers), 500, or drawn at random (``flaky``). A 429 means not accepted, as SendGrid documents
(no more requests for the rest of the rate-limit period). As the world can be worse than the
documents say, the message may also be accepted and then answered with a 500, answered too late
(``hang``) or not at all (``lost``: the connection is closed).

Accepted messages can be searched by ``digest_id`` as with SendGrid's Email Activity API
(``GET /v3/messages?query=unique_args['digest_id']="..."``), which has its own limits: without
the paid add-on it answers 403 (``activity="forbidden"``), it allows 6 requests a minute
(``"rate_limited"`` always, ``"flaky"`` at random answer 429), and it lists a message only
``listing_delay`` seconds after accepting it (on the project's clock, which tests move).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

from tenders import clock

SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "sendgrid"
API_KEY = "SG.test-key"


def mail_send_schema() -> dict[str, Any]:
    """The request-body schema with its ``$ref``s into components/schemas.json inlined."""
    operation = json.loads((SPEC / "paths/mail_send/mail_send.json").read_text())["mail_send"]["post"]
    components = json.loads((SPEC / "components/schemas.json").read_text())

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("../../components/schemas.json#/"):
                return inline(components[ref.rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    schema: dict[str, Any] = inline(operation["requestBody"]["content"]["application/json"]["schema"])
    return schema


@dataclass
class FakeSendGrid:
    # accept | bad_request | rate_limited | server_error | hang | flaky | accept_then_500 | lost
    mode: str = "accept"
    requests: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    accepted: dict[str, list[str]] = field(default_factory=dict)  # digest_id -> message ids, in order
    delivered: list[dict[str, Any]] = field(default_factory=list)  # the body of every accepted message
    activity: str = "ok"  # ok | forbidden | rate_limited | flaky: how the Email Activity API answers
    listing_delay: float = 0.0  # seconds (project clock) before an accepted message is listed
    lookups: int = 0
    port: int = 0
    seed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted_at: dict[str, float] = field(default_factory=dict)  # message id -> when (project clock)

    def accept(self, body: dict[str, Any]) -> str:
        msg_id = uuid.uuid4().hex
        digest = body["personalizations"][0].get("custom_args", {}).get("digest_id", "")
        with self.lock:
            self.accepted.setdefault(digest, []).append(msg_id)
            self.accepted_at[msg_id] = clock.time()
            self.delivered.append(body)
        return msg_id

    def listed(self, digest: str) -> list[str]:
        """The message ids the Activity API shows for a digest now: only those old enough."""
        with self.lock:
            return [
                m for m in self.accepted.get(digest, []) if clock.time() - self.accepted_at[m] >= self.listing_delay
            ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(fake: FakeSendGrid, validator: jsonschema.Draft7Validator) -> type[BaseHTTPRequestHandler]:
    rng = random.Random(fake.seed)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(
            self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if data:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return self._answer(401, {"errors": [{"message": "authorization required"}]})
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/v3/messages":
                return self._answer(404, {"errors": [{"message": f"no route {url.path}"}]})
            with fake.lock:
                fake.lookups += 1
                draw = rng.random()
            if fake.activity == "forbidden":  # the account lacks the Email Activity add-on
                return self._answer(403, {"errors": [{"field": None, "message": "access forbidden"}]})
            if fake.activity == "rate_limited" or (fake.activity == "flaky" and draw < 0.25):
                reset = str(int(clock.time()) + 60)
                limits = {"X-RateLimit-Limit": "6", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
                return self._answer(429, {"errors": [{"message": "too many requests"}]}, limits)
            query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
            found = re.fullmatch(r"unique_args\['digest_id'\]=\"([^\"]*)\"", query)
            ids = fake.listed(found.group(1)) if found else []
            return self._answer(200, {"messages": [{"msg_id": i, "status": "delivered"} for i in ids[:1]]})

        def do_POST(self) -> None:
            if self.path != "/v3/mail/send":
                return self._answer(404, {"errors": [{"message": f"no route {self.path}"}]})
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return self._answer(401, {"errors": [{"message": "authorization required"}]})
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            problems = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body)]
            fake.requests.append(body)
            if problems:
                fake.invalid.extend(problems)
                return self._answer(400, {"errors": [{"message": p} for p in problems]})
            mode = fake.mode
            if mode == "flaky":
                with fake.lock:
                    draw = rng.random()
                bands = [(0.12, "server_error"), (0.2, "rate_limited"), (0.32, "accept_then_500"),
                         (0.36, "lost")]  # fmt: skip
                mode = next((m for limit, m in bands if draw < limit), "accept")
            if mode == "lost":
                fake.accept(body)  # SendGrid took it; the connection breaks before any answer
                self.close_connection = True
                return None
            if mode == "accept_then_500":
                fake.accept(body)
                return self._answer(500, {"errors": [{"message": "internal error"}]})
            if mode == "hang":
                fake.accept(body)  # SendGrid took it; the answer comes too late for the client
                time.sleep(5)
                return self._answer(202)
            if mode == "bad_request":
                return self._answer(400, {"errors": [{"message": "The from address does not match a verified Sender"}]})
            if mode == "rate_limited":
                reset = str(int(clock.time()) + (1 if fake.mode == "flaky" else 60))
                limits = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
                return self._answer(429, {"errors": [{"message": "too many requests"}]}, limits)
            if mode == "server_error":
                return self._answer(500, {"errors": [{"message": "internal error"}]})
            return self._answer(202, None, {"X-Message-Id": fake.accept(body)})

    return Handler


@contextmanager
def fake_sendgrid(
    mode: str = "accept", seed: int = 0, *, activity: str = "ok", listing_delay: float = 0.0
) -> Generator[FakeSendGrid]:
    """The fake bound to port 0; ``fake.url`` names the port it got."""
    fake = FakeSendGrid(mode=mode, seed=seed, activity=activity, listing_delay=listing_delay)
    validator = jsonschema.Draft7Validator(mail_send_schema(), format_checker=jsonschema.FormatChecker())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake, validator))
    server.daemon_threads = True
    server.block_on_close = False  # a "hang" request must not hold up the test's end
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
