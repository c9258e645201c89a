"""The SendGrid Event Webhook: bounces, spam reports and unsubscribes become suppressions, but
only from a request whose ECDSA signature verifies, is fresh (5 minutes), and not seen before."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sendgrid.helpers.eventwebhook import EventWebhook

from radar.web.context import Context, PostedBody
from tenders import clock

WEBHOOK_FRESH = 5 * 60  # seconds a signed event webhook request is accepted, either side of now
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
    def sendgrid_events(request: Request, body: PostedBody) -> Response:
        if not ctx.settings.sendgrid_webhook_key:
            return JSONResponse({"error": "the event webhook is not configured"}, status_code=503)
        raw = body.decode("utf-8", "replace")
        signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
        timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
        try:
            valid = EventWebhook(ctx.settings.sendgrid_webhook_key).verify_signature(raw, signature, timestamp)
        except ValueError:
            valid = False
        if not valid:
            return JSONResponse({"error": "bad signature"}, status_code=403)
        # A signed body stays signed for ever: only a fresh one is taken, and each event once.
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(clock.time() - int(timestamp)) > WEBHOOK_FRESH:
            return JSONResponse({"error": "timestamp too old or not a time"}, status_code=403)
        try:
            events = json.loads(raw)
        except json.JSONDecodeError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        except RecursionError:
            return JSONResponse({"error": "nested too deeply"}, status_code=400)
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            return JSONResponse({"error": "not a list of event objects"}, status_code=400)
        ids = [str(e.get("sg_event_id") or "") for e in events]
        new = ctx.store.first_seen_events(ids)
        suppressed = replayed = 0
        for event_id, event in zip(ids, events, strict=True):
            if event_id and event_id not in new:
                replayed += 1
                continue
            reason = SUPPRESSING_EVENTS.get(str(event.get("event")))
            if reason and event.get("email"):
                suppressed += ctx.store.suppress(str(event["email"]), reason, str(event.get("reason") or "")[:500])
        return JSONResponse({"received": len(events), "suppressed": suppressed, "replayed": replayed})

    return router
