"""The coordinators' pages: login, the county map, a county's figures, source health, the register.

A coordinator sees only the counties they are assigned (an admin sees all); every page and
every CSV refuses an anonymous request (to the login page) and another county's coordinator
(403). Forms carry a CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from notifications.tokens import make_token
from radar.reports.figures import BLIND_DAYS, CountyReport, county_reports
from radar.reports.register import RegisterError, parse_register
from radar.web.auth import (
    CLIENT_FAILURES_ALLOWED,
    FAILURE_WINDOW,
    FAILURES_ALLOWED,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_HOURS,
    on_hashing_threads,
    unknown_user_hash,
    verify_password,
)
from radar.web.charts import county_map, month_chart, municipality_tiles
from radar.web.context import BadParameterError, Context, Coordinator, PostedForm, csv_response
from radar.web.problems import register_problem
from radar.web.words import BAD_FORM, N_, month_names, words
from tenders import clock
from tenders.places import counties
from tenders.store.records import Login


def number_param(request: Request, name: str, low: int, high: int, default: int) -> int:
    """A whole number in ASCII digits within [low, high]; anything else given is a 400 page naming it.

    ``str.isdigit`` is true for "²", which ``int`` refuses: only 0-9 pass here.
    """
    value = request.query_params.get(name, "")
    if not value:
        return default
    if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
        raise BadParameterError(name, low, high)
    return int(value)


def allowed_counties(user: Login) -> set[str]:
    return set(counties()) if user.is_admin else {c for c in user.regions if c in counties()}


def dashboard_router(ctx: Context) -> APIRouter:
    router = APIRouter()
    unknown_user_hash()  # made now, so that the first login with an unknown name is not the slow one

    def year_of(request: Request) -> int:
        return number_param(request, "year", 2000, 2100, clock.today().year)

    def years() -> list[int]:
        this = clock.today().year
        return list(range(this, this - 8, -1))

    @router.get("/login")
    def login_page(request: Request, next: str = "") -> Response:
        cookie = request.cookies.get(LOGIN_COOKIE) or ctx.new_login_cookie()
        _ = words(ctx.lang(request)).gettext
        response = ctx.render(
            request, "login.html", title=_("Log in"), next=_local(next), username="", csrf_anchor=cookie
        )
        return ctx.with_form_cookie(request, response, cookie)

    @router.post("/login")
    async def login(request: Request, form: PostedForm) -> Response:
        # async only to await the hash on its own threads: the store and the page run in the thread pool
        checked = await run_in_threadpool(before_hash, request, form)
        if isinstance(checked, Response):
            return checked
        user, stored = checked
        matches = await on_hashing_threads(verify_password, str(form.get("password") or ""), stored)
        return await run_in_threadpool(after_hash, request, form, user if matches else None)

    def refused(request: Request, form: FormData, status: int, why: str) -> Response:
        """``why``: one of ``LOGIN_REFUSALS``'s messages, shown in the page's language."""
        _ = words(ctx.lang(request)).gettext
        return ctx.render(request, "login.html", title=_("Log in"), status=status, error=_(why),
                          username=str(form.get("username") or "").strip(), next=_local(str(form.get("next") or "")),
                          csrf_anchor=request.cookies.get(LOGIN_COOKIE, ""))  # fmt: skip

    def before_hash(request: Request, form: FormData) -> Response | tuple[Login | None, str]:
        """The refusal before any hashing (a bad form, a name or a client that failed too often),
        or the user (None if unknown) and the hash to check the password against."""
        if not request.cookies.get(LOGIN_COOKIE) or not ctx.form_ok(request, form):
            return refused(request, form, 403, BAD_FORM)
        username = str(form.get("username") or "").strip()
        window = timedelta(seconds=FAILURE_WINDOW)
        if (
            ctx.store.throttle_count("login-failure", username, window) >= FAILURES_ALLOWED
            or ctx.store.throttle_count("login-client", _client(request), window) >= CLIENT_FAILURES_ALLOWED
        ):
            return refused(request, form, 429, N_("Too many attempts. Wait a quarter of an hour and try again."))
        user = ctx.store.coordinator(username)
        return user, user.password_hash if user is not None else unknown_user_hash()  # the same work either way

    def after_hash(request: Request, form: FormData, user: Login | None) -> Response:
        """``user`` is None for a wrong password or an unknown name."""
        if user is None:
            ctx.store.throttle_note("login-failure", str(form.get("username") or "").strip())
            ctx.store.throttle_note("login-client", _client(request))  # not forgotten on a success elsewhere
            return refused(request, form, 401, N_("Wrong user name or password."))
        ctx.store.throttle_forget("login-failure", user.username)
        session = ctx.store.open_session(user.username, timedelta(hours=SESSION_HOURS))
        token = make_token(ctx.secret, "session", session, valid_for=SESSION_HOURS * 3600)
        target = _local(str(form.get("next") or "")) or ("/buyer" if ctx.is_buyer(user.username) else "/dashboard")
        response = RedirectResponse(ctx.base(request) + target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=ctx.secure_cookies(),
            path=ctx.cookie_path(request),
            max_age=SESSION_HOURS * 3600,
        )
        response.delete_cookie(LOGIN_COOKIE, path=ctx.cookie_path(request))
        return response

    @router.post("/logout")
    def logout(request: Request, form: PostedForm) -> Response:
        if not ctx.form_ok(request, form):
            title = words(ctx.lang(request)).gettext(BAD_FORM)
            return ctx.render(request, "message.html", title=title, status=403, user=ctx.user(request))
        ctx.end_session(request)  # the cookie is dead everywhere, not only in this browser
        response = RedirectResponse(f"{ctx.base(request)}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=ctx.cookie_path(request))
        return response

    @router.get("/dashboard")
    def overview(request: Request, user: Coordinator) -> Response:
        lang, year = ctx.lang(request, user), year_of(request)
        _ = words(lang).gettext
        allowed = allowed_counties(user)
        reports = county_reports(ctx.store, year, sorted(allowed), details=False)
        names = {code: n[lang] for code, n in counties().items()}
        ordered = sorted(reports.items(), key=lambda x: names[x[0]])
        rows: list[dict[str, Any]] = [{"code": c, "name": names[c], "f": r.totals} for c, r in ordered]
        if request.query_params.get("format") == "csv":
            return csv_response(
                f"counties-{year}.csv",
                ["county_code", "county", "seen", "social", "social_share", "reserved", "matched", "delivered", "won"],
                [
                    [
                        r["code"],
                        r["name"],
                        r["f"].seen,
                        r["f"].social,
                        round(r["f"].social_share, 3),
                        r["f"].reserved,
                        r["f"].matched,
                        r["f"].delivered,
                        r["f"].won,
                    ]
                    for r in rows
                ],
            )
        link = f"{ctx.base(request)}/dashboard/county/{{code}}?year={year}&lang={lang}"
        svg = county_map(
            {c: r.totals.seen for c, r in reports.items()}, {**names, "_title": _("Tenders by county")}, allowed, link
        )
        return ctx.render(
            request,
            "overview.html",
            title=_("Overview"),
            user=user,
            lang=lang,
            year=year,
            years=years(),
            rows=rows,
            map_svg=svg,
        )

    @router.get("/dashboard/county/{code}")
    def county(request: Request, user: Coordinator, code: str) -> Response:
        lang, year = ctx.lang(request, user), year_of(request)
        _ = words(lang).gettext
        if code not in counties():
            return ctx.render(request, "message.html", title=_("No such page."), status=404, user=user, lang=lang)
        if code not in allowed_counties(user):
            return ctx.render(request, "message.html", title=_("You are not assigned this county."), status=403,
                              user=user, lang=lang)  # fmt: skip
        days = number_param(request, "days", 1, 3650, BLIND_DAYS)
        report = county_reports(ctx.store, year, [code])[code]
        blind = report.blind_spots(clock.today(), days)
        chosen = request.query_params.get("municipality")
        municipality = chosen if chosen in report.by_municipality else None
        if request.query_params.get("format") == "csv":
            return _county_csv(report, str(request.query_params.get("table")), blind, month_names(lang), municipality)
        name = counties()[code][lang]
        by_month = report.months_of(municipality)
        months = list(zip(month_names(lang), [by_month[m] for m in range(1, 13)], strict=True))
        place = municipality or name
        chart = month_chart([(m, f.seen, f.social) for m, f in months], _("Progress by month") + f" {year}: {place}")
        link = f"?year={year}&days={days}&lang={lang}&municipality={{name}}#progress"
        tiles = municipality_tiles(
            {m: f.seen for m, f in report.by_municipality.items()}, {b for b, _last in blind}, _("Blind spots"), link
        )
        csv_base = f"?year={year}&days={days}&lang={lang}&format=csv" + (
            f"&municipality={quote(municipality)}" if municipality else ""
        )
        return ctx.render(
            request,
            "county.html",
            title=f"{name} {year}",
            user=user,
            lang=lang,
            year=year,
            years=years(),
            r=report,
            months=months,
            chart_svg=chart,
            tiles_svg=tiles,
            blind=blind,
            days=days,
            csv_base=csv_base,
            place=place,
            municipality=municipality,
        )

    @router.get("/dashboard/sources")
    def sources(request: Request, user: Coordinator) -> Response:
        lang = ctx.lang(request, user)
        rows = _source_rows(ctx)
        if request.query_params.get("format") == "csv":
            return csv_response(
                "sources.csv",
                ["source", "status", "last_run", "new", "changed", "errors", "tenders", "unplaced", "last_error"],
                [
                    [
                        r[k]
                        for k in (
                            "source",
                            "status",
                            "last_run",
                            "new",
                            "changed",
                            "errors",
                            "tenders",
                            "unplaced",
                            "last_error",
                        )
                    ]
                    for r in rows
                ],
            )
        return ctx.render(
            request, "sources.html", title=words(lang).gettext("Sources"), user=user, lang=lang, rows=rows
        )

    @router.get("/dashboard/register")
    def register_page(request: Request, user: Coordinator) -> Response:
        lang = ctx.lang(request, user)
        rows = ctx.store.register(None if user.is_admin else allowed_counties(user))
        if request.query_params.get("format") == "csv":
            return csv_response(
                "register.csv",
                ["name", "org_number", "municipality", "county", "sectors"],
                [[e.name, e.org_number, e.municipality, e.county, ";".join(e.sectors)] for e in rows],
            )
        title = words(lang).gettext("Register of social enterprises")
        return ctx.render(request, "register.html", title=title, user=user, lang=lang, rows=rows,
                          can_import=user.is_admin)  # fmt: skip

    @router.post("/dashboard/register")
    def register_import(request: Request, user: Coordinator, form: PostedForm) -> Response:
        lang = ctx.lang(request, user)
        _, ngettext = words(lang).gettext, words(lang).ngettext
        if not ctx.form_ok(request, form):
            return ctx.render(request, "message.html", title=_(BAD_FORM), status=403, user=user, lang=lang)
        if not user.is_admin:  # the register spans every county: only an admin changes it
            return ctx.render(request, "message.html", title=_("Only an administrator can import the register."),
                              status=403, user=user, lang=lang)  # fmt: skip
        upload: Any = form.get("file")
        try:
            raw = upload.file.read() if isinstance(upload, UploadFile) else b""
            entries = parse_register(raw.decode("utf-8-sig"), getattr(upload, "filename", None) or "register")
        except (RegisterError, UnicodeDecodeError) as exc:
            return ctx.render(
                request,
                "register.html",
                title=_("Register of social enterprises"),
                status=400,
                user=user,
                lang=lang,
                rows=ctx.store.register(),
                error=register_problem(exc, lang),
                can_import=True,
            )
        added, updated = ctx.store.import_register(entries)
        return ctx.render(
            request,
            "register.html",
            title=_("Register of social enterprises"),
            user=user,
            lang=lang,
            rows=ctx.store.register(),
            message=ngettext(
                "%(num)s social enterprise imported (new: %(added)s, updated: %(updated)s); the other rows stay.",
                "%(num)s social enterprises imported (new: %(added)s, updated: %(updated)s); the other rows stay.",
                added + updated,
            )
            % {"num": added + updated, "added": added, "updated": updated},
            can_import=True,
        )

    return router


def _client(request: Request) -> str:
    """The client's address as the app sees it (behind a proxy: what the server was told to trust)."""
    return request.client.host if request.client else "unknown"


