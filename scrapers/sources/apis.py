"""Sources that ask an API: TED's Search API (``ted_api``), OCDS release packages (``ocds``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapers.errors import ParseError, SourceError
from scrapers.notices import Document, Unit, parse_document
from scrapers.ocds import parse_ocds
from scrapers.sources.base import Source
from tenders import clock
from tenders.model import Tender


@dataclass
class TedApi(Source):
    """TED's Search API v3: the notices an expert query finds, each fetched as XML and parsed.

    Incremental: the query asks only for notices published since the last run's newest date
    (one day of overlap), and a notice already stored is never fetched again. The API's own
    fields are used only to list notices; every field of the tender comes from the notice XML.
    """

    kind: ClassVar[str] = "ted_api"
    default_expect: ClassVar[str] = "3d"
    WATERMARK: ClassVar[str] = "~published-since"
    _unfetched: list[str] = field(default_factory=list, repr=False, compare=False)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        api = str(self.options.get("api_url", "https://api.ted.europa.eu")).rstrip("/")
        site = str(self.options.get("notice_url", "https://ted.europa.eu")).rstrip("/")
        query = str(self.options.get("query", "buyer-country=SWE"))
        since = (
            known.get(self.WATERMARK)
            or (clock.today() - timedelta(days=int(self.options.get("first_days", 7)))).isoformat()
        )
        expert = f"({query}) AND publication-date>={since.replace('-', '')}"
        newest = since
        self._unfetched = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"query": expert, "fields": ["publication-number", "publication-date"],
                                    "limit": 250, "paginationMode": "ITERATION"}  # fmt: skip
            if token:
                body["iterationNextToken"] = token
            answer = self.client().post_json(f"{api}/v3/notices/search", json.dumps(body).encode())
            try:
                page = json.loads(answer.body)
                notices = page["notices"]
            except (ValueError, KeyError, TypeError) as exc:
                raise SourceError(self.name, f"the TED API answered something else than a notice list: {exc}") from None
            for notice in notices:
                number = str(notice.get("publication-number") or "")
                if not number:
                    continue
                published = str(notice.get("publication-date") or "")[:10]
                newest = max(newest, published) if published else newest
                url = f"{site}/en/notice/{number}/xml"
                yield Unit(key=number, fingerprint="fetched", documents=partial(self._notice, url, number, published))
            token = page.get("iterationNextToken")
            if not token or not notices:
                break
        # Each unit's documents are read before the next unit is asked for, so by now every
        # fetch has happened; the watermark never passes a notice that could not be fetched.
        newest = min([newest, *self._unfetched]) if self._unfetched else newest
        overlap = (date.fromisoformat(newest) - timedelta(days=1)).isoformat() if newest else since
        yield Unit(key=self.WATERMARK, fingerprint=overlap, documents=lambda: iter(()))

    def _notice(self, url: str, number: str, published: str) -> Iterator[Document | ParseError]:
        try:
            yield Document(origin=url, data=self.client().get(url).body, unit=number)
        except SourceError as exc:
            if published:
                self._unfetched.append(published)
            yield ParseError(url, exc.reason)

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, "ted")


@dataclass
class OcdsApi(Source):
    """An OCDS release-package API: UK Find a Tender (``/api/1.0/ocdsReleasePackages``, the
    default parameters), or Contracts Finder (``/Published/Notices/OCDS/Search`` with
    ``from_param: publishedFrom``, ``to_param: publishedTo``, ``limit_param: size``).

    The time since the last run is asked for in windows; a window that holds more than one
    page is split in two rather than followed by cursor, so every request is small and a
    failed window is retried alone. Each window is one unit; the watermark moves to the end
    of the last window read in full.
    """

    kind: ClassVar[str] = "ocds"
    WATERMARK: ClassVar[str] = "~updated-to"
    MIN_WINDOW: ClassVar[timedelta] = timedelta(minutes=1)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        if not self.url:
            raise SourceError(self.name, "an ocds source needs 'url' (the release-package endpoint)")
        limit = int(self.options.get("limit", 100))
        start = _instant(known.get(self.WATERMARK)) or clock.aware_utcnow() - timedelta(
            days=int(self.options.get("first_days", 7))
        )
        end = _instant(self.options.get("until")) or clock.aware_utcnow()
        pending = [(start, end)]
        done_until = start
        while pending:
            low, high = pending.pop(0)
            query = urlencode(
                {
                    str(self.options.get("from_param", "updatedFrom")): _stamp(low),
                    str(self.options.get("to_param", "updatedTo")): _stamp(high),
                    str(self.options.get("limit_param", "limit")): limit,
                    **{str(k): str(v) for k, v in (self.options.get("params") or {}).items()},
                }
            )
            response = self.client().get(f"{self.url}?{query}")
            try:
                package = json.loads(response.body)
            except ValueError as exc:
                raise SourceError(self.name, f"{self.url} answered something else than JSON: {exc}") from None
            more = bool((package.get("links") or {}).get("next")) or len(package.get("releases") or []) > limit
            if more and high - low > self.MIN_WINDOW:
                middle = low + (high - low) / 2
                pending[:0] = [(low, middle), (middle, high)]  # keep the windows in time order
                continue
            key = f"{_stamp(low)}/{_stamp(high)}"
            document = Document(origin=f"{self.url}?{query}", data=response.body, unit=key)
            yield Unit(key=key, fingerprint=hashlib.sha256(response.body).hexdigest(),
                       documents=partial(iter, [document]))  # fmt: skip
            done_until = high
        yield Unit(key=self.WATERMARK, fingerprint=_stamp(done_until), documents=lambda: iter(()))

    def parse(self, document: Document) -> list[Tender]:
        return parse_ocds(document.data, document.origin, self.name)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
