"""``/watch``: a subscriber watches a tender (any source); ``/calendar``: its calendar feed.

Watching arrives by the signed per-subscriber link beside each tender in the digest, or the tender
page opened from it (an hour's visit token). GET shows the form and changes nothing (mail scanners
open links); the POST, with its CSRF token and from this site, watches or stops watching.

The calendar feed's address is signed for that purpose alone, with the subscriber's calendar
version: it opens the feed and nothing else, and "change the address" on the calendar page (reached
from the profile page with the profile's link) bumps the version, so every older address is refused.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from matching.subscriptions import Subscriber
from notifications.readable import when_text
from notifications.tokens import TokenError, interest_subscriber, make_token, read_token
from radar.subscribers import active_subscribers
from radar.watching import WatchError, calendar_feed, watch
from radar.web.auth import LOGIN_COOKIE
from radar.web.context import Context, PostedForm
from radar.web.problems import link_problem
from radar.web.words import BAD_FORM, N_, words
from tenders.model import Tender

CALENDAR_VALID = 10 * 365 * 24 * 3600  # a calendar app polls the same address for years; revoking ends it
WATCH_Q = N_("Watch this procurement")
CALENDAR = N_("Calendar")


def calendar_token(secret: str, key: str, version: int) -> str:
    return make_token(secret, "calendar", f"{version}:{key}", valid_for=CALENDAR_VALID)


def watching_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    def active(key: str) -> Subscriber | None:
        return next((s for s in active_subscribers(ctx.settings, ctx.store) if s.key == key), None)

    def target(request: Request) -> tuple[str, Tender]:
        """(subscriber key, tender) of a valid link; TokenError or WatchError says why not."""
        key = interest_subscriber(ctx.secret, request.query_params.get("token", ""))
        if active(key) is None:
            raise WatchError("only a subscriber can watch a tender")
        tender = ctx.store.get(request.query_params.get("tender", ""))
        if tender is None:
            raise WatchError("no such tender")
        return key, tender

    def bad(request: Request, lang: str, title: str, why: str, status: int = 400) -> Response:
        return ctx.render(request, "message.html", title=title, status=status, lang=lang, error=link_problem(why, lang))

    @router.get("/watch")
    def watch_page(request: Request) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        try:
            key, tender = target(request)
        except (TokenError, WatchError) as exc:
            return bad(request, lang, _(WATCH_Q), str(exc))
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        response = ctx.render(request, "watch.html", title=_(WATCH_Q), lang=lang, tender=tender,
                              watching=ctx.store.watching(key, tender.id), csrf_anchor=cookie,
                              action=f"{ctx.base(request)}/watch?{request.url.query}")  # fmt: skip
        return ctx.with_form_cookie(request, response, cookie)

    @router.post("/watch")
    def watch_post(request: Request, form: PostedForm) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        if not ctx.form_ok(request, form):
            return ctx.render(request, "message.html", title=_(WATCH_Q), status=403, lang=lang, error=_(BAD_FORM))
        try:
            key, tender = target(request)
            if form.get("action") == "unwatch":
                ctx.store.unwatch(key, tender.id)
                message = _("You no longer watch the procurement.")
            else:
                watch(ctx.store, key, tender.id)
                message = _("You are now watching the procurement.")
        except (TokenError, WatchError) as exc:
            return bad(request, lang, _(WATCH_Q), str(exc))
        return ctx.render(request, "message.html", title=_(WATCH_Q), lang=lang, message=message,
                          link=f"{ctx.base(request)}/tenders/{tender.id}?lang={lang}",
                          link_text=tender.title or tender.id)  # fmt: skip

    def profile_key(request: Request) -> tuple[str, Subscriber | None, str | None]:
        try:
            key = read_token(ctx.secret, request.query_params.get("token", ""), "profile")
        except TokenError as exc:
            return "", None, str(exc)
        found = active(key)
        return key, found, None if found else "not a subscriber"

    def calendar_page(request: Request, who: Subscriber, lang: str, intro: str = "") -> Response:
        token = calendar_token(ctx.secret, who.key, ctx.store.calendar_version(who.key))
        feed = f"{ctx.settings.base_url.rstrip('/')}{ctx.base(request)}/calendar.ics?" + urlencode({"token": token})
        rows = []
        for w in ctx.store.watches(who.key):
            tender = ctx.store.get(w.tender_id)
            if tender is not None:
                rows.append({"title": tender.title or tender.id, "deadline": when_text(tender.deadline, lang) or "–",
                             "url": f"{ctx.base(request)}/tenders/{tender.id}?lang={lang}"})  # fmt: skip
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        response = ctx.render(request, "calendar.html", title=words(lang).gettext(CALENDAR), lang=lang, feed=feed,
                              webcal="webcal://" + feed.split("://", 1)[-1], rows=rows, intro=intro,
                              action=f"{ctx.base(request)}/calendar?{request.url.query}",
                              csrf_anchor=cookie)  # fmt: skip
        return ctx.with_form_cookie(request, response, cookie)

    @router.get("/calendar")
    def calendar_get(request: Request) -> Response:
        _, who, error = profile_key(request)
        lang = ctx.lang(request, fallback=who.language if who else None)
        if who is None:
            return bad(request, lang, words(lang).gettext(CALENDAR), error or "")
        return calendar_page(request, who, lang)

    @router.post("/calendar")
    def calendar_revoke(request: Request, form: PostedForm) -> Response:
        _, who, error = profile_key(request)
        lang = ctx.lang(request, fallback=who.language if who else None)
        _ = words(lang).gettext
        if who is None:
            return bad(request, lang, _(CALENDAR), error or "")
        if not ctx.form_ok(request, form) or form.get("action") != "revoke":
            return ctx.render(request, "message.html", title=_(CALENDAR), status=403, lang=lang, error=_(BAD_FORM))
        ctx.store.revoke_calendar(who.key)
        return calendar_page(request, who, lang, intro=_("The old address no longer works. Here is the new one."))

    @router.get("/calendar.ics")
    def calendar_ics(request: Request) -> Response:
        try:
            version, _, key = read_token(ctx.secret, request.query_params.get("token", ""), "calendar").partition(":")
        except TokenError:
            return Response("not a valid calendar address\n", status_code=403, media_type="text/plain")
        who = active(key)
        if who is None or version != str(ctx.store.calendar_version(key)):
            return Response("this calendar address has been replaced\n", status_code=403, media_type="text/plain")
        body = calendar_feed(ctx.settings, ctx.store, key, who.organisation, who.language)
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=900", "Referrer-Policy": "no-referrer",
                                 "X-Content-Type-Options": "nosniff"})  # fmt: skip

    return router


def watch_box(ctx: Context, request: Request, tender: Tender, lang: str) -> dict[str, str]:
    """On every tender page: the way to watch it (with the digest's signed link), or how to get it."""
    _ = words(lang).gettext
    token = request.query_params.get("token", "")
    try:
        interest_subscriber(ctx.secret, token)
    except TokenError:
        via_digest = _("Watch the procurement with the link in your email from Social Tender Radar.")
        return {"title": _(WATCH_Q), "text": via_digest, "link": ""}
    query = urlencode({"token": token, "tender": tender.id, "lang": lang})
    return {"title": _(WATCH_Q), "text": _("Watch"), "link": f"{ctx.base(request)}/watch?{query}"}
