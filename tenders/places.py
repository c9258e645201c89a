"""Swedish places: counties (NUTS 3), the 290 municipalities and 21 regions, and who a buyer is.

One table for every caller (``tenders/data/municipalities.csv``): the subscriptions' regions, the
register's municipalities, the coordinators' figures and the October report read the same names.
Each municipality carries its official name, which is the genitive a buyer writes ("Falu kommun",
"Malung-Sälens kommun"), and its organisation number where Upphandlingsmyndigheten's statistics
gave one; a buyer whose number is missing or mistyped there ("REGION DALARNA" under 2331000180 as
well as 2321000180) is still found by its name. TED places a tender no finer than NUTS 3, so a
municipality stands for its county when tenders are matched.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from tenders.codelists import codelist
from tenders.orgnr import digits

NUTS3 = "nuts_nuts-swe-lvl3"
_KOMMUN = re.compile(r"\s*([\wåäöÅÄÖ-]+(?:[ -][\wåäöÅÄÖ]+)?)\s+kommun\b", re.IGNORECASE)


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
    """Every municipality and region, as ``tenders/data/municipalities.csv`` lists them (by county)."""
    text = (files("tenders") / "data" / "municipalities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        Body(kind=r["kind"], name=r["name"], official_name=r["official_name"], county=r["county"],
             org_number=r["org_number"] or None)
        for r in rows
    )  # fmt: skip


# -- counties --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def counties() -> dict[str, dict[str, str]]:
    """NUTS 3 code -> names in every language; Sweden's 21 counties."""
    return {code: names for code, names in codelist(NUTS3).items() if re.fullmatch(r"SE\d{3}", code)}


def county_names() -> dict[str, str]:
    """NUTS 3 code -> Swedish name ("SE312" -> "Dalarnas län")."""
    return {code: names["sv"] for code, names in counties().items()}


def county_code(text: str) -> str:
    """``Dalarna``, ``Dalarnas län``, ``gävleborgs län`` or ``SE313`` -> the NUTS 3 code; else PlaceError."""
    wanted = _county_stem(text)
    for code, name in county_names().items():
        if _key(text) == code.lower() or wanted == _county_stem(name):
            return code
    raise PlaceError(f"county {text!r}: not one of Sweden's 21 counties ({', '.join(sorted(county_names().values()))})")


def _county_stem(text: str) -> str:
    """``Dalarnas län``, ``Dalarnas``, ``Dalarna län`` -> ``dalarna`` (no county's own name ends in s)."""
    return _key(text).removesuffix(" län").removesuffix("s")


def county_named(name: str) -> str | None:
    """The NUTS 3 code of a county named in Swedish (as ``county_code``), or None."""
    try:
        return county_code(name)
    except PlaceError:
        return None


# -- municipalities and regions ------------------------------------------------------------


def municipalities_of(county: str) -> list[Body]:
    return [b for b in bodies() if b.county == county and b.kind == "municipality"]


@lru_cache(maxsize=1)
def municipalities_by_county() -> dict[str, list[str]]:
    """County (NUTS 3) -> its municipalities' short names ("Falun")."""
    out: dict[str, list[str]] = {}
    for body in bodies():
        if body.kind == "municipality":
            out.setdefault(body.county, []).append(body.name)
    return out


def region_of(county: str) -> Body:
    return next(b for b in bodies() if b.county == county and b.kind == "region")


def municipality_named(text: str, county: str | None = None) -> Body:
    """``Borlänge``, ``Borlänge kommun``, ``Falu kommun``, ``Falu`` -> the municipality (in ``county`` if given)."""
    key = _key(text)
    found = _by_name().get(key) or _by_name().get(key.removesuffix(" kommun"))  # "Borlänge kommun" as well
    if found is None or found.kind != "municipality" or (county and found.county != county):
        where = f" in {county_names().get(county, county)}" if county else ""
        raise PlaceError(f"municipality {text!r}: not a Swedish municipality{where}")
    return found


