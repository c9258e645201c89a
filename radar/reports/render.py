"""The October report as HTML (one document, Swedish or English) and as a printable PDF (WeasyPrint)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from radar.reports.charts import bars, paired_bars

TEMPLATES = Path(__file__).resolve().parent / "templates"

TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Oktoberavstämningen", "subtitle": "Sociala hänsyn och sociala företag i offentliga upphandlingar",
        "generated": "Framtagen", "national": "Vad köparna annonserade",
        "credit_date": "Bearbetad", "credit_period": "Period",
        "procurements": "Upphandlingar", "social": "Socialt hållbara", "reserved": "Reserverade",
        "year_before": "året före", "change": "förändring", "by_municipality": "Per kommun",
        "by_sector": "Per område (CPV-huvudgrupp)", "by_title": "tillskrivna en medlemskommun efter titeln",
        "radar": "Vad radarn såg", "tenders": "Upphandlingar", "with_social": "med sociala krav",
        "matched": "matchade mot prenumeranter", "delivered": "levererade till prenumeranter",
        "coverage": "Täckning och blinda fläckar", "advertised": "annonserade", "seen": "sedda av radarn",
        "share": "täckning", "blind": "Blinda fläckar: kommuner som annonserar men som radarn inte ser",
        "none": "inga", "won": "Kontrakt som sociala företag vann", "register_match": "Företag i registret",
        "by_org": "matchade på organisationsnummer", "by_name": "matchade på namn", "count": "antal",
        "value": "värde (kr)", "economic": "Ekonomiska föreningar", "non_profit": "Ideella föreningar",
        "enterprises": "Sociala företag", "in_register": "i registret", "subscribed": "prenumererar",
        "active": "aktiva", "interest": "visat intresse", "not_kept": "uppgift saknas (köparnas notiser sparas inte)",
        "method": "Metod", "municipality": "Kommun", "not_imported": "Statistiken för året är inte importerad.",
        "reserved_list": "Reserverade upphandlingar", "this_year": "år", "figure": "Siffra",
        "enterprise": "Företag", "procurement": "Upphandling", "other": "övriga områden", "not_held": "ej importerad",
        "m_sources": "Källor", "m_definitions": "Definitioner", "m_limits": "Vad statistiken inte visar",
        "d_procurements": "Upphandlingar: olika Upphandlings-ID vars köpare är en av länets kommuner eller regionen "
        "(organisationsnummer, annars officiellt namn).",
        "d_social": "Socialt hållbara: markerade ”Socialt hållbar upphandling”.",
        "d_reserved": "Reserverade: markerade ”Reserverad upphandling” eller ”Reserverat genomförande”.",
        "d_title": "En kommun som upphandlar åt sina grannar (Ludvika kommun för UpphandlingsCenter) räknas "
        "till den enda medlemskommun som titeln nämner.",
        "d_coverage": "Täckning: vad radarn såg delat med vad som annonserades, per kommun.",
        "d_won": "Vunna kontrakt: registrets företag på organisationsnummer i radarns tilldelningar, annars på "
        "normaliserat namn i statistiken (som saknar leverantörens organisationsnummer). Värdet är hela "
        "upphandlingens kontrakterade värde, en gång per upphandling.",
        "l_direct": "Direktupphandlingar annonseras inte och finns inte i statistiken.",
        "l_late": "Statistiken kommer ungefär ett år i efterhand.",
        "l_sample": "Statistiken är det som köparna angav vid annonseringen; flaggor som saknas räknas som nej.",
    },
    "en": {
        "title": "The October check-in", "subtitle": "Social requirements and social enterprises in public procurement",
        "generated": "Generated", "national": "What the buyers advertised",
        "credit_date": "Processed", "credit_period": "Period",
        "procurements": "Procurements", "social": "Socially sustainable", "reserved": "Reserved",
        "year_before": "year before", "change": "change", "by_municipality": "By municipality",
        "by_sector": "By sector (CPV division)", "by_title": "attributed to a member municipality by title",
        "radar": "What the radar saw", "tenders": "Procurements", "with_social": "with social requirements",
        "matched": "matched to subscribers", "delivered": "delivered to subscribers",
        "coverage": "Coverage and blind spots", "advertised": "advertised", "seen": "seen by the radar",
        "share": "coverage", "blind": "Blind spots: municipalities that advertise and that the radar does not see",
        "none": "none", "won": "Contracts won by social enterprises", "register_match": "Enterprises in the register",
        "by_org": "matched by organisation number", "by_name": "matched by name", "count": "count",
        "value": "value (SEK)", "economic": "Economic associations", "non_profit": "Non-profit associations",
        "enterprises": "Social enterprises", "in_register": "in the register", "subscribed": "subscribed",
        "active": "active", "interest": "interest shown", "not_kept": "not available (buyers' notices are not kept)",
        "method": "Method", "municipality": "Municipality",
        "not_imported": "The statistics for the year are not imported.",
        "reserved_list": "Reserved procurements", "this_year": "year", "figure": "Figure",
        "enterprise": "Enterprise", "procurement": "Procurement", "other": "other sectors", "not_held": "not imported",
        "m_sources": "Sources", "m_definitions": "Definitions", "m_limits": "What the statistics cannot show",
        "d_procurements": "Procurements: distinct Upphandlings-IDs whose buyer is one of the county's municipalities "
        "or its region (organisation number, else official name).",
        "d_social": "Socially sustainable: marked \u201cSocialt hållbar upphandling\u201d.",
        "d_reserved": "Reserved: marked \u201cReserverad upphandling\u201d or \u201cReserverat genomförande\u201d.",
        "d_title": "A municipality buying for its neighbours (Ludvika kommun for UpphandlingsCenter) counts for the "
        "one member municipality its title names.",
        "d_coverage": "Coverage: what the radar saw divided by what was advertised, per municipality.",
        "d_won": "Contracts won: the register's enterprises by organisation number in the radar's award notices, "
        "else by normalised name in the statistics (which carry no supplier number). The value is the whole "
        "procurement's contracted value, once per procurement.",
        "l_direct": "Direct awards are not advertised and are not in the statistics.",
        "l_late": "The statistics come about a year late.",
        "l_sample": "The statistics are what buyers declared when advertising; a missing flag counts as no.",
    },
}  # fmt: skip


def render_html(report: dict[str, Any], language: str = "sv") -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)  # fmt: skip
    t = TEXT[language]
    national = report["national_statistics"]
    places = list(national["by_municipality"])
    charts = {
        "municipalities": paired_bars(
            [(p, national["by_municipality"][p]["procurements"], report["coverage"][p]["seen"]) for p in places],
            (t["advertised"], t["seen"]), t["by_municipality"],
        ),
        "years": paired_bars(
            [(t[k], national[k], national["year_before"][k]) for k in ("procurements", "social", "reserved")],
            (str(report["year"]), str(report["year"] - 1) + ("" if national["year_before"]["available"]
                                                             else f": {t['not_held']}")), t["national"],
        ),
        "sectors": bars([(t["other"] if k == "other" else k, v) for k, v in national["by_sector"].items()],
                        t["by_sector"]),
    }  # fmt: skip
    return env.get_template("october_report.html").render(r=report, t=t, lang=language, charts=charts,
                                                          number=_number)  # fmt: skip


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
