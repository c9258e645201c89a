"""Sweden's 290 municipalities and 21 regions: who a buyer is, by organisation number or official name.

The table (``tenders/data/municipalities.csv``) carries organisation numbers only where they were
read in Upphandlingsmyndigheten's statistics; a buyer whose number is missing or mistyped there
("REGION DALARNA" under 2331000180 as well as 2321000180) is still found by its name.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tenders.codelists import codelist

TABLE = Path(__file__).resolve().parent / "data" / "municipalities.csv"


class PlaceError(ValueError):
    """A county or municipality the table does not know."""


@dataclass(frozen=True, slots=True)
class Body:
    """A municipality or a region: ``name`` is the short form the reports use ("Falun", "Region Dalarna")."""

    kind: str  # municipality | region
    name: str
    official_name: str
    county: str  # NUTS 3
    org_number: str | None


@lru_cache(maxsize=1)
def bodies() -> tuple[Body, ...]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(
            Body(kind=r["kind"], name=r["name"], official_name=r["official_name"], county=r["county"],
                 org_number=r["org_number"] or None)
            for r in rows
        )  # fmt: skip


@lru_cache(maxsize=1)
def county_names() -> dict[str, str]:
    """NUTS 3 code -> Swedish name ("SE312" -> "Dalarnas län")."""
    return {
        code: names["sv"] for code, names in codelist("nuts_nuts-swe-lvl3").items() if re.fullmatch(r"SE\d{3}", code)
    }


def county_code(text: str) -> str:
    """``Dalarna``, ``Dalarnas län``, ``gävleborgs län`` or ``SE313`` -> the NUTS 3 code."""
    wanted = _key(text)
    for code, name in county_names().items():
        short = name.lower().removesuffix(" län")
        if wanted in {code.lower(), _key(name), short, short.removesuffix("s")}:
            return code
    raise PlaceError(f"county {text!r}: not one of Sweden's 21 counties ({', '.join(sorted(county_names().values()))})")


def municipalities_of(county: str) -> list[Body]:
    return [b for b in bodies() if b.county == county and b.kind == "municipality"]


def region_of(county: str) -> Body:
    return next(b for b in bodies() if b.county == county and b.kind == "region")


def municipality_named(text: str, county: str | None = None) -> Body:
    """``Borlänge``, ``Borlänge kommun``, ``Falu kommun`` -> the municipality (in ``county`` if given)."""
    found = _by_name().get(_key(text))
    if found is None or found.kind != "municipality" or (county and found.county != county):
        where = f" in {county_names().get(county, county)}" if county else ""
        raise PlaceError(f"municipality {text!r}: not a Swedish municipality{where}")
    return found


def body_of(org_number: str | None, name: str | None) -> tuple[Body, str] | None:
    """The municipality or region buying, and how it was found ("org_number" or "name"); else None."""
    digits = "".join(ch for ch in org_number or "" if ch.isdigit())[-10:]
    if digits and digits in _by_org():
        return _by_org()[digits], "org_number"
    if name and (body := _by_name().get(_key(name))) is not None:
        return body, "name"
    return None


@lru_cache(maxsize=1)
def _by_org() -> dict[str, Body]:
    out: dict[str, Body] = {}
    for body in bodies():
        if body.org_number:
            out.setdefault(body.org_number, body)  # Gotland's municipality before its region: one body
    return out


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Body]:
    out: dict[str, Body] = {}
    for body in bodies():
        out.setdefault(_key(body.official_name), body)
        if body.kind == "municipality":
            stem = body.official_name.removesuffix(" kommun")
            for form in (body.name, stem, f"{stem} stad"):  # "Stockholms stad", as the city calls itself
                out.setdefault(_key(form), body)
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().replace("-", " - ").split()).replace(" - ", "-")
