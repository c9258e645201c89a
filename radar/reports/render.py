"""The October report as HTML (one document, Swedish or English) and as a printable PDF (WeasyPrint)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from radar.reports.charts import bars, paired_bars
from radar.reports.october import NO_DIVISION
from radar.wording import N_, words

TEMPLATES = Path(__file__).resolve().parent / "templates"
FIGURES = (("procurements", N_("Procurements")), ("social", N_("Socially sustainable")), ("reserved", N_("Reserved")))

STATISTICS = {
    "procurements": N_("advertised procurements"),
    "contracts": N_("contracted suppliers"),
    "values": N_("contracted value"),
}  # the statistics' exports by name, not by their code


@cache
def _environment(language: str) -> Environment:
    """The report template's environment for one language, ``_`` from ``radar/locale``."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"])  # fmt: skip
    env.install_gettext_translations(words(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def title(language: str, year: int, county: str) -> str:
    """ "Oktoberavstämningen 2021: Dalarnas län": the report's title, also its mail's subject."""
    return words(language).gettext("The October check-in %(year)d: %(county)s") % {"year": year, "county": county}


def render_html(report: dict[str, Any], language: str = "sv") -> str:
    _ = words(language).gettext
    national = report["national_statistics"]
    places = list(national["by_municipality"])
    charts = {
        "municipalities": paired_bars(
            [(p, national["by_municipality"][p]["procurements"], report["coverage"][p]["seen"]) for p in places],
            (_("advertised"), _("seen by the radar")), _("By municipality"),
        ),
        "years": paired_bars(
            [(_(name), national[k], national["year_before"][k]) for k, name in FIGURES],
            (str(report["year"]), str(report["year"] - 1) + ("" if national["year_before"]["available"]
                                                             else ": " + _("not imported"))),
            _("What the buyers advertised"),
        ),
        "sectors": bars([(_sector(k, _), v) for k, v in national["by_sector"].items()], _("By sector (CPV division)")),
    }  # fmt: skip
    names = {kind: _(name) for kind, name in STATISTICS.items()}
    return (
        _environment(language)
        .get_template("october_report.html")
        .render(r=report, lang=language, charts=charts, number=_number, statistics_names=names)
    )


def _sector(key: str, _: Any) -> str:
    """A CPV division as the statistics name it; the rest and the rows without one in the reader's words."""
    if key == "other":
        return str(_("other sectors"))
    return str(_("CPV division not given")) if key == NO_DIVISION else key


def render_as(report: dict[str, Any], fmt: str, language: str = "sv") -> bytes:
    """The report as a file: ``pdf``, ``html`` or ``json`` (the CLI's output and the page's downloads)."""
    if fmt == "pdf":
        return render_pdf(report, language)
    if fmt == "html":
        return render_html(report, language).encode("utf-8")
    return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_pdf(report: dict[str, Any], language: str = "sv") -> bytes:
    """The report as PDF. WeasyPrint may fetch nothing but inline ``data:`` URLs: the report is
    self-contained (inline SVG charts, inline CSS), so a template slip cannot make it fetch a URL
    or attach a local file (``<link rel="attachment" href="file:///...">``) to a mailed PDF."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    inline_only = URLFetcher(allowed_protocols=["data"], allow_redirects=False)
    pdf = HTML(string=render_html(report, language), base_url=str(TEMPLATES), url_fetcher=inline_only).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _number(value: float | int | None, language: str) -> str:
    """12 345 (sv) or 12,345 (en); None as a dash."""
    if value is None:
        return "–"
    text = f"{round(value):,}"
    return text.replace(",", "\u00a0") if language == "sv" else text
