"""``/tenders``: the open tenders, searched and filtered, for anyone (public data: no login), limited
per client address like the sign-up; and ``/watch-search``: "Bevaka den här sökningen".

A subscriber who comes with the profile's signed link (``?token=``, as ``/my-tenders`` and the
profile page take it) sees "Bevaka" on every row (the existing ``/watch`` with an hour's visit
token) and may turn the search into the profile's words, place and sector after a confirmation;
anyone else is led to the sign-up form filled in with the search.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from matching.rules import rules
from matching.subscriptions import SubscriberError, parse_subscriber
from notifications.digest import place_names, reason_text
from notifications.readable import buyer_text, when_text
from notifications.tokens import TokenError, read_token, visit_token
from radar.subscribers import active_subscribers
from radar.tender_search import LABELS, SearchError, profile_from_search, read_query, search_link, sign_up_values
from radar.web.auth import LOGIN_COOKIE
from radar.web.codes import code_namer
from radar.web.context import Context, PostedForm
from radar.web.words import N_, words
from tenders import clock
from tenders.places import counties
from tenders.results import Assessed
from tenders.store.search import SearchPage, SearchQuery, TenderSearch

SEARCHES_PER_CLIENT = 120  # searches from one client address a minute: a person paging never meets it
REASONS_SHOWN = 3  # reasons in a row's one line; the tender's page has them all
WATCH_SEARCH = N_("Watch this search")
# What is wrong with a search, by the parameter ``SearchError`` names.
SEARCH_PROBLEMS = {
    "q": N_("the search words are too long (at most 200 characters)"),
    "county": N_("no such county, choose one in the list"),
    "municipality": N_("no such municipality in Sweden, or not in the chosen county"),
    "sector": N_("no such sector, choose one in the list"),
    "label": N_("no such assessment, choose one in the list"),
    "source": N_("a source's name has only letters, digits, dots, colons and hyphens"),
    "from": N_("a date is written YYYY-MM-DD"),
    "to": N_("a date is written YYYY-MM-DD"),
    "state": N_("choose open or planned procurements"),
    "order": N_("choose an order in the list"),
    "page": N_("the page is a number from 1 to 50"),
}


def tenders_list_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    def subscriber_of(request: Request) -> str | None:
        """The key of an active subscriber whose profile link this is, else None (a visitor)."""
        try:
            key = read_token(ctx.secret, request.query_params.get("token", ""), "profile")
        except TokenError:
            return None
        return key if any(s.key == key for s in active_subscribers(ctx.settings, ctx.store)) else None

    def page(request: Request, lang: str, *, status: int = 200, error: str = "", found: SearchPage | None = None,
             query: SearchQuery | None = None, key: str | None = None) -> Response:  # fmt: skip
        params = dict(request.query_params)
        token = params.get("token", "") if key else ""
        here = f"{ctx.base(request)}/tenders"
        number = query.page if query else 1
        links = {
            "previous": f"{here}?{search_link(params, page=number - 1, lang=lang, token=token)}" if number > 1 else "",
            "next": f"{here}?{search_link(params, page=number + 1, lang=lang, token=token)}"
            if found and found.has_next else "",
            "watch_search": "" if query is None else
            f"{ctx.base(request)}/watch-search?{search_link(params, lang=lang, token=token)}" if key else
            f"{ctx.base(request)}/subscribe?{urlencode({**sign_up_values(query), 'lang': lang})}",
        }  # fmt: skip
        rows = [_row(ctx, request, item, lang, key) for item in found.items] if found else []
        return ctx.render(
            request, "tenders_list.html", title=words(lang).gettext("Open tenders"), lang=lang, status=status,
            error=error,
            v=params, token=token, rows=rows, page=number, links=links, choices=_choices(lang),
        )  # fmt: skip

    @router.get("/tenders")
    def tenders(request: Request) -> Response:
        key = subscriber_of(request)
        lang = ctx.lang(request)
        _ = words(lang).gettext
        client = request.client.host if request.client else "unknown"
        if not ctx.store.throttle_take("search-client", client, SEARCHES_PER_CLIENT, timedelta(minutes=1)):
            too_many = _("Too many searches in a short time. Wait a minute and try again.")
            return page(request, lang, status=429, error=too_many, key=key)
        try:
            query = read_query(request.query_params)
        except SearchError as exc:
            return page(request, lang, status=400, error=search_problem(exc, lang), key=key)
        found = TenderSearch(ctx.store).search(query, clock.today())
        return page(request, lang, found=found, query=query, key=key)

    def confirm_page(request: Request, lang: str, query: SearchQuery, intro: str = "", done: bool = False) -> Response:
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        names = _choices(lang)
        place = query.municipality or names["counties"].get(query.county or "", "")
        profile = urlencode({"token": request.query_params.get("token", ""), "lang": lang})
        response = ctx.render(
            request, "watch_search.html", title=words(lang).gettext(WATCH_SEARCH), lang=lang, intro=intro, done=done,
            words=", ".join(query.words), place=place, sector=names["sectors"].get(query.sector or "", ""),
            action=f"{ctx.base(request)}/watch-search?{request.url.query}", csrf_anchor=cookie,
            profile=f"{ctx.base(request)}/profile?{profile}",
        )  # fmt: skip
        return ctx.with_form_cookie(request, response, cookie)

    def watched_search(request: Request, lang: str) -> tuple[str, dict[str, Any], SearchQuery] | str:
        """(key, stored profile, the search) of a signed profile link, or why not, in words."""
        _ = words(lang).gettext
        try:
            key = read_token(ctx.secret, request.query_params.get("token", ""), "profile")
            query = read_query(request.query_params)
        except TokenError:
            return _("The link is invalid or too old.")
        except SearchError as exc:
            return search_problem(exc, lang)
        row = ctx.store.signed_up_row(key)
        if row is None or row.status != "active":
            return _("This subscription is managed by the operator. Ask your coordinator for changes.")
        return key, {**row.profile, "email": row.email}, query

    def refused(request: Request, lang: str, why: str) -> Response:
        return ctx.render(request, "message.html", title=words(lang).gettext(WATCH_SEARCH), status=400, lang=lang,
                          error=why)  # fmt: skip

    @router.get("/watch-search")
    def watch_search_page(request: Request) -> Response:
        lang = ctx.lang(request)
        found = watched_search(request, lang)
        if isinstance(found, str):
            return refused(request, lang, found)
        intro = words(lang).gettext(
            "Your profile's words, place and sectors are replaced by the search's. "
            "Your other settings stay as they are."
        )
        return confirm_page(request, lang, found[2], intro=intro)

    @router.post("/watch-search")
    def watch_search_post(request: Request, form: PostedForm) -> Response:
        lang = ctx.lang(request)
        _ = words(lang).gettext
        found = watched_search(request, lang)
        if isinstance(found, str):
            return refused(request, lang, found)
        if not ctx.form_ok(request, form):
            return ctx.render(request, "message.html", title=_(WATCH_SEARCH), status=403, lang=lang,
                              error=_("The form could not be sent. Reload the page and try again."))  # fmt: skip
        key, profile, query = found
        changed = profile_from_search(query, profile)
        try:
            parse_subscriber({**changed, "key": key}, "profile")
        except SubscriberError:
            return refused(request, lang, _("The profile could not be saved with this search."))
        ctx.store.update_profile(key, changed)  # the stored profile keeps its address: without it, no digest
        return confirm_page(request, lang, query, intro=_("Your profile now watches the search."), done=True)

    return router


def _row(ctx: Context, request: Request, item: Assessed, lang: str, key: str | None) -> dict[str, Any]:
    """One tender in one line of reasons, with its deadline, buyer and place by name."""
    t = item.tender
    reasons = [reason_text(r, lang) for r in item.reasons[:REASONS_SHOWN]]
    watch = ""
    if key:
        watch = f"{ctx.base(request)}/watch?" + urlencode({"token": visit_token(ctx.secret, key), "tender": t.id,
                                                            "lang": lang})  # fmt: skip
    return {"id": t.id, "title": t.title or t.id, "url": f"{ctx.base(request)}/tenders/{t.id}?lang={lang}",
            "label": code_namer(words(lang).gettext)("label", item.label), "label_code": item.label,
            "score": round(item.score * 100), "reasons": "; ".join(reasons), "buyer": buyer_text(t, lang) or "–",
            "place": place_names(t, lang) or "–", "deadline": when_text(t.deadline, lang) or "–",
            "watch": watch}  # fmt: skip


def _choices(lang: str) -> dict[str, dict[str, str]]:
    """The filters' options by name: counties, sectors, labels."""
    return {
        "counties": {code: names.get(lang, names["sv"]) for code, names in sorted(counties().items())},
        "sectors": {code: spec.get(lang, code) for code, spec in rules().typical.items()},
        "labels": {code: code_namer(words(lang).gettext)("label", code) for code in LABELS},
    }


def search_problem(exc: SearchError, lang: str) -> str:
    """ "The search could not be made: ..." naming the wrong parameter's problem in ``lang``."""
    _ = words(lang).gettext
    why = SEARCH_PROBLEMS.get(exc.parameter)
    return _("The search could not be made: %(why)s.") % {"why": _(why)} if why else _("The search could not be made.")
