"""Code conversions shared by the parsers: eForms uses ISO alpha-3, the model alpha-2."""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry

# The EU's own country codes (legacy TED, NUTS) where they differ from ISO 3166.
EU_TO_ISO = {"UK": "GB", "EL": "GR"}


@lru_cache(maxsize=512)
def country_alpha2(code: str | None) -> str | None:
    """``SWE`` -> ``SE``, ``UK`` -> ``GB``; ISO alpha-2 passes through; an unknown code gives None."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 2:
        code = EU_TO_ISO.get(code, code)
        return code if pycountry.countries.get(alpha_2=code) or code == "XK" else None
    country = pycountry.countries.get(alpha_3=code)
    return country.alpha_2 if country else None


@lru_cache(maxsize=256)
def language_alpha2(code: str | None) -> str | None:
    """``SWE``/``swe`` -> ``sv``; alpha-2 passes through lower-cased; unknown gives None."""
    if not code:
        return None
    code = code.strip().lower()
    if len(code) == 2:
        return code
    lang = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    return getattr(lang, "alpha_2", None) if lang else None


_CPV = re.compile(r"^\d{8}")


def cpv(code: str | None) -> str | None:
    """The 8-digit CPV code without its check digit (``55321000-6`` -> ``55321000``)."""
    if not code:
        return None
    match = _CPV.match(code.strip())
    return match.group(0) if match else None


def amount(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text.strip().replace(" ", "").replace(",", "."))
    except ValueError:
        return None


@lru_cache(maxsize=64)
def country_name(code: str | None, language: str = "en") -> str | None:
    """``FR`` (or a NUTS code's first letters, ``EL`` and ``UK`` included) -> "France"/"Frankrike",
    from pycountry's ISO 3166 names and their translations; None for an unknown code."""
    alpha2 = country_alpha2((code or "")[:2])
    country = pycountry.countries.get(alpha_2=alpha2) if alpha2 else None
    if country is None:
        return None
    name = str(getattr(country, "common_name", None) or country.name)
    if language == "en":
        return name
    try:
        translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return name
    return translation.gettext(str(country.name)) if name == country.name else translation.gettext(name)


def load_tables() -> None:
    """Load pycountry's tables now: a process about to fork workers saves each worker the load."""
    language_alpha2("swe")
    country_alpha2("SWE")