def county_of_municipality(name: str) -> str | None:
    """``Falun``, ``Falu kommun`` -> SE312: the county a municipality lies in; None for anything else."""
    try:
        return municipality_named(name).county
    except PlaceError:
        return None


def municipality_of(buyer_name: str | None) -> tuple[str, str] | None:
    """``Falu kommun`` (or ``Falu kommun, socialförvaltningen``) -> (Falun, SE312); a region, an agency
    or a company -> None."""
    match = _KOMMUN.match(buyer_name or "")
    if not match:
        return None
    found = _by_name().get(_key(match.group(1)))
    return (found.name, found.county) if found is not None and found.kind == "municipality" else None


def body_of(org_number: str | None, name: str | None) -> tuple[Body, str] | None:
    """The municipality or region buying, and how it was found ("org_number" or "name"); else None."""
    number = digits(org_number)
    if number and number in _by_org():
        return _by_org()[number], "org_number"
    if name and (body := _by_name().get(_key(name))) is not None:
        return body, "name"
    return None


def buyer_body(org_number: str | None, name: str | None, title: str | None = None) -> tuple[Body, str] | None:
    """The municipality or region a procurement counts for, and how it was found: "org_number",
    "name", or "title" when the buyer is a municipality buying for a neighbour its title names.

    The one rule for every caller (the October report, the coordinators' figures, matching): a
    municipality that hosts a joint procurement body (Ludvika kommun hosts UpphandlingsCenter,
    Dalarna's) names the member it buys for in the title ("Tvätt av gardiner - Borlänge kommun"),
    and such a procurement goes to the one member named.
    """
    found = body_of(org_number, name)
    if found is None:
        return None
    body, how = found
    if body.kind == "municipality" and title:
        named = named_in_title(title, body.county)
        if len(named) == 1 and named[0] != body:
            return named[0], "title"
    return body, how


def named_in_title(title: str, county: str) -> list[Body]:
    """The county's municipalities a title names ("- Borlänge kommun", "Säters kommun", "Revisionstjänster Säter").

    A bare name counts only after the title's first word: "Mark- och anläggningsarbeten" is about ground.
    """
    out: list[Body] = []
    for body, official, bare in _title_patterns(county):
        if official.search(title) or any(m.start() > 0 for m in bare.finditer(title)):
            out.append(body)
    return out


@lru_cache(maxsize=32)
def _title_patterns(county: str) -> list[tuple[Body, re.Pattern[str], re.Pattern[str]]]:
    out = []
    for body in municipalities_of(county):
        stem = re.escape(body.official_name.removesuffix(" kommun"))
        official = re.compile(rf"(?<![\w-]){stem}(?:s)?\s+(?:kommun|kommuns)\b")
        forms = "|".join(sorted({re.escape(body.name), stem}, key=len, reverse=True))
        bare = re.compile(rf"(?<![\w-])(?:{forms})(?![\w])")
        out.append((body, official, bare))
    return out


@lru_cache(maxsize=1)
def _by_org() -> dict[str, Body]:
    out: dict[str, Body] = {}
    for body in bodies():
        if body.org_number:
            out.setdefault(body.org_number, body)  # Gotland's municipality before its region: one body
    return out


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Body]:
    """Every written form of a name -> its body: the official name, the short name, the genitive stem
    (from the official name: "Falu", "Malung-Sälens"), "X stad" as the cities call themselves, and the
    short name in the genitive ("Gotlands", "Stockholms")."""
    out: dict[str, Body] = {}
    for body in bodies():
        out.setdefault(_key(body.official_name), body)
        if body.kind == "municipality":
            stem = body.official_name.removesuffix(" kommun")
            for form in (body.name, stem, f"{stem} stad"):  # "Stockholms stad", as the city calls itself
                out.setdefault(_key(form), body)
    for body in bodies():  # last, so that no genitive hides another municipality's own name
        if body.kind == "municipality" and not body.name.endswith("s"):
            out.setdefault(_key(body.name + "s"), body)
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().replace("-", " - ").split()).replace(" - ", "-")
