"""The October check-in: one county's year against Upphandlingsmyndigheten's national statistics.

For the year and the year before: what the county's buyers advertised (the statistics), what the
radar saw, coverage and blind spots per municipality, the contracts social enterprises won, and
the enterprises themselves. ``build_report`` returns plain data (the JSON form); the HTML and PDF
are rendered from it by ``radar.reports.render``.

The figures are Upphandlingsmyndigheten's, processed: its terms for its open data ("Vår öppna
data") want the source, the date and the period the figures cover, and processed figures must
not name Upphandlingsmyndigheten as their source but say who processed them, as "Uppgifter:
Upphandlingsmyndigheten | Bearbetning: <who>". ``credit`` carries that line, the date and the period.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from radar.buyers.interest import interest_shown
from radar.reports.figures import Figures, county_reports
from tenders import clock
from tenders.orgnr import digits
from tenders.places import county_names, municipalities_of, municipality_named, region_of
from tenders.store import Store

ECONOMIC = "Ekonomiska föreningar"
NON_PROFIT = "Ideella föreningar"
TOP_SECTORS = 8
NO_DIVISION = "00000000 Uppgift saknas"  # a row without a CPV division, as the statistics say it
LEGAL_SUFFIXES = re.compile(
    r"\b(ab|aktiebolag|publ|ek\s*för|ekonomisk förening|ekonomiska föreningen|ideell förening|ideella föreningen|"
    r"kb|hb|handelsbolag|stiftelse|stiftelsen|förening|föreningen)\b"
)


def build_report(
    store: Store,
    county: str,
    year: int,
    municipality: str | None = None,
    now: datetime | None = None,
    processed_by: str = "Social Tender Radar",
) -> dict[str, Any]:
    """The report's data for one county (NUTS 3 code) and year, optionally one municipality's part of it;
    ``processed_by`` names who processed the statistics (the credit line)."""
    only = municipality_named(municipality, county).name if municipality else None
    imported = store.statistics_years()
    places = [b.name for b in municipalities_of(county)] + [region_of(county).name]
    if only:
        places = [only]
    national = {y: _national(store.statistics_rows("procurements", y, county), places, only) for y in (year, year - 1)}
    radar_reports = {y: county_reports(store, y, [county])[county] for y in (year, year - 1)}
    radar = {y: _radar(radar_reports[y], places, only) for y in (year, year - 1)}
    coverage = _coverage(national[year]["by_municipality"], radar[year]["by_municipality"])
    register = [e for e in store.register()]
    contracts = _contracts(store, county, year, only, register, radar_reports[year])
    generated = (now or clock.aware_utcnow()).replace(microsecond=0).isoformat()
    return {
        "county": {"code": county, "name": county_names()[county]},
        "municipality": only,
        "year": year,
        "generated_at": generated,
        "credit": credit(processed_by, generated[:10], [y for y in (year - 1, year) if national[y]["available"]]),
        "national_statistics": {**national[year], "year_before": national[year - 1]},
        "radar": {**radar[year], "year_before": radar[year - 1]},
        "coverage": coverage,
        "blind_spots": [name for name, c in coverage.items() if c["advertised"] and not c["seen"]],
        "contracts_won": contracts,
        "enterprises": {**_enterprises(store, county, only, register), **interest_shown(store, county, year, only)},
        "method": _method(imported, year),
    }


def _national(rows: Sequence[Any], places: list[str], only: str | None) -> dict[str, Any]:
    """Distinct Upphandlings-IDs of the county's municipalities and region (or of one municipality)."""
    first: dict[str, Any] = {}
    for row in rows:
        if only is None or row.municipality == only:
            first.setdefault(row.procurement_id, row)
    by_place = {name: {"procurements": 0, "social": 0, "reserved": 0} for name in places}
    sectors: Counter[str] = Counter()
    for row in first.values():
        figures = by_place.setdefault(row.municipality, {"procurements": 0, "social": 0, "reserved": 0})
        figures["procurements"] += 1
        figures["social"] += row.social
        figures["reserved"] += row.reserved or row.reserved_execution
        sectors[row.cpv_division or NO_DIVISION] += 1
    by_sector = dict(sectors.most_common(TOP_SECTORS))
    if len(sectors) > TOP_SECTORS:
        by_sector["other"] = sum(sectors.values()) - sum(by_sector.values())
    return {
        "available": bool(rows),
        "procurements": len(first),
        "social": sum(1 for r in first.values() if r.social),
        "reserved": sum(1 for r in first.values() if r.reserved or r.reserved_execution),
        "by_municipality": by_place,
        "by_sector": by_sector,
        "attributed_by_title": sum(1 for r in first.values() if r.attributed_by == "title"),
        "reserved_procurements": [
            {"id": r.procurement_id, "title": r.title, "buyer": r.buyer_name, "municipality": r.municipality}
            for r in first.values() if r.reserved or r.reserved_execution
        ],
    }  # fmt: skip


