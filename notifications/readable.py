"""What a person reads instead of codes: places and buyers by name, organisation numbers as
NNNNNN-NNNN, dates and amounts in the reader's language.

Swedish regions are named by the eForms code list ("Dalarnas län"); elsewhere the country
("Frankrike"): no list of all EU NUTS labels is bundled. A buyer that gives only its
organisation number is named from ``tenders/places.py`` when it is a municipality or a region.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from notifications.wording import language_of, words
from tenders.codelists import label
from tenders.codes import country_name
from tenders.orgnr import digits, luhn_ok
from tenders.places import body_of, county_names


def org_number(value: str | None) -> str | None:
    """A Swedish organisation number as NNNNNN-NNNN, from any written form; None for anything else."""
    number = digits(value)
    return f"{number[:6]}-{number[6:]}" if luhn_ok(number) else None


def _swedish(tender: Any) -> bool:
    return (tender.buyer_country or "SE").upper() in ("SE", "SWE")


def buyer_name(tender: Any) -> str | None:
    """The buyer by name: as the notice gives it, else the municipality or region its number belongs to."""
    if tender.buyer_name:
        return str(tender.buyer_name)
    found = body_of(tender.buyer_org_id, None) if _swedish(tender) else None
    return found[0].official_name if found else None


def buyer_text(tender: Any, language: str) -> str | None:
    """ "Hofors kommun, org.nr 212000-2296": the name, and a Swedish buyer's organisation number."""
    name = buyer_name(tender)
    number = org_number(tender.buyer_org_id) if _swedish(tender) else None
    if name and number:
        return words(language).gettext("%(name)s, org. no. %(number)s") % {"name": name, "number": number}
    return name or (words(language).gettext("org. no. %(number)s") % {"number": number} if number else None)


def place_text(tender: Any, language: str) -> str:
    """The places by name, each once: Swedish counties, else the country; no bare codes. A tender
    without places is placed by its buyer (a municipality and its county) or, last, its country."""
    names: list[str] = []
    for code in tender.all_nuts or ([tender.buyer_nuts] if tender.buyer_nuts else []):
        name = label("nuts_nuts-swe-lvl3", code, language) if code.startswith("SE") else code
        if name == code:
            name = country_name(code, language) or ""
        if name and name not in names:
            names.append(name)
    if not names and _swedish(tender):
        found = body_of(getattr(tender, "buyer_org_id", None), getattr(tender, "buyer_name", None))
        if found is not None:
            body = found[0]
            county = county_names().get(body.county, "")
            names.append(f"{body.official_name}, {county}" if body.kind == "municipality" and county else county)
    if not names and tender.buyer_country:
        names.append(country_name(tender.buyer_country, language) or "")
    return ", ".join(n for n in names if n)


def listing_name(source: str, url: str | None, language: str) -> str:
    """Where another listing of the procedure is: "TED", the buyer's own notice, else the site's host."""
    if source == "ted" or source.startswith("ted-"):
        return "TED"
    if source.startswith("buyer:"):
        found = body_of(source.removeprefix("buyer:"), None)
        own = words(language).gettext("the buyer's own notice")
        return f"{own} ({found[0].official_name})" if found else own
    host = urlsplit(url or "").hostname or ""
    return host.removeprefix("www.") or words(language).gettext("another listing")  # never a source's code name


def day_text(day: date, language: str) -> str:
    """22 mars 2019 / 22 March 2019: the month's name from Babel's locale data."""
    return format_date(day, "d MMMM y", locale=language_of(language))


def when_text(value: str | None, language: str, timezone: str = "Europe/Stockholm") -> str | None:
    """A notice's date or date and time in words; a time with an offset is shown in the reader's
    time zone. Text that is no ISO date comes back as it is."""
    if not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return day_text(date.fromisoformat(text[:10]), language)
        except ValueError:
            return text
    if moment.tzinfo is not None:
        with suppress(ZoneInfoNotFoundError):
            moment = moment.astimezone(ZoneInfo(timezone))
    if "T" not in text and " " not in text:
        return day_text(moment.date(), language)
    clock = f"{moment:%H.%M}" if language == "sv" else f"{moment:%H:%M}"
    return words(language).gettext("%(day)s at %(time)s") % {"day": day_text(moment.date(), language), "time": clock}


def money(value: float | None, currency: str | None, language: str) -> str | None:
    """1 500 000 kr / 1,500,000 SEK; other currencies by their code."""
    if value is None:
        return None
    number = f"{value:,.0f}".replace(",", "\u00a0" if language == "sv" else ",")
    unit = "kr" if language == "sv" and (currency or "").upper() == "SEK" else (currency or "")
    return f"{number} {unit}".strip()


def excerpt(text: str | None, cap: int) -> str | None:
    """The start of a description on one line, at most ``cap`` characters, cut at a word with "…"."""
    if not text:
        return None
    flat = " ".join(text.split())
    if len(flat) <= cap:
        return flat
    cut = flat[:cap].rsplit(" ", 1)[0] if " " in flat[:cap] else flat[:cap]
    return cut.rstrip(" ,.;:") + "…"


EXAMPLE_HOSTS = ("example.org", "example.com", "example.net")  # RFC 2606: reserved for examples


def invented(url: str | None) -> bool:
    """A link on a domain reserved for examples (RFC 2606): the tender is an invented example."""
    host = (urlsplit(url or "").hostname or "").lower()
    return host.endswith(".example") or any(host == h or host.endswith(f".{h}") for h in EXAMPLE_HOSTS)
