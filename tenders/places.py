"""Swedish places: counties (NUTS 3), municipalities and the forms their names take in buyer names.

One table for every caller: the subscriptions' regions, the register's municipalities and the
coordinators' reports read the same names. A buyer writes the genitive ("Falu kommun",
"Malung-Sälens kommun"); the hand-patched forms that plain suffix rules miss are in
``GENITIVES``. TED places a tender no finer than NUTS 3, so a municipality stands for its county.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

import yaml

from tenders.codelists import codelist

NUTS3 = "nuts_nuts-swe-lvl3"
GENITIVES = {"falu": "Falun", "malung-sälens": "Malung-Sälen"}  # genitive -> the municipality's official name
_KOMMUN = re.compile(r"\s*([\wåäöÅÄÖ-]+(?:[ -][\wåäöÅÄÖ]+)?)\s+kommun\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def counties() -> dict[str, dict[str, str]]:
    """NUTS 3 code -> names; Sweden's 21 counties."""
    return {code: names for code, names in codelist(NUTS3).items() if re.fullmatch(r"SE\d{3}", code)}


@lru_cache(maxsize=1)
def municipalities_by_county() -> dict[str, list[str]]:
    """County (NUTS 3) -> its municipalities' official names (``tenders/data/municipalities.yaml``)."""
    text = (files("tenders") / "data" / "municipalities.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    return {str(code): [str(n) for n in names] for code, names in doc.items()}


def county_named(name: str) -> str | None:
    """``Dalarna``, ``Dalarnas län`` -> SE312; the NUTS 3 code of a county named in Swedish."""
    wanted = name.strip().lower().removesuffix(" län").removesuffix("s")
    for code, labels in codelist(NUTS3).items():
        if wanted == labels["sv"].lower().removesuffix(" län").removesuffix("s"):
            return code
    return None


@lru_cache(maxsize=1)
def _county_by_municipality() -> dict[str, str]:
    return {name.lower(): code for code, names in municipalities_by_county().items() for name in names}


def county_of_municipality(name: str) -> str | None:
    """``Falun``, ``Falu kommun`` -> SE312: the county a municipality lies in."""
    key = name.strip().lower().removesuffix(" kommun")
    key = GENITIVES.get(key, key).lower()
    return _county_by_municipality().get(key)


@lru_cache(maxsize=1)
def _name_forms() -> dict[str, tuple[str, str]]:
    """Lower-case name forms ("falu", "falun", "gagnefs") -> (municipality, county)."""
    out: dict[str, tuple[str, str]] = {}
    for county, names in municipalities_by_county().items():
        for name in names:
            low = name.lower()
            for form in {low, low + "s", low.removesuffix("n"), low.removesuffix("en") + "ens"}:
                out.setdefault(form, (name, county))
    for form, name in GENITIVES.items():
        out[form] = (name, _county_by_municipality()[name.lower()])
    return out


def municipality_of(buyer_name: str | None) -> tuple[str, str] | None:
    """``Falu kommun`` -> (Falun, SE312); a region, an agency or a company -> None."""
    if not buyer_name:
        return None
    match = _KOMMUN.match(buyer_name)
    if not match:
        return None
    return _name_forms().get(match.group(1).lower())