def _radar(report: Any, places: list[str], only: str | None) -> dict[str, Any]:
    def keys(f: Figures) -> dict[str, int]:
        return {"procurements": f.seen, "social": f.social, "reserved": f.reserved, "matched": f.matched,
                "delivered": f.delivered}  # fmt: skip

    by_place = {name: keys(report.by_municipality.get(name) or Figures()) for name in places}
    total = keys(report.by_municipality.get(only) or Figures()) if only else keys(report.totals)
    return {**total, "by_municipality": by_place}


def _coverage(national: dict[str, dict[str, int]], radar: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Per municipality: what the radar saw divided by what was advertised (None where nothing was)."""
    out = {}
    for name, figures in national.items():
        advertised, seen = figures["procurements"], radar.get(name, {}).get("procurements", 0)
        out[name] = {"advertised": advertised, "seen": seen,
                     "coverage": round(seen / advertised, 3) if advertised else None}  # fmt: skip
    return out


def normalised_name(name: str | None) -> str:
    """ "Mora Städ & Trädgård Ekonomisk Förening" and "MORA STÄD OCH TRÄDGÅRD EK. FÖR." alike."""
    text = (name or "").lower().replace("&", " och ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = LEGAL_SUFFIXES.sub(" ", text)
    return " ".join(text.split())


def _contracts(
    store: Store, county: str, year: int, only: str | None, register: Sequence[Any], report: Any
) -> dict[str, Any]:
    """Contracts won by the register's enterprises (number, else name) and by associations (legal form)."""
    rows = [r for r in store.statistics_rows("contracts", year, county) if only is None or r.municipality == only]
    values: dict[str, float] = defaultdict(float)
    for v in store.statistics_rows("values", year, county):
        values[v.procurement_id] += v.value or 0.0
    by_name = {normalised_name(e.name): e for e in register if normalised_name(e.name)}
    won_by_name = [r for r in rows if normalised_name(r.supplier_name) in by_name]
    wins = [w for w in report.wins if only is None or w.municipality == only]
    listed = [
        {"procurement_id": r.procurement_id, "title": r.title, "buyer": r.buyer_name, "municipality": r.municipality,
         "enterprise": by_name[normalised_name(r.supplier_name)].name, "matched_by": "name",
         "value": values.get(r.procurement_id)}
        for r in won_by_name
    ] + [
        {"procurement_id": w.tender_id, "title": w.title, "buyer": w.buyer, "municipality": w.municipality,
         "enterprise": w.enterprise, "matched_by": "org_number", "value": w.value}
        for w in wins
    ]  # fmt: skip
    return {
        "register": {
            "count": len(listed),
            "value": _sum_values(won_by_name, values) + sum(w.value or 0.0 for w in wins),
            "matched_by_org_number": len(wins),
            "matched_by_name": len(won_by_name),
            "contracts": listed,
        },
        "economic_associations": _by_form(rows, ECONOMIC, values),
        "non_profit_associations": _by_form(rows, NON_PROFIT, values),
        "contracts_in_statistics": sum(r.contracts for r in rows),
    }


def _by_form(rows: Iterable[Any], form: str, values: dict[str, float]) -> dict[str, Any]:
    won = [r for r in rows if r.supplier_legal_form == form]
    return {
        "count": sum(r.contracts for r in won),
        "value": _sum_values(won, values),
        "suppliers": sorted({r.supplier_name for r in won if r.supplier_name}),
    }


def _sum_values(rows: Iterable[Any], values: dict[str, float]) -> float:
    """The contracted value of the procurements won, each procurement once (the statistics give no share per winner)."""
    return float(sum(values.get(pid, 0.0) for pid in {r.procurement_id for r in rows}))


def _enterprises(store: Store, county: str, only: str | None, register: Sequence[Any]) -> dict[str, Any]:
    mine = [e for e in register if e.county == county and (only is None or e.municipality == only)]
    numbers = {e.org_number for e in mine}
    subscribed, active = set(), set()
    for row in store.signed_up():
        number = digits(str(row.profile.get("org_number") or ""))
        if number in numbers and row.status != "unsubscribed":
            subscribed.add(number)
            if row.status == "active":
                active.add(number)
    return {"in_register": len(mine), "subscribed": len(subscribed), "active": len(active)}


def credit(processed_by: str, day: str, years: Sequence[int]) -> dict[str, Any]:
    """The credit Upphandlingsmyndigheten's terms ask of processed figures, with the date and the period."""
    who = " ".join(processed_by.split()) or "Social Tender Radar"
    period = f"{min(years)}–{max(years)}" if len(years) > 1 else (str(years[0]) if years else "–")
    return {"line": f"Uppgifter: Upphandlingsmyndigheten | Bearbetning: {who}", "processed_by": who, "date": day,
            "period": period}  # fmt: skip


def _method(imported: dict[str, dict[int, int]], year: int) -> dict[str, Any]:
    """What the report was made from: its two sources (described in words by the rendered report) and
    the years of each statistics export held."""
    return {
        "sources": ["upphandlingsmyndigheten-statistics", "social-tender-radar"],
        "statistics_held": {kind: sorted(years) for kind, years in imported.items()},
        "year": year,
    }
