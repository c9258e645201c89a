"""A tender's facts for the coordinators' figures: where it counts, when, and what kind it is.

Kept as indexed columns beside the tender (the store sets them on every write and every
re-assessment), so that a county's figures are a ``GROUP BY`` over its rows and never a loop
over the whole store. A tender belongs to a county by its buyer's NUTS 3 code, else by its
place of performance, else by its buyer's name when that is a municipality or a region; it
belongs to a municipality only by its buyer: TED places nothing finer than a county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tenders.orgnr import digits
from tenders.places import buyer_body, counties, municipality_named, municipality_of

SOCIAL_CODES = frozenset({
    "reserved_participation", "reserved_execution", "social_objective_employment", "social_objective",
    "strategic_social", "vcse", "text_reserved", "text_employment", "text_social_criteria",
})  # fmt: skip
RESERVED_CODES = frozenset({"reserved_participation", "reserved_execution", "text_reserved"})
SEEN_TYPES = frozenset({"competition", "planning", "other"})  # a new procedure; results and changes are not


@dataclass(frozen=True, slots=True)
class Where:
    """Where a tender is, and how that was read: "nuts" (the notice's own codes), "org_number",
    "name" or "title" (by its buyer, ``tenders.places.buyer_body``), or None: unplaced."""

    county: str | None
    municipality: str | None
    by: str | None


def where(row: dict[str, Any]) -> Where:
    """A tender's county: its buyer's NUTS 3 code, else its place of performance, else its buyer
    (organisation number, else official name; a joint body by the member its title names), else
    the buyer's name when it reads "X kommun, ..." or "Region X". Its municipality: the buyer's
    only, as TED places nothing finer than a county."""
    body = buyer_body(_text(row.get("buyer_org_id")), _text(row.get("buyer_name")), _text(row.get("title")))
    if body is None and (named := municipality_of(_text(row.get("buyer_name")))):
        body = (municipality_named(named[0]), "name")
    municipality = body[0].name if body and body[0].kind == "municipality" else None
    for code in [row.get("buyer_nuts"), *(row.get("nuts") or [])]:
        if isinstance(code, str) and code[:5] in counties():
            county = code[:5]
            return Where(county, municipality if body and body[0].county == county else None, "nuts")
    if body is not None:
        return Where(body[0].county, municipality, body[1])
    region = re.match(r"\s*Region\s+(\w+)", str(row.get("buyer_name") or ""))  # "Region Dalarna": a county
    if region:
        wanted = region.group(1).lower().removesuffix("s")
        for code, names in counties().items():
            if names["sv"].lower().removesuffix(" län").removesuffix("s") == wanted:
                return Where(code, None, "name")
    return Where(None, None, None)


def county_of(row: dict[str, Any]) -> str | None:
    return where(row).county


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True, slots=True)
class Place:
    """Where and when a tender counts: county and municipality (as a buyer), its day and month."""

    county: str | None
    municipality: str | None
    day: str  # YYYY-MM-DD: the publication date, else the day the tender was first seen
    month: str  # YYYY-MM


def place_of(data: dict[str, Any], first_seen: datetime | date) -> Place:
    found = where(data)
    county, municipality = found.county, found.municipality
    published = data.get("published")
    day = published[:10] if isinstance(published, str) and _ISO_DAY.match(published) else first_seen.isoformat()[:10]
    return Place(county=county, municipality=municipality, day=day, month=day[:7])


def judged(reasons: list[Any] | None) -> tuple[bool, bool]:
    """(with social requirements, reserved) as a verdict's reasons say."""
    codes = {r.get("code") for r in reasons or [] if isinstance(r, dict) and (r.get("weight") or 0) > 0}
    return bool(codes & SOCIAL_CODES), bool(codes & RESERVED_CODES)


def winner_orgs(data: dict[str, Any]) -> list[str]:
    """A result's winners as ten-digit organisation numbers (the register's key), each once."""
    if data.get("notice_type") != "result":
        return []
    out: list[str] = []
    for winner in data.get("winners") or []:
        number = digits(winner.get("org_id")) if isinstance(winner, dict) else ""
        if number and number not in out:
            out.append(number)
    return out


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
