"""The dashboard's "Report" page per county: the October check-in on screen, with its downloads.

Scoped like every coordinator page: anonymous visitors go to the login page (the ``Coordinator``
dependency), another county's coordinator gets 403, for the page and for each download (PDF,
HTML, JSON).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from radar.reports.charts import paired_bars
from radar.reports.october import build_report
from radar.reports.render import render_as
from radar.web.context import Context, Coordinator
from radar.web.dashboard import allowed_counties
from radar.web.words import words
from tenders import clock
from tenders.places import PlaceError, counties, municipality_named

DOWNLOADS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": "application/json"}


def report_router(ctx: Context) -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard/county/{code}/report")
    def report_page(request: Request, user: Coordinator, code: str) -> Response:
        lang = ctx.lang(request, user)
        _ = words(lang).gettext
        if code not in counties():
            return ctx.render(request, "message.html", title=_("No such page."), status=404, user=user, lang=lang)
        if code not in allowed_counties(user):
            return ctx.render(request, "message.html", title=_("You are not assigned this county."), status=403,
                              user=user, lang=lang)  # fmt: skip
        value = request.query_params.get("year", "")
        year = int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else clock.today().year - 1
        chosen = request.query_params.get("municipality") or None
        try:
            municipality = municipality_named(chosen, code).name if chosen else None
        except PlaceError:
            return ctx.render(request, "message.html", title=_("No such page."), status=404, user=user, lang=lang)
        report = build_report(ctx.store, code, year, municipality, processed_by=ctx.settings.from_name)
        fmt = request.query_params.get("format", "")
        if fmt in DOWNLOADS:
            return _download(report, fmt, lang)
        national = report["national_statistics"]
        chart = paired_bars(
            [(p, f["procurements"], report["coverage"][p]["seen"]) for p, f in national["by_municipality"].items()],
            (_("advertised"), _("seen by the radar")),
            _("By municipality"),
        )
        title = _("The October check-in") + f" {year}: {report['county']['name']}"
        return ctx.render(request, "report.html", title=title, user=user, lang=lang, r=report, chart_svg=chart,
                          year=year, years=list(range(clock.today().year, clock.today().year - 8, -1)))  # fmt: skip

    return router


def _download(report: dict[str, Any], fmt: str, lang: str) -> Response:
    slug = f"{report['county']['code']}-{report['year']}" + (
        f"-{report['municipality']}" if report["municipality"] else ""
    )
    headers = {
        "Content-Disposition": f'attachment; filename="october-report-{slug.encode("ascii", "ignore").decode()}'
        f'-{lang}.{fmt}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(render_as(report, fmt, lang), media_type=DOWNLOADS[fmt], headers=headers)
