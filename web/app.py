"""The web app: the coordinators' dashboard, subscriber self-service, confirmation (double opt-in),
unsubscribe (RFC 8058 one-click), the SendGrid webhook. Runs alone (``tender-radar serve``) or
inside Airflow's api-server (``plugins/tender_radar_web.py``).

GET on a confirmation or unsubscribe link shows a page with a button and changes nothing,
because mail scanners open links; the POST (from that button, or straight from a mail
client's one-click) acts. A confirmation keeps its time and IP as the proof of consent.
Bounces, spam reports and unsubscribes reported by SendGrid become suppressions, but only
from a request whose ECDSA signature verifies.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, select_autoescape
from sendgrid.helpers.eventwebhook import EventWebhook

from matching.subscriptions import Subscriber, load_subscribers, parse_subscriber
from notifications.tokens import TokenError, read_token
from tenders.config import Settings, load_settings
from tenders.pipeline import open_store
from tenders.store import Store
from web.context import Context
from web.dashboard import add_dashboard
from web.selfservice import add_selfservice

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
SUPPRESSING_EVENTS = {
    "bounce": "bounced",
    "dropped": "dropped",
    "spamreport": "spam report",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
PAGE = Environment(autoescape=select_autoescape(default_for_string=True)).from_string(
    """<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ title }}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;color:#1f2933">
<h1 style="font-size:1.4em;color:#0b4f6c">{{ title }}</h1><p>{{ text }}</p>
{% if token %}<form method="post" action="{{ action }}?token={{ token }}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="font-size:1em;padding:.5em 1.2em">{{ button }}</button></form>{% endif %}
</body></html>"""
)
TEXTS = {
    "sv": {
        "ask": ("Avsluta prenumerationen?", "{email} får inga fler upphandlingar från Social Tender Radar.", "Avsluta"),
        "done": ("Prenumerationen är avslutad", "{email} får inga fler brev från oss.", ""),
        "bad": ("Länken fungerar inte", "Länken är ogiltig eller för gammal ({why}).", ""),
        "confirm": (
            "Bekräfta prenumerationen",
            "Vill {email} få upphandlingar från Social Tender Radar?",
            "Ja, bekräfta",
        ),
        "confirmed": ("Tack, prenumerationen är bekräftad", "{email} får nu upphandlingar som passar.", ""),
    },
    "en": {
        "ask": ("Unsubscribe?", "{email} will get no more tenders from Social Tender Radar.", "Unsubscribe"),
        "done": ("You are unsubscribed", "{email} will get no more email from us.", ""),
        "bad": ("This link does not work", "The link is invalid or too old ({why}).", ""),
        "confirm": (
            "Confirm your subscription",
            "Should {email} receive tenders from Social Tender Radar?",
            "Yes, confirm",
        ),
        "confirmed": ("Thank you, you are subscribed", "{email} will now receive tenders that suit.", ""),
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(title="Social Tender Radar", docs_url=None, redoc_url=None)
    state: dict[str, Any] = {}

    def store() -> Store:
        if "store" not in state:
            state["store"] = open_store(settings)
        s: Store = state["store"]
        return s

    def subscriber_for(token: str, purpose: str = "unsubscribe") -> Subscriber:
        key = read_token(settings.secret_key(), token, purpose)
        listed = load_subscribers(settings.subscribers_file) if settings.subscribers_file.exists() else []
        signed_up = [parse_subscriber(r.profile, r.key) for r in store().signed_up() if r.key == key]
        for sub in [*listed, *signed_up]:
            if sub.key == key:
                return sub
        raise TokenError("no such subscriber")

    def page(
        kind: str, lang: str, status: int = 200, token: str = "", action: str = "/unsubscribe", **values: str
    ) -> HTMLResponse:
        title, text, button = TEXTS[lang][kind]
        html = PAGE.render(
            lang=lang, title=title, text=text.format(**values), button=button, token=token, action=action
        )
        return HTMLResponse(html, status_code=status)

    @app.get("/unsubscribe")
    def ask(token: str = "") -> HTMLResponse:
        try:
            sub = subscriber_for(token)
        except TokenError as exc:
            return page("bad", "sv", 400, why=str(exc))
        return page("ask", sub.language, token=token, email=sub.email)

    @app.post("/unsubscribe")
    async def unsubscribe(request: Request, token: str = "") -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        one_click = form.get("List-Unsubscribe") == ["One-Click"]
        try:
            sub = subscriber_for(token)
        except TokenError as exc:
            return page("bad", "sv", 400, why=str(exc))
        store().suppress(sub.email, "unsubscribed", f"one-click link ({'mail client' if one_click else 'page'})")
        store().end_subscription(sub.key)
        log.info("unsubscribed %s", sub.key)
        return page("done", sub.language, email=sub.email)

    @app.get("/confirm")
    def confirm_page(token: str = "") -> HTMLResponse:
        try:
            sub = subscriber_for(token, "confirm")
        except TokenError as exc:
            return page("bad", "sv", 400, why=str(exc))
        return page("confirm", sub.language, token=token, action="/confirm", email=sub.email)

    @app.post("/confirm")
    async def confirm(request: Request, token: str = "") -> HTMLResponse:
        try:
            sub = subscriber_for(token, "confirm")
        except TokenError as exc:
            return page("bad", "sv", 400, why=str(exc))
        store().confirm(sub.key, request.client.host if request.client else None)
        return page("confirmed", sub.language, email=sub.email)

    from radar.web.buyers_api import buyers_api

    app.include_router(buyers_api(settings, store))
    ctx = Context(settings)
    add_dashboard(app, ctx)
    add_selfservice(app, ctx)
    from radar.web.buyers_pages import add_buyer_pages

    add_buyer_pages(app, ctx)
    from radar.web.interest_pages import add_interest_pages

    add_interest_pages(app, ctx)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(f"{ctx.base(request)}/subscribe", status_code=303)

    @app.post("/webhooks/sendgrid")
    async def sendgrid_events(request: Request) -> Response:
        if not settings.sendgrid_webhook_key:
            return JSONResponse({"error": "the event webhook is not configured"}, status_code=503)
        raw = (await request.body()).decode("utf-8", "replace")
        signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
        timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
        try:
            valid = EventWebhook(settings.sendgrid_webhook_key).verify_signature(raw, signature, timestamp)
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
                suppressed += store().suppress(str(event["email"]), reason, str(event.get("reason") or "")[:500])
        return JSONResponse({"received": len(events) if isinstance(events, list) else 0, "suppressed": suppressed})

    return app