def _local(target: str) -> str:
    """Only a path on this site: a login link must not send anyone elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


def _county_csv(
    report: CountyReport, table: str, blind: list[tuple[str, str | None]], names: list[str], municipality: str | None
) -> Response:
    code, year = report.county, report.year
    if table == "blind":
        return csv_response(f"{code}-{year}-blind-spots.csv", ["municipality", "last_seen"], blind)
    if table == "municipalities":
        return csv_response(
            f"{code}-{year}-municipalities.csv",
            ["municipality", "seen", "social", "reserved", "matched", "delivered", "won"],
            [
                [m, f.seen, f.social, f.reserved, f.matched, f.delivered, f.won]
                for m, f in sorted(report.by_municipality.items())
            ],
        )
    if table == "reserved":
        return csv_response(
            f"{code}-{year}-reserved.csv",
            ["id", "title", "buyer", "municipality", "published", "deadline", "score", "url"],
            [
                [t[k] for k in ("id", "title", "buyer", "municipality", "published", "deadline", "score", "url")]
                for t in report.reserved_tenders
            ],
        )
    if table == "wins":
        return csv_response(
            f"{code}-{year}-won-by-social-enterprises.csv",
            [
                "enterprise",
                "org_number",
                "tender_id",
                "title",
                "buyer",
                "municipality",
                "published",
                "value",
                "currency",
                "url",
            ],
            [
                [
                    w.enterprise,
                    w.org_number,
                    w.tender_id,
                    w.title,
                    w.buyer,
                    w.municipality,
                    w.published,
                    w.value,
                    w.currency,
                    w.url,
                ]
                for w in report.wins
            ],
        )
    months = report.months_of(municipality)
    total = report.by_municipality[municipality] if municipality else report.totals
    rows = [(f"{year}-{m:02d} ({names[m - 1]})", f) for m, f in months.items()] + [("total", total)]
    place = f"-{municipality}" if municipality else ""
    return csv_response(
        f"{code}{place}-{year}-months.csv",
        ["month", "seen", "social", "social_share", "reserved", "matched", "delivered", "won"],
        [[label, f.seen, f.social, round(f.social_share, 3), f.reserved, f.matched, f.delivered, f.won]
         for label, f in rows],
    )  # fmt: skip


def _source_rows(ctx: Context) -> list[dict[str, Any]]:
    """Per source: its freshness (``tender-radar status``), its last run and last error."""
    from radar.health import freshness, source_freshness
    from scrapers.errors import SourcesFileError

    try:
        states = source_freshness(ctx.settings, ctx.store)
    except SourcesFileError:
        states = freshness({}, ctx.store)  # the file is broken: still show what ran
    health = ctx.store.source_health()
    unplaced = ctx.store.unplaced_by_source()
    rows = []
    for state in states:
        run = health[state.source].last_run if state.source in health else None
        n_unplaced, n_tenders = unplaced.get(state.source, (0, 0))
        rows.append(
            {
                "source": state.source,
                "status": state.state,
                "last_run": run.finished_at.isoformat(sep=" ", timespec="minutes") if run else "",
                "new": run.new if run else 0,
                "changed": run.changed if run else 0,
                "errors": run.errors if run else 0,
                "unplaced": n_unplaced,
                "tenders": n_tenders,
                "last_error": (run.last_error if run and run.errors else "") or "",
                "detail": state.detail,
            }
        )
    return rows
