"""``/interest``: a subscribed enterprise says "we are interested" in a buyer's notice.

It arrives by the signed per-subscriber link of its digest (or the tender page opened from it).
GET shows the form and changes nothing (mail scanners open links); the POST, with its CSRF
token, raises, changes or withdraws the hand.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from notifications.tokens import TokenError, interest_subscriber, read_token, visit_token
from radar.buyers.interest import InterestError, enterprise, lower_hand, open_notice, raise_hand
from radar.web.auth import LOGIN_COOKIE
from radar.web.context import Context, PostedForm
from radar.web.problems import link_problem
from radar.web.words import BAD_FORM, N_, words
from tenders.model import Tender
from tenders.store.buyers import BuyerStore

INTERESTED_Q = N_("Are you interested?")


def interest_router(ctx: Context) -> APIRouter:
    app = APIRouter()

    def target(request: Request) -> tuple[str, str]:
        """(subscriber key, tender id) of a valid link; InterestError or TokenError says why not."""
        key = interest_subscriber(ctx.secret, request.query_params.get("token", ""))
        tender_id = request.query_params.get("tender", "")
        if enterprise(ctx.settings, ctx.store, key) is None:
            raise InterestError("only a subscribed enterprise can show interest")
        open_notice(ctx.store, tender_id)
        return key, tender_id

    def bad(request: Request, lang: str, why: str) -> Response:
        return ctx.render(request, "message.html", title=words(lang).gettext(INTERESTED_Q), status=400, lang=lang,
                          error=link_problem(why, lang))  # fmt: skip

    @app.get("/interest")
    def interest_page(request: Request) -> Response:
        lang = ctx.lang(request)
        try:
            key, tender_id = target(request)
        except (TokenError, InterestError) as exc:
            return bad(request, lang, str(exc))
        who = enterprise(ctx.settings, ctx.store, key)
        tender = ctx.store.get(tender_id)
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        response = ctx.render(
            request, "interest.html", title=words(lang).gettext(INTERESTED_Q), lang=lang,
            tender=tender, current=BuyerStore(ctx.store).interest_of(tender_id, key), email=who.email if who else "",
            action=f"{ctx.base(request)}/interest?{request.url.query}", csrf_anchor=cookie,
        )  # fmt: skip
        return ctx.with_form_cookie(request, response, cookie)

    @app.post("/interest")
    def interest_post(request: Request, form: PostedForm) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        if not ctx.form_ok(request, form):
            return ctx.render(request, "message.html", title=_(INTERESTED_Q), status=403, lang=lang,
                              error=_(BAD_FORM))  # fmt: skip
        try:
            key, tender_id = target(request)
            if form.get("action") == "withdraw":
                lower_hand(ctx.store, key, tender_id)
                message = _("Your interest is withdrawn, and the buyer no longer sees your contact address.")
            else:
                raise_hand(ctx.settings, ctx.store, key, tender_id, note=str(form.get("note") or ""),
                           capacity=str(form.get("capacity") or ""), joint_bid=bool(form.get("joint_bid")),
                           share_contact=bool(form.get("share_contact")))  # fmt: skip
                message = _("Thank you! The buyer now sees your interest.")
        except (TokenError, InterestError) as exc:
            return bad(request, lang, str(exc))
        tender = ctx.store.get(tender_id)
        return ctx.render(request, "message.html", title=_(INTERESTED_Q), lang=lang, message=message,
                          link=f"{ctx.base(request)}/tenders/{tender_id}?lang={lang}",
                          link_text=tender.title if tender and tender.title else tender_id)  # fmt: skip

    return app


def without_feedback_token(ctx: Context, request: Request) -> Response | None:
    """A tender page opened with a digest's 180-day feedback token: a redirect to the same page
    without it (with an hour's visit token if it was valid), so that the address people copy and
    forward cannot raise a hand or share a contact for half a year. None for any other request."""
    token = request.query_params.get("token", "")
    if not token or token.startswith("visit."):
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    with contextlib.suppress(TokenError):  # a forged or old token: the page without it
        query.append(("token", visit_token(ctx.secret, read_token(ctx.secret, token, "feedback"))))
    target = f"{ctx.base(request)}{request.url.path}" + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})


def interest_box(ctx: Context, request: Request, tender: Tender, lang: str) -> dict[str, str] | None:
    """On a buyer's notice page: the way to say "we are interested" (with the digest's signed link),
    or how to get it. None for other tenders and withdrawn notices."""
    if not tender.source.startswith("buyer:") or tender.status == "withdrawn":
        return None
    _ = words(lang).gettext
    token = request.query_params.get("token", "")
    try:
        interest_subscriber(ctx.secret, token)
    except TokenError:
        return {"title": _(INTERESTED_Q), "text": _("A subscriber? Use the link in your digest to show interest."),
                "link": ""}  # fmt: skip
    query = urlencode({"token": token, "tender": tender.id, "lang": lang})
    return {"title": _(INTERESTED_Q), "text": _("We are interested"), "link": f"{ctx.base(request)}/interest?{query}"}
