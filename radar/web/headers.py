"""Headers every answer carries, whichever route made it (pages, link pages, JSON, CSV, static files),
and an access log without query strings (tokens travel in them)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages rendered by ``Context.render`` set a stricter policy of their own; this one is for the rest.
# Inline style attributes are allowed (the link pages use them); scripts, frames and plugins are not.
DEFAULT_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
ALWAYS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
}


class SecurityHeaders:
    """ASGI middleware: adds the headers a response does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", DEFAULT_POLICY.encode()))
                headers += [(name, value) for name, value in ALWAYS.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class WithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's access log lines: signed links carry their token there."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def quiet_access_log() -> None:
    """Install the filter once on uvicorn's access logger (``serve`` and Airflow's api-server)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, WithoutQuery) for f in access.filters):
        access.addFilter(WithoutQuery())
