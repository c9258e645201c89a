"""What the coordinators report: coverage, progress, blind spots and contracts won, per county.

Computed from the store in one pass over the tenders (a year of Swedish tenders is some
tens of thousands of rows). A tender belongs to a county by its buyer's NUTS 3 code, else
by its place of performance, else by its buyer's name when that is a municipality; it
belongs to a municipality only by the buyer's name: TED places nothing finer than a county.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tenders.orgnr import digits
from tenders.places import counties, municipalities_by_county, municipality_of
from tenders.store import EnterpriseRow, Store, TenderRow

SOCIAL_CODES = frozenset({
    "reserved_participation", "reserved_execution", "social_objective_employment", "social_objective",
    "strategic_social", "vcse", "text_reserved", "text_employment", "text_social_criteria",
})  # fmt: skip
RESERVED_CODES = frozenset({"reserved_participation", "reserved_execution", "text_reserved"})
SEEN_TYPES = frozenset({"competition", "planning", "other"})  # a new procedure; results and changes are not
BLIND_DAYS = 90


def county_of(row: dict[str, Any]) -> str | None:
    for code in [row.get("buyer_nuts"), *(row.get("nuts") or [])]:
        if isinstance(code, str) and code[:5] in counties():
            return code[:5]
    found = municipality_of(row.get("buyer_name"))
    if found:
        return found[1]
    region = re.match(r"\s*Region\s+(\w+)", str(row.get("buyer_name") or ""))  # "Region Dalarna": a county
    if region:
        wanted = region.group(1).lower().removesuffix("s")
        for code, names in counties().items():
            if names["sv"].lower().removesuffix(" län").removesuffix("s") == wanted:
                return code
    return None


@dataclass
class Figures:
    """One place's figures for a period."""

    seen: int = 0
    social: int = 0
    reserved: int = 0
    matched: int = 0
    delivered: int = 0
    won: int = 0

    @property
    def social_share(self) -> float:
        return self.social / self.seen if self.seen else 0.0

    def add(self, other: Figures) -> None:
        for name in ("seen", "social", "reserved", "matched", "delivered", "won"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Win:
    tender_id: str
    title: str | None
    buyer: str | None
    municipality: str | None
    published: str | None
    enterprise: str
    org_number: str
    value: float | None
    currency: str | None
    url: str | None


@dataclass
class CountyReport:
    county: str
    year: int
    totals: Figures = field(default_factory=Figures)
    by_month: dict[int, Figures] = field(default_factory=lambda: {m: Figures() for m in range(1, 13)})
    by_municipality: dict[str, Figures] = field(default_factory=dict)
    municipality_months: dict[str, dict[int, Figures]] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)  # municipality -> last publication date, any year
    wins: list[Win] = field(default_factory=list)
    reserved_tenders: list[dict[str, Any]] = field(default_factory=list)

    def months_of(self, municipality: str | None) -> dict[int, Figures]:
        """The county's months, or one municipality's (as a buyer)."""
        if municipality is None:
            return self.by_month
        return self.municipality_months.get(municipality) or {m: Figures() for m in range(1, 13)}

    def blind_spots(self, today: date, days: int = BLIND_DAYS) -> list[tuple[str, str | None]]:
        """Municipalities as buyers with no tender seen for ``days``: usually a source is missing."""
        limit = (today - timedelta(days=days)).isoformat()
        out = []
        for name in municipalities_by_county().get(self.county, []):
            last = self.last_seen.get(name)
            if last is None or last < limit:
                out.append((name, last))
        return out


def county_reports(store: Store, year: int, wanted: Iterable[str] | None = None) -> dict[str, CountyReport]:
    """Every wanted county's report for ``year``, from one pass over the store."""
    codes = [c for c in (wanted if wanted is not None else counties()) if c in counties()]
    reports = {code: CountyReport(county=code, year=year) for code in codes}
    for report in reports.values():
        report.by_municipality = {name: Figures() for name in municipalities_by_county().get(report.county, [])}
    register = {e.org_number: e for e in store.register()}
    matched = store.matched_tenders()
    delivered = store.delivered_tenders()
    prefix = str(year)
    for row in store.report_rows():
        data = row.data
        county = county_of(data)
        found = reports.get(county or "")
        if found is None:
            continue
        report = found
        place = municipality_of(data.get("buyer_name"))
        municipality = place[0] if place and place[1] == report.county else None
        published = row.published or row.first_seen.date().isoformat()
        if municipality and row.notice_type in SEEN_TYPES:
            report.last_seen[municipality] = max(report.last_seen.get(municipality, ""), published)
        if not published.startswith(prefix):
            continue
        figures = _figures(row, register, matched, delivered)
        report.totals.add(figures)
        report.by_month[int(published[5:7])].add(figures)
        if municipality:
            report.by_municipality[municipality].add(figures)
            months = report.municipality_months.setdefault(municipality, {m: Figures() for m in range(1, 13)})
            months[int(published[5:7])].add(figures)
        if figures.reserved:
            report.reserved_tenders.append(_summary(row, municipality))
        report.wins += _wins(row, register, municipality)
    return reports


def _figures(
    row: TenderRow, register: dict[str, EnterpriseRow], matched: set[str], delivered: dict[str, int]
) -> Figures:
    codes = {r.get("code") for r in row.reasons or [] if isinstance(r, dict) and r.get("weight", 0) > 0}
    out = Figures()
    if row.notice_type in SEEN_TYPES:
        out.seen = 1
        out.social = int(bool(codes & SOCIAL_CODES))
        out.reserved = int(bool(codes & RESERVED_CODES))
        out.matched = int(row.id in matched)
        out.delivered = delivered.get(row.id, 0)
    elif row.notice_type == "result":
        winners = row.data.get("winners") or []
        out.won = int(any(digits(w.get("org_id")) in register for w in winners if isinstance(w, dict)))
    return out


def _wins(row: TenderRow, register: dict[str, EnterpriseRow], municipality: str | None) -> list[Win]:
    if row.notice_type != "result":
        return []
    data = row.data
    out = []
    for winner in data.get("winners") or []:
        enterprise = register.get(digits(winner.get("org_id"))) if isinstance(winner, dict) else None
        if enterprise is not None:
            out.append(Win(tender_id=row.id, title=data.get("title"), buyer=data.get("buyer_name"),
                           municipality=municipality, published=row.published, enterprise=enterprise.name,
                           org_number=enterprise.org_number, value=data.get("estimated_value"),
                           currency=data.get("currency"), url=data.get("url")))  # fmt: skip
    return out


def _summary(row: TenderRow, municipality: str | None) -> dict[str, Any]:
    data = row.data
    return {
        "id": row.id, "title": row.title, "buyer": data.get("buyer_name"), "municipality": municipality,
        "published": row.published, "deadline": row.deadline, "score": row.score, "url": data.get("url"),
    }  # fmt: skip
