"""Sources that read web pages written for people: RSS/Atom feeds (``feed``), municipal list pages (``html``)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from scrapers.errors import ParseError, SourceError
from scrapers.feed import parse_feed
from scrapers.http import same_site, web_link
from scrapers.notices import Document, Unit, iter_units
from scrapers.sources.base import Source
from tenders.model import Tender


@dataclass
class Feed(Source):
    """An RSS/Atom feed, from a URL or a file. ``nuts``/``country`` say what place it covers;
    ``buyer``/``buyer_org_id`` name the buyer when the feed is one buyer's (a municipality's
    own feed), since feed items rarely say who buys."""

    kind: ClassVar[str] = "feed"

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        if self.url:
            # Conditional GET: the last run's ETag and Last-Modified ride in its fingerprint.
            etag, _, modified = known.get(self.url, "").partition("|")
            headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
            response = self.client().get(self.url, headers=headers)
            if response.not_modified:
                yield Unit(key=self.url, fingerprint=known[self.url], documents=lambda: iter(()))
                return
            document = Document(origin=self.url, data=response.body, unit=self.url)
            validators = f"{response.headers.get('ETag', '')}|{response.headers.get('Last-Modified', '')}"
            # Without validators, only the content tells whether the feed changed.
            fingerprint = validators if validators != "|" else "|" + hashlib.sha256(response.body).hexdigest()
            yield Unit(key=self.url, fingerprint=fingerprint, documents=lambda: iter([document]))
        elif self.path is not None:
            yield from iter_units(self._local_path())
        else:
            raise SourceError(self.name, "a feed source needs 'url' or 'path'")

    def parse(self, document: Document) -> list[Tender]:
        return parse_feed(
            document.data,
            document.origin,
            self.name,
            nuts=list(self.options.get("nuts") or []),
            country=self.options.get("country"),
            notice_type=self.options.get("notice_type", "other"),
            buyer=self.options.get("buyer"),
            buyer_org_id=self.options.get("buyer_org_id"),
        )


@dataclass
class MunicipalPage(Source):
    """A municipality's list of open tenders, read with CSS selectors declared in sources.yaml.

    Options: ``url`` (the list page), ``item`` (one tender), ``title``, ``link`` (default the
    title's own ``a``), optional ``date``, ``deadline``, ``summary``, ``next`` (the next page's
    link, followed up to ``max_pages`` and only within the site's own host or the hosts listed
    under ``hosts``), and ``empty_text`` (what the page says when it really
    has no tenders); ``buyer`` and ``buyer_org_id`` name the municipality, which lets the same
    procedure seen on TED become one tender. A page whose item selector suddenly matches nothing,
    without that text, is reported as broken: a changed page, not a quiet week.

    ``terms_checked`` (the date someone read the site's terms of use and found that they allow
    reading it this way) is required: scraping is what a site can forbid in words, not only in
    robots.txt.
    """

    kind: ClassVar[str] = "html"

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        if not self.url:
            raise SourceError(self.name, "an html source needs 'url'")
        for option in ("item", "title"):
            if not self.options.get(option):
                raise SourceError(self.name, f"an html source needs the CSS selector '{option}'")
        if not _iso_date(str(self.options.get("terms_checked") or "")):
            raise SourceError(
                self.name,
                "an html source needs 'terms_checked: YYYY-MM-DD': read the site's terms of use first, and never "
                "add a site whose terms forbid harvesting",
            )
        url: str | None = self.url
        seen: set[str] = set()
        for page in range(int(self.options.get("max_pages", 5))):
            if url is None or url in seen:
                return
            seen.add(url)
            response = self.client().get(url)
            soup = BeautifulSoup(response.body, "lxml")
            items = [self._item(node, url) for node in soup.select(str(self.options["item"]))]
            items = [i for i in items if i["title"]]
            if not items and page == 0:
                empty = str(self.options.get("empty_text") or "")
                if not (empty and empty in soup.get_text(" ")):
                    raise SourceError(self.name, f"the selector {self.options['item']!r} matches nothing on {url}: "
                                      "the page has probably changed (or set 'empty_text')")  # fmt: skip
            data = json.dumps(items, ensure_ascii=False, sort_keys=True).encode()
            document = Document(origin=url, data=data, unit=url)
            yield Unit(key=url, fingerprint=hashlib.sha256(data).hexdigest(), documents=partial(iter, [document]))
            following = soup.select_one(str(self.options["next"])) if self.options.get("next") else None
            href = following.get("href") if following is not None else None
            url = urljoin(url, str(href)) if href else None
            if url is not None and not same_site(url, self.url, [str(h) for h in self.options.get("hosts") or []]):
                yield ParseError(self.url, f"the next-page link {url!r} leads off the site; not followed (list its "
                                 "host under 'hosts' if it belongs to the source)")  # fmt: skip
                return

    def _item(self, node: Any, page: str) -> dict[str, str | None]:
        def text(selector: str | None) -> str | None:
            found = node.select_one(selector) if selector else None
            value = " ".join(found.get_text(" ").split()) if found is not None else ""
            return value or None

        link = node.select_one(str(self.options.get("link") or f"{self.options['title']} a, a"))
        href = link.get("href") if link is not None else None
        return {
            "title": text(str(self.options["title"])),
            "url": web_link(urljoin(page, str(href))) if href else None,
            "date": text(self.options.get("date")),
            "deadline": text(self.options.get("deadline")),
            "description": text(self.options.get("summary")),
        }

    def parse(self, document: Document) -> list[Tender]:
        try:
            items = json.loads(document.data)
        except ValueError as exc:
            raise ParseError(document.origin, f"not the items of a page: {exc}") from None
        nuts = [str(n) for n in self.options.get("nuts") or []]
        tenders = []
        for item in items:
            key = item.get("url") or item["title"]
            tenders.append(
                Tender(
                    source=self.name,
                    notice_id=hashlib.sha256(key.encode()).hexdigest()[:16],
                    notice_type=str(self.options.get("notice_type", "competition")),
                    title=item["title"],
                    description=item.get("description"),
                    url=item.get("url"),
                    published=_iso_date(item.get("date")),
                    deadline=_iso_date(item.get("deadline")),
                    nuts=nuts,
                    buyer_name=self.options.get("buyer"),
                    buyer_org_id=self.options.get("buyer_org_id"),
                    buyer_country=self.options.get("country"),
                    language=self.options.get("language"),
                )
            )
        return tenders


MONTHS = {m: i for i, m in enumerate(["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                                       "september", "oktober", "november", "december"], 1)}  # fmt: skip


def _iso_date(text: str | None) -> str | None:
    """``2026-11-24`` or ``24 november 2026`` (Swedish month names) -> ``2026-11-24``; else None."""
    if not text:
        return None
    found = re.search(r"(\d{4})-(\d{2})-(\d{2})", text)
    if found:
        return found.group(0)
    spelled = re.search(r"(\d{1,2})\s+([a-zåäö]+)\s+(\d{4})", text.lower())
    if spelled and spelled.group(2) in MONTHS:
        return f"{spelled.group(3)}-{MONTHS[spelled.group(2)]:02d}-{int(spelled.group(1)):02d}"
    return None
