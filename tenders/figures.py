"""The coordinators' figures as the store hands them back: per county, month and municipality.

Plain data, built by ``Store.county_reports`` (``tenders/store/dashboard.py``), the one code
path the dashboard, its CSVs and the reports read, so that their numbers cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tenders.places import municipalities_by_county

BLIND_DAYS = 90


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
        self.seen += other.seen
        self.social += other.social
        self.reserved += other.reserved
        self.matched += other.matched
        self.delivered += other.delivered
        self.won += other.won


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


def _months() -> dict[int, Figures]:
    return {m: Figures() for m in range(1, 13)}


@dataclass
class CountyReport:
    county: str
    year: int
    totals: Figures = field(default_factory=Figures)
    by_month: dict[int, Figures] = field(default_factory=_months)
    by_municipality: dict[str, Figures] = field(default_factory=dict)
    municipality_months: dict[str, dict[int, Figures]] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)  # municipality -> last publication date, any year
    wins: list[Win] = field(default_factory=list)
    reserved_tenders: list[dict[str, Any]] = field(default_factory=list)

    def months_of(self, municipality: str | None) -> dict[int, Figures]:
        """The county's months, or one municipality's (as a buyer)."""
        if municipality is None:
            return self.by_month
        return self.municipality_months.get(municipality) or _months()

    def blind_spots(self, today: date, days: int = BLIND_DAYS) -> list[tuple[str, str | None]]:
        """Municipalities as buyers with no tender seen for ``days``: usually a source is missing."""
        limit = (today - timedelta(days=days)).isoformat()
        out = []
        for name in municipalities_by_county().get(self.county, []):
            last = self.last_seen.get(name)
            if last is None or last < limit:
                out.append((name, last))
        return out
