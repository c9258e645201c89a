"""Confirmation (double opt-in) and unsubscribe (RFC 8058 one-click), the links in every email.

GET on a confirmation or unsubscribe link shows a page with a button and changes nothing,
because mail scanners open links; the POST (from that button, or straight from a mail
client's one-click) acts. A confirmation keeps its time and IP as the proof of consent.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from matching.subscriptions import Subscriber, parse_subscriber
from notifications.tokens import TokenError, read_token
from radar.subscribers import find_subscriber
from radar.web.context import Context, PostedBody
from radar.web.problems import link_problem
from radar.web.words import N_, words

log = logging.getLogger(__name__)
# Each page: (title, text, button), message ids marked for extraction and translated when shown.
TEXTS = {
    "ask": (
        N_("Unsubscribe?"),
        N_("%(email)s will get no more tenders from Social Tender Radar."),
        N_("Unsubscribe"),
    ),
    "done": (N_("You are unsubscribed"), N_("%(email)s will get no more email from us."), ""),
    "bad": (N_("This link does not work"), "", ""),
    "confirm": (
        N_("Confirm your subscription"),
        N_("Should %(email)s receive tenders from Social Tender Radar?"),
        N_("Yes, confirm"),
    ),
    "confirmed": (N_("Thank you, you are subscribed"), N_("%(email)s will now receive tenders that suit."), ""),
}


def consent_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    def subscriber_for(token: str, purpose: str = "unsubscribe") -> Subscriber:
        key = read_token(ctx.secret, token, purpose)
        sub = find_subscriber(ctx.settings, ctx.store, key)
        if sub is None:
            raise TokenError("no such subscriber")
        return sub

    def page(
        request: Request,
        kind: str,
        lang: str,
        status: int = 200,
        token: str = "",
        action: str = "/unsubscribe",
        **values: str,
    ) -> HTMLResponse:
        _ = words(lang).gettext
        title, text, button = TEXTS[kind]
        shown = link_problem(values["why"], lang) if kind == "bad" else _(text) % values
        return ctx.render(request, "consent.html", title=_(title), status=status, lang=lang, text=shown,
                          button=_(button) if button else "", token=token, action=action)  # fmt: skip

    @router.get("/unsubscribe")
    def ask(request: Request, token: str = "") -> HTMLResponse:
        try:
            sub = subscriber_for(token)
        except TokenError as exc:
            return page(request, "bad", ctx.lang(request), 400, why=str(exc))
        return page(request, "ask", sub.language, token=token, email=sub.email)

    @router.post("/unsubscribe")
    def unsubscribe(request: Request, body: PostedBody, token: str = "") -> Response:
        form = parse_qs(body.decode("utf-8", "replace"))
        one_click = form.get("List-Unsubscribe") == ["One-Click"]
        try:
            sub = subscriber_for(token)
        except TokenError as exc:
            return page(request, "bad", ctx.lang(request), 400, why=str(exc))
        ctx.store.suppress(sub.email, "unsubscribed", f"one-click link ({'mail client' if one_click else 'page'})")
        ctx.store.end_subscription(sub.key)
        log.info("unsubscribed %s", sub.key)
        return page(request, "done", sub.language, email=sub.email)

    def confirmation_for(token: str) -> tuple[Subscriber, str | None]:
        """Who a confirmation link is for, and the sign-up kept aside that it applies (None: the
        sign-up itself, for an address that had none)."""
        if token.startswith("confirm-change."):
            proposal = read_token(ctx.secret, token, "confirm-change")
            row = ctx.store.sign_up_proposal(proposal)
            if row is None:
                raise TokenError("already used or too old")
            return parse_subscriber(row.profile, "sign-up"), proposal
        return subscriber_for(token, "confirm"), None

    @router.get("/confirm")
    def confirm_page(request: Request, token: str = "") -> HTMLResponse:
        try:
            sub, _ = confirmation_for(token)
        except TokenError as exc:
            return page(request, "bad", ctx.lang(request), 400, why=str(exc))
        return page(request, "confirm", sub.language, token=token, action="/confirm", email=sub.email)

    @router.post("/confirm")
    def confirm(request: Request, token: str = "") -> HTMLResponse:
        try:
            sub, proposal = confirmation_for(token)
        except TokenError as exc:
            return page(request, "bad", ctx.lang(request), 400, why=str(exc))
        ip = request.client.host if request.client else None
        if proposal is not None:
            ctx.store.apply_sign_up_proposal(proposal, ip)
        else:
            ctx.store.confirm(sub.key, ip)
        return page(request, "confirmed", sub.language, email=sub.email)

    return router
