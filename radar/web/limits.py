"""Request bodies have a size limit per route, answered 413 before the body is read.

Without it an anonymous 300 MB POST to ``/webhooks/sendgrid`` or ``/unsubscribe`` was read whole
(and a multipart ``/subscribe`` spooled) before any check. A declared Content-Length over the
limit is refused without reading a byte; a body without one is counted as it arrives and cut off
at the limit. A form's field may be as large as its route's body: Starlette's own cap of 1 MB a
field (a 400 for the previewed rows of a large plan) is raised to it where forms are read
(``context.posted_form``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB, MB = 1024, 1024 * 1024
LIMITS = {  # our own choices: each is far above what the route's form or payload needs
    "/unsubscribe": 4 * KB,  # "List-Unsubscribe=One-Click" (RFC 8058)
    "/confirm": 4 * KB,
    "/logout": 4 * KB,
    "/login": 16 * KB,
    "/subscribe": 64 * KB,
    "/profile": 64 * KB,
    "/feedback": 16 * KB,
    "/webhooks/sendgrid": 5 * MB,  # a batch of events
    "/dashboard/register": 5 * MB,  # the register as CSV
    "/buyer/plan": 6 * MB,  # a procurement plan file (radar.buyers.plans.MAX_BYTES, 5 MB) and its form
    "/api/v1/notices": MB,  # a notice as JSON: radar.buyers.notices.MAX_BODY (1 000 000 bytes) says the rest
    "/api/v1/notices/*": MB,  # the same notice, edited at its own address
    "/buyer/plan/import": 16 * MB,  # that plan's previewed rows as URL-encoded JSON (up to plans.MAX_ROWS)
}
DEFAULT_LIMIT = 64 * KB


def limit_for(scope: Scope, limits: dict[str, int] | None = None, default: int = DEFAULT_LIMIT) -> int:
    """The body limit of the route ``scope`` asks for (the mount prefix left off)."""
    limits = LIMITS if limits is None else limits
    path = str(scope.get("path") or "")
    root = str(scope.get("root_path") or "")
    if root and path.startswith(root):
        path = path[len(root) :]
    path = path.rstrip("/") or "/"
    if path in limits:
        return limits[path]
    return limits.get(path.rsplit("/", 1)[0] + "/*", default)  # "/a/*": any one segment after /a/


class BodyTooLargeError(Exception):
    """Raised inside the app's receive once a body passes its limit."""


class BodyLimit:
    """ASGI middleware enforcing ``LIMITS`` (``DEFAULT_LIMIT`` elsewhere)."""

    def __init__(self, app: ASGIApp, limits: dict[str, int] | None = None, default: int = DEFAULT_LIMIT) -> None:
        self.app = app
        self.limits = LIMITS if limits is None else limits
        self.default = default

    def limit_for(self, scope: Scope) -> int:
        return limit_for(scope, self.limits, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError:
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = f"The request body is larger than this address takes ({limit // 1024} KB).\n".encode()
    await send({
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})
