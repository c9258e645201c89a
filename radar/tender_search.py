"""The open tenders' search as a visitor asks it (``/tenders``): the address's parameters read and
checked into a ``SearchQuery``, and a search turned into a subscriber's profile ("Bevaka den här
sökningen").

Every parameter is checked here, so that a wrong one is a clear 400 naming it, never a query
that fails: an unknown county, sector, label, order or state, a date that is not ``YYYY-MM-DD``,
a page out of range, words longer than anyone types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from matching.rules import rules
from tenders.places import PlaceError, counties, municipality_named
from tenders.store.search import ORDERS, SearchQuery, search_words

MAX_TEXT = 200  # characters of search words
MAX_PAGE = 50  # pages of 20: a thousand tenders, more than anyone reads; narrow the search instead
LABELS = ("suitable", "possible", "unlikely")
PARAMETERS = ("q", "county", "municipality", "sector", "label", "source", "from", "to", "state", "order")


class SearchError(ValueError):
    """A parameter the search cannot take: ``parameter`` names it (a page says why in its own
    language), the message says what it takes."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter


def read_query(params: Mapping[str, str]) -> SearchQuery:
    """The search an address asks for; SearchError names the first wrong parameter."""
    text = params.get("q", "")
    if len(text) > MAX_TEXT:
        raise SearchError("q", f"the search words are too long (at most {MAX_TEXT} characters)")
    county = params.get("county", "").strip() or None
    if county is not None and county not in counties():
        raise SearchError("county", "not a Swedish county code (SE110 to SE332)")
    municipality = _municipality(params.get("municipality", ""), county)
    sector = params.get("sector", "").strip() or None
    if sector is not None and sector not in rules().typical:
        raise SearchError("sector", f"not one of {', '.join(rules().typical)}")
    label = params.get("label", "").strip() or None
    if label is not None and label not in LABELS:
        raise SearchError("label", f"not one of {', '.join(LABELS)}")
    source = params.get("source", "").strip() or None
    if source is not None and not re.fullmatch(r"[\w.:-]{1,100}", source):
        raise SearchError("source", "a source's name (letters, digits, '.', ':', '-'; at most 100)")
    state = params.get("state", "open")
    if state not in ("open", "planned"):
        raise SearchError("state", "open or planned")
    order = params.get("order", "score")
    if order not in ORDERS:
        raise SearchError("order", " or ".join(ORDERS))
    page = params.get("page", "1")
    if not (page.isascii() and page.isdigit() and 1 <= int(page) <= MAX_PAGE):
        raise SearchError("page", f"a number from 1 to {MAX_PAGE}")
    return SearchQuery(
        words=search_words(text), county=county, municipality=municipality, sector=sector, label=label,
        source=source, deadline_from=_day(params, "from"), deadline_to=_day(params, "to"),
        planned=state == "planned", order=order, page=int(page),
    )  # fmt: skip


def _municipality(value: str, county: str | None) -> str | None:
    if not value.strip():
        return None
    try:
        return municipality_named(value.strip(), county).name
    except PlaceError as exc:
        raise SearchError("municipality", str(exc)) from None


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise SearchError(name, "a date as YYYY-MM-DD") from None


def search_params(params: Mapping[str, str]) -> dict[str, str]:
    """The search's own parameters of an address (not its page, language or token), for links."""
    return {k: params[k] for k in PARAMETERS if params.get(k)}


def search_link(params: Mapping[str, str], **extra: Any) -> str:
    return urlencode({**search_params(params), **{k: v for k, v in extra.items() if v not in (None, "")}})


def profile_from_search(query: SearchQuery, profile: Mapping[str, Any]) -> dict[str, Any]:
    """``profile`` with the search's words, place and sector in place of its own (the rest kept):
    what "Bevaka den här sökningen" saves after the subscriber confirms it."""
    changed = dict(profile)
    changed["keywords"] = list(query.words)
    changed["regions"] = [query.municipality] if query.municipality else [query.county] if query.county else []
    changed["sectors"] = [query.sector] if query.sector else []
    return changed


def sign_up_values(query: SearchQuery) -> dict[str, str]:
    """The sign-up form's fields from a search, for a visitor with no subscription yet."""
    regions = query.municipality or query.county or ""
    return {k: v for k, v in {"keywords": ", ".join(query.words), "regions": regions,
                              "sectors": query.sector or ""}.items() if v}  # fmt: skip
