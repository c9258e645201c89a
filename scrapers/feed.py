"""RSS/Atom feeds -> Tenders, one per entry, with feedparser.

A feed item says little: a title, a summary, a link, a date. What it does not say
stays empty; a source may declare what its feed covers (``nuts``, ``country``,
``notice_type``), since a municipal tender feed lists one kind of notice for one place.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import feedparser
from bs4 import BeautifulSoup
from lxml import etree

from scrapers.errors import ParseError
from scrapers.http import web_link
from tenders.codes import language_alpha2
from tenders.model import Tender

log = logging.getLogger(__name__)
_CUT_OFF = re.compile(r"no element found|unclosed token|unclosed CDATA section")  # expat: a document stops short
STREAM_FROM = 2_000_000  # bytes: a feed this large is read as a stream of item batches, not whole
BATCH_ITEMS = 500
_ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(
    data: bytes,
    origin: str,
    source: str,
    *,
    nuts: list[str] | None = None,
    country: str | None = None,
    notice_type: str = "other",
    buyer: str | None = None,
    buyer_org_id: str | None = None,
) -> list[Tender]:
    def read(part: bytes) -> list[Tender]:
        return _parse(part, origin, source, nuts=nuts, country=country, notice_type=notice_type, buyer=buyer,
                      buyer_org_id=buyer_org_id)  # fmt: skip

    if len(data) >= STREAM_FROM:
        # feedparser holds a whole parsed feed and more: 350 MB for a 59 MB one. In batches of
        # items, each a small feed of its own, it holds one batch at a time.
        out: list[Tender] = []
        try:
            for batch in _batches(data):
                out += read(batch)
            return out
        except _WholeFeedError:
            pass  # read whole, as feedparser reads any feed
    return read(data)


def _parse(
    data: bytes,
    origin: str,
    source: str,
    *,
    nuts: list[str] | None,
    country: str | None,
    notice_type: str,
    buyer: str | None,
    buyer_org_id: str | None,
) -> list[Tender]:
    parsed = feedparser.parse(data)
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise ParseError(origin, "not an RSS/Atom feed: the server sent an HTML page")
        raise ParseError(origin, f"not an RSS/Atom feed ({problem or 'no feed element'})")
    problem = parsed.get("bozo_exception")
    if type(problem).__name__ == "SAXParseException" and _CUT_OFF.search(str(problem)):
        # feedparser reads on past the break and returns the entries before it: a cut-off
        # download would pass for a feed with fewer tenders. Read it again next time instead.
        raise ParseError(origin, f"the feed is cut off ({problem}); not read, asked for again next time")
    feed_lang = language_alpha2((parsed.feed.get("language") or "")[:2] or None)
    tenders = []
    for index, entry in enumerate(parsed.entries):
        if not (entry.get("title") or entry.get("link") or entry.get("id")):
            # An entry-level problem: this entry is left out, the feed and its other entries stand.
            log.warning("%s: entry %d has no title, link or id; left out", origin, index)
            continue
        tender = _entry(entry, source, feed_lang, nuts or [], country, notice_type)
        tenders.append(replace(tender, buyer_name=buyer or None, buyer_org_id=buyer_org_id or None))
    if parsed.entries and not tenders:
        raise ParseError(origin, f"none of the feed's {len(parsed.entries)} entries has a title, link or id")
    return tenders


class _WholeFeedError(Exception):
    """The feed is not one lxml can stream (RSS 1.0, an undeclared entity, a cut-off download)."""


def _batches(data: bytes) -> Iterator[bytes]:
    """An RSS 2.0 or Atom feed as small feeds of ``BATCH_ITEMS`` items each, read with lxml as a
    stream (the channel's language and the feed's xml:lang kept). Raises ``_WholeFeedError`` when it is not
    one of those two or lxml cannot read it: feedparser then reads it whole."""
    import io

    items: list[bytes] = []
    head = language = b""
    try:
        for _, element in etree.iterparse(io.BytesIO(data), events=("end",), resolve_entities=False,
                                          no_network=True, huge_tree=False):  # fmt: skip
            tag = element.tag if isinstance(element.tag, str) else ""
            if tag == "language" and not head:
                language = etree.tostring(element)
            if tag not in ("item", f"{_ATOM}entry"):
                continue
            if not head:
                head = _head(element.getroottree().getroot())
            items.append(etree.tostring(element))
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            if len(items) >= BATCH_ITEMS:
                yield _wrap(head, language, items)
                items = []
    except etree.XMLSyntaxError as exc:
        raise _WholeFeedError(str(exc)) from None
    if not head:
        raise _WholeFeedError("no item or entry")
    if items:
        yield _wrap(head, language, items)


def _head(root: Any) -> bytes:
    if root.tag == "rss":
        return b'<rss version="2.0"><channel>'
    if root.tag == f"{_ATOM}feed":
        lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
        attribute = b' xml:lang="' + lang.encode().replace(b'"', b"") + b'"' if lang else b""
        return b'<feed xmlns="http://www.w3.org/2005/Atom"' + attribute + b">"
    raise _WholeFeedError(f"a feed of <{root.tag}>")


def _wrap(head: bytes, language: bytes, items: list[bytes]) -> bytes:
    if head.startswith(b"<rss"):
        return head + language + b"".join(items) + b"</channel></rss>"
    return head + b"".join(items) + b"</feed>"


def _entry(
    entry: Any, source: str, feed_lang: str | None, nuts: list[str], country: str | None, notice_type: str
) -> Tender:
    link = entry.get("link")
    key = entry.get("id") or link or entry.get("title") or ""
    # Entry ids are often whole URLs; a short digest keeps the tender id readable and stable.
    notice_id = key if len(key) <= 64 and ":" not in key else hashlib.sha256(key.encode()).hexdigest()[:16]
    summary = entry.get("summary") or entry.get("description")
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    return Tender(
        source=source,
        notice_id=notice_id,
        notice_type=notice_type,
        title=_plain(entry.get("title")),
        description=_plain(summary),
        language=language_alpha2((entry.get("language") or "")[:2] or None) or feed_lang,
        published=time.strftime("%Y-%m-%d", published) if published else None,
        url=web_link(link),
        nuts=list(nuts),
        buyer_country=country,
    )


def _plain(html: str | None) -> str | None:
    if not html:
        return None
    text = BeautifulSoup(html, "html.parser").get_text(" ") if "<" in html else html
    text = " ".join(text.split())
    return text or None
