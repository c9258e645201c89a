"""The SendGrid Event Webhook: bounces, spam reports and unsubscribes become suppressions, but
only from a request whose ECDSA signature verifies."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sendgrid.helpers.eventwebhook import EventWebhook

from radar.web.context import Context

SUPPRESSING_EVENTS = {
    "bounce": "bounced",
    "dropped": "dropped",
    "spamreport": "spam report",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}


def webhooks_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/sendgrid")
    async def sendgrid_events(request: Request) -> Response:
        if not ctx.settings.sendgrid_webhook_key:
            return JSONResponse({"error": "the event webhook is not configured"}, status_code=503)
        raw = (await request.body()).decode("utf-8", "replace")
        signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
        timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
        try:
            valid = EventWebhook(ctx.settings.sendgrid_webhook_key).verify_signature(raw, signature, timestamp)
        except ValueError:
            valid = False
        if not valid:
            return JSONResponse({"error": "bad signature"}, status_code=403)
        try:
            events = json.loads(raw)
        except json.JSONDecodeError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        suppressed = 0
        for event in events if isinstance(events, list) else []:
            reason = SUPPRESSING_EVENTS.get(str(event.get("event")))
            if reason and event.get("email"):
                suppressed += ctx.store.suppress(str(event["email"]), reason, str(event.get("reason") or "")[:500])
        return JSONResponse({"received": len(events) if isinstance(events, list) else 0, "suppressed": suppressed})

    return router
