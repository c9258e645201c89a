"""The dashboard's "Report" page per county: the October check-in on screen, with its downloads.

Scoped like every coordinator page: anonymous visitors go to the login page, another county's
coordinator gets 403, for the page and for each download (PDF, HTML, JSON).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from radar.october_report import build_report
from radar.report_charts import paired_bars
from radar.report_render import TEXT, render_html, render_pdf
from tenders.municipalities import PlaceError, county_names, municipality_named
from web.context import Context
from web.dashboard import allowed_counties
from web.i18n import STRINGS

DOWNLOADS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": "application/json"}


def add_report_page(app: FastAPI, ctx: Context) -> None:
    @app.get("/dashboard/county/{code}/report")
    def report_page(request: Request, code: str) -> Response:
        user = ctx.user(request)
        if user is None:
            return ctx.login_redirect(request)
        lang = ctx.lang(request, user)
        s = STRINGS[lang]
        if code not in allowed_counties(user):
            status, title = (403, s["forbidden"]) if code in county_names() else (404, s["not_found"])
            return ctx.render(request, "message.html", title=title, status=status, user=user, lang=lang)
        value = request.query_params.get("year", "")
        year = int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else date.today().year - 1
        chosen = request.query_params.get("municipality") or None
        try:
            municipality = municipality_named(chosen, code).name if chosen else None
        except PlaceError:
            return ctx.render(request, "message.html", title=s["not_found"], status=404, user=user, lang=lang)
        report = build_report(ctx.store, code, year, municipality)
        fmt = request.query_params.get("format", "")
        if fmt in DOWNLOADS:
            return _download(report, fmt, lang)
        t = TEXT[lang]
        national = report["national_statistics"]
        chart = paired_bars(
            [(p, f["procurements"], report["coverage"][p]["seen"]) for p, f in national["by_municipality"].items()],
            (t["advertised"], t["seen"]),
            t["by_municipality"],
        )
        return ctx.render(request, "report.html", title=f"{t['title']} {year}: {report['county']['name']}", user=user,
                          lang=lang, r=report, t=t, chart_svg=chart, year=year,
                          years=list(range(date.today().year, date.today().year - 8, -1)))  # fmt: skip


def _download(report: dict[str, Any], fmt: str, lang: str) -> Response:
    slug = f"{report['county']['code']}-{report['year']}" + (
        f"-{report['municipality']}" if report["municipality"] else ""
    )
    if fmt == "pdf":
        body: bytes = render_pdf(report, lang)
    elif fmt == "html":
        body = render_html(report, lang).encode("utf-8")
    else:
        body = json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")
    headers = {
        "Content-Disposition": f'attachment; filename="october-report-{slug.encode("ascii", "ignore").decode()}'
        f'-{lang}.{fmt}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=DOWNLOADS[fmt], headers=headers)
