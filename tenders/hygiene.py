"""Text from a source made safe to show and to read: what a stranger wrote must not change
how the rest of a page, a digest or a log line reads, nor how long reading it takes.

- one-line fields (title, buyer, dates, ids) lose control characters and line breaks;
- every field loses the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
  that make text read differently from how it is stored ("Trojan Source");
- a link keeps to one line: whitespace and control characters in it are percent-encoded;
- titles, names and descriptions are capped (the caps below); a cut ends with "…".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from tenders.model import Lot, Tender

TITLE_CAP = 1_000  # characters; the longest title among the bundled real notices has 206
NAME_CAP = 300
DESCRIPTION_CAP = 100_000  # characters; the longest bundled real description has 3 920
URL_CAP = 2_000

_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps tab, newline and CR
_BREAKS = re.compile(r"\s+")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(value: str | None, cap: int = NAME_CAP) -> str | None:
    """A value meant for one line: no breaks, no control or bidi characters, at most ``cap`` characters."""
    if value is None:
        return None
    text = _BREAKS.sub(" ", _BIDI.sub("", _CONTROL.sub(" ", value))).strip()
    return _cap(text, cap)


def paragraph(value: str | None, cap: int = DESCRIPTION_CAP) -> str | None:
    """A longer text: line breaks stay; control and bidi characters go; at most ``cap`` characters."""
    if value is None:
        return None
    return _cap(_BIDI.sub("", _CONTROL.sub(" ", value[: cap * 2])).replace("\r\n", "\n").replace("\r", "\n"), cap)


def link(value: str | None) -> str | None:
    """An http(s) link on one line (anything else is dropped): unsafe characters are percent-encoded."""
    if not value:
        return None
    url = _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), value.strip())
    if not url.lower().startswith(("http://", "https://")) or len(url) > URL_CAP:
        return None
    return url


def clean(tender: Tender) -> Tender:
    """The tender with every text field made safe; a clean tender comes back equal (and unchanged)."""
    values: dict[str, Any] = {
        "notice_id": one_line(tender.notice_id) or tender.notice_id,
        "procedure_id": one_line(tender.procedure_id),
        "title": one_line(tender.title, TITLE_CAP),
        "description": paragraph(tender.description),
        "buyer_name": one_line(tender.buyer_name),
        "deadline": one_line(tender.deadline, 40),
        "published": one_line(tender.published, 40),
        "url": link(tender.url),
        "documents_url": link(tender.documents_url),
        "winners": [{k: one_line(v) if isinstance(v, str) else v for k, v in w.items()} for w in tender.winners],
    }
    lots = [_lot(lot) for lot in tender.lots]
    # Nearly every tender is clean already: it comes back as it is, without building a copy to compare.
    if all(getattr(tender, k) == v for k, v in values.items()) and all(
        all(getattr(lot, k) == v for k, v in new.items()) for lot, new in zip(tender.lots, lots, strict=True)
    ):
        return tender
    return replace(tender, **values, lots=[replace(lot, **new) for lot, new in zip(tender.lots, lots, strict=True)])


def _lot(lot: Lot) -> dict[str, Any]:
    return {
        "id": one_line(lot.id, 100) or lot.id,
        "title": one_line(lot.title, TITLE_CAP),
        "description": paragraph(lot.description),
        "deadline": one_line(lot.deadline, 40),
    }


def _cap(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[: cap - 1].rstrip() + "…"
