"""Sources that ask an API: TED's Search API (``ted_api``), OCDS release packages (``ocds``)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from scrapers.eforms import ROOTS as EFORMS_ROOTS
from scrapers.errors import ParseError, SourceError
from scrapers.http import same_site
from scrapers.notices import MAX_NOTICE_BYTES, Document, Unit, parse_document
from scrapers.ocds import parse_ocds
from scrapers.sources.base import Source
from tenders import clock
from tenders.model import Tender

log = logging.getLogger(__name__)
UK = ZoneInfo("Europe/London")  # Find a Tender reads its time parameters as UK local time
NOTICE_ROOTS = frozenset({*EFORMS_ROOTS, "TED_EXPORT"})
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass
class TedApi(Source):
    """TED's Search API v3: the notices an expert query finds, each fetched as XML and parsed.

    Incremental: the query asks only for notices published since the last run's newest date
    (one day of overlap), and a notice already stored is never fetched again. The API's own
    fields are used only to list notices; every field of the tender comes from the notice XML.
    ``scope`` (default ALL) is sent explicitly: the API's own default leaves notices out.

    TED refuses an IP for 24 hours above about 600 notice downloads in 6 minutes, so notice
    XML is paced at ``notices_per_minute`` (default 90) per host, whatever the number of
    sources in the process. A notice whose answer was missing, empty or not well-formed XML
    is kept in a retry list (``~retry:<number>`` units) and asked for again on later runs,
    up to ``MAX_TRIES`` times, then reported as given up. A bot challenge (202, an empty
    body, ``x-amzn-waf-action``) puts the notice in the retry list too; ``max_challenges``
    (default 3) in a row stop the source: nothing more is asked, no watermark moves, and the
    run is recorded as blocked.
    """

    kind: ClassVar[str] = "ted_api"
    default_expect: ClassVar[str] = "3d"
    WATERMARK: ClassVar[str] = "~published-since"
    RETRY: ClassVar[str] = "~retry:"
    MAX_TRIES: ClassVar[int] = 5
    _failed: set[str] = field(default_factory=set, repr=False, compare=False)
    _asked: set[str] = field(default_factory=set, repr=False, compare=False)
    _challenged: int = field(default=0, repr=False, compare=False)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        api = str(self.options.get("api_url", "https://api.ted.europa.eu")).rstrip("/")
        site = str(self.options.get("notice_url", "https://ted.europa.eu")).rstrip("/")
        query = str(self.options.get("query", "buyer-country=SWE"))
        client = self.client()
        assert client.pacer is not None
        client.pacer.floor(urlsplit(site).netloc, 60.0 / float(self.options.get("notices_per_minute", 90)))
        since = (
            known.get(self.WATERMARK)
            or (clock.today() - timedelta(days=int(self.options.get("first_days", 7)))).isoformat()
        )
        self._failed, self._asked, self._challenged = set(), set(), 0
        for key, mark in sorted(known.items()):  # the notices earlier runs could not get
            if not key.startswith(self.RETRY) or not mark.isdigit():
                continue
            number = key[len(self.RETRY) :]
            if known.get(number) == "fetched":
                yield Unit(key=key, fingerprint="done", documents=lambda: iter(()))
            elif int(mark) >= self.MAX_TRIES:
                yield ParseError(f"{site}/en/notice/{number}/xml", f"not fetched in {mark} tries; given up")
                yield Unit(key=key, fingerprint="given-up", documents=lambda: iter(()))
            else:
                yield from self._fetch(site, number, int(mark))
        expert = f"({query}) AND publication-date>={since.replace('-', '')}"
        newest = since
        token: str | None = None
        while True:
            body: dict[str, Any] = {"query": expert, "fields": ["publication-number", "publication-date"],
                                    "limit": 250, "paginationMode": "ITERATION",
                                    "scope": str(self.options.get("scope", "ALL"))}  # fmt: skip
            if token:
                body["iterationNextToken"] = token
            answer = client.post_json(f"{api}/v3/notices/search", json.dumps(body).encode())
            try:
                page = json.loads(answer.body)
                notices = page["notices"]
            except (ValueError, KeyError, TypeError) as exc:
                raise SourceError(self.name, f"the TED API answered something else than a notice list: {exc}") from None
            if not token:
                log.info("%s: TED counts %s notices for %r", self.name, page.get("totalNoticeCount"), expert)
            if page.get("timedOut"):
                log.warning("%s: TED's search timed out on %r; the %s notices it counted may be incomplete",
                            self.name, expert, page.get("totalNoticeCount"))  # fmt: skip
            for notice in notices:
                number = str(notice.get("publication-number") or "")
                if not number:
                    continue
                published = str(notice.get("publication-date") or "")[:10]
                newest = max(newest, published) if published else newest
                yield from self._fetch(site, number, 0)
            token = page.get("iterationNextToken")
            if not token or not notices:
                break
        # Every fetch has happened by now (each unit's documents are read before the next unit
        # is asked for); what failed is in the retry list, so the watermark may move on.
        overlap = (date.fromisoformat(newest) - timedelta(days=1)).isoformat() if newest else since
        yield Unit(key=self.WATERMARK, fingerprint=overlap, documents=lambda: iter(()))

    def _fetch(self, site: str, number: str, tries: int) -> Iterator[Unit]:
        if number in self._asked:
            return
        self._asked.add(number)
        url = f"{site}/en/notice/{number}/xml"
        yield Unit(key=number, fingerprint="fetched", documents=partial(self._notice, url, number))
        if number in self._failed:
            yield Unit(key=f"{self.RETRY}{number}", fingerprint=str(tries + 1), documents=lambda: iter(()))

    def _notice(self, url: str, number: str) -> Iterator[Document | ParseError]:
        try:
            data = self.client().get(url, expect="xml", max_bytes=MAX_NOTICE_BYTES).body
            root = etree.fromstring(data, _SAFE_XML)
            if root is None or etree.QName(root).localname not in NOTICE_ROOTS:
                raise etree.XMLSyntaxError("not a notice", 0, 0, 0)
        except SourceError as exc:
            self._failed.add(number)
            yield ParseError(url, f"{exc.reason}; asked for again on the next run")
            self._challenged = self._challenged + 1 if exc.blocked else 0
            if self._challenged >= int(self.options.get("max_challenges", 3)):
                # TED refuses us: stop before more requests make it worse; no watermark moves.
                raise SourceError(self.name, f"{self._challenged} bot challenges in a row, the last: {exc.reason}",
                                  retryable=True, blocked=True) from None  # fmt: skip
            return
        except etree.XMLSyntaxError as exc:
            self._failed.add(number)
            yield ParseError(url, f"not a whole notice ({exc}); asked for again on the next run")
            return
        self._challenged = 0
        yield Document(origin=url, data=data, unit=number)

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, "ted")


@dataclass
class OcdsApi(Source):
    """An OCDS release-package API: UK Find a Tender (``/api/1.0/ocdsReleasePackages``, the
    default parameters), or Contracts Finder (``/Published/Notices/OCDS/Search`` with
    ``from_param: publishedFrom``, ``to_param: publishedTo``; its page size is ``limit``,
    1 to 100, like Find a Tender's).

    Times are sent as ``YYYY-MM-DDTHH:MM:SS`` in UK local time, the form Find a Tender reads
    (it refuses a trailing ``Z``); ``time_format: utc-z`` sends UTC with a ``Z`` instead.
    The time since the last run is asked for in windows; a window that holds more than one
    page is split in two rather than followed by cursor (following ``links.next`` has been
    reported to lose rows), so every request is small and a failed window is retried alone.
    A window of ``MIN_WINDOW`` that is still full is walked by its cursor (``links.next``), up to
    ``MAX_PAGES`` pages: its first page alone would drop the rest. Each window is one unit; the
    watermark moves to the end of the last window read in full.

    The services' own limits (docs/sources.md, "Services' known limits") are the kind's
    defaults, which a source's options override: Find a Tender allows 12 requests per 2 minutes,
    so it is paced at one request per 10 s for the host, and its 429 (no Retry-After) waits out
    the window its body names; its invalid JSON numbers are patched in the bytes before parsing,
    as kingfisher-collect does (`` 000,`` to `` 0,``, ``1e9999`` to ``9999999``). Contracts Finder's
    403 is its throttle (a 5-minute wait), and its bodies are read as ISO-8859-1.
    """

    kind: ClassVar[str] = "ocds"
    WATERMARK: ClassVar[str] = "~updated-to"
    MIN_WINDOW: ClassVar[timedelta] = timedelta(minutes=1)
    MAX_PAGES: ClassVar[int] = 1_000

    def service(self) -> str:
        """``fts`` (Find a Tender), ``cf`` (Contracts Finder) or ``other``, by the endpoint's path."""
        path = urlsplit(self.url or "").path.rstrip("/")
        if path.endswith("/ocdsReleasePackages"):
            return "fts"
        return "cf" if path.endswith("/Published/Notices/OCDS/Search") else "other"

    def http_defaults(self) -> dict[str, Any]:
        if self.service() == "fts":
            return {"min_interval": 10.0}  # 12 requests per 2 minutes (kingfisher-collect #1215)
        if self.service() == "cf":
            return {"throttle_403": 300.0}  # "no further requests ... until after 5 minutes"
        return {}

    def _package(self, body: bytes, where: str) -> tuple[bytes, dict[str, Any]]:
        """The body as UTF-8 JSON with the service's known flaws mended, and the package it holds."""
        encoding = str(self.options.get("encoding") or ("iso-8859-1" if self.service() == "cf" else "utf-8"))
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            body = body.decode(encoding, "replace").encode()
        if self.options.get("patch_numbers", self.service() == "fts"):
            body = body.replace(b"1e9999", b"9999999").replace(b" 000,", b" 0,")  # kingfisher-collect #1270
        try:
            package = json.loads(body)
        except ValueError as exc:
            raise SourceError(self.name, f"{where} answered something else than JSON: {exc}") from None
        if not isinstance(package, dict):
            raise SourceError(self.name, f"{where} answered something else than a release package")
        return body, package

    def _rest_of_window(self, package: dict[str, Any]) -> list[Any]:
        """The releases on the pages after the first of a window that cannot be narrowed further."""
        assert self.url is not None
        out: list[Any] = []
        link = (package.get("links") or {}).get("next")
        for _page in range(self.MAX_PAGES):
            if not isinstance(link, str) or not link:
                return out
            following = urljoin(self.url, link)
            if not same_site(following, self.url):
                raise SourceError(self.name, f"links.next leads off the service: {following}")
            _, page = self._package(self.client().get(following, expect="json").body, following)
            out += page.get("releases") or []
            link = (page.get("links") or {}).get("next")
        raise SourceError(self.name, f"a one-minute window holds more than {self.MAX_PAGES} pages; not read")

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        if not self.url:
            raise SourceError(self.name, "an ocds source needs 'url' (the release-package endpoint)")
        limit = min(100, max(1, int(self.options.get("limit", 100))))
        start = _instant(known.get(self.WATERMARK)) or clock.aware_utcnow() - timedelta(
            days=int(self.options.get("first_days", 7))
        )
        end = _instant(self.options.get("until")) or clock.aware_utcnow()
        if end <= start:  # nothing new can have come (the APIs refuse an empty window)
            yield Unit(key=self.WATERMARK, fingerprint=_stamp(start), documents=lambda: iter(()))
            return
        client = self.client()
        if self.service() == "fts":  # the pace is the host's, whatever the number of sources
            assert client.pacer is not None
            client.pacer.floor(urlsplit(self.url).netloc, client.min_interval)
        pending = [(start, end)]
        done_until = start
        while pending:
            low, high = pending.pop(0)
            low_text, high_text = self._param(low), self._param(high)
            if high_text <= low_text:  # the hour UK clocks go back is seen twice: ask a little more
                high_text = self._param(high + timedelta(hours=1))
            query = urlencode(
                {
                    str(self.options.get("from_param", "updatedFrom")): low_text,
                    str(self.options.get("to_param", "updatedTo")): high_text,
                    str(self.options.get("limit_param", "limit")): limit,
                    **{str(k): str(v) for k, v in (self.options.get("params") or {}).items()},
                }
            )
            response = client.get(f"{self.url}?{query}")
            data, package = self._package(response.body, self.url)
            more = bool((package.get("links") or {}).get("next")) or len(package.get("releases") or []) > limit
            if more and high - low > self.MIN_WINDOW:
                middle = low + (high - low) / 2
                pending[:0] = [(low, middle), (middle, high)]  # keep the windows in time order
                continue
            key = f"{_stamp(low)}/{_stamp(high)}"
            releases = [*(package.get("releases") or []), *(self._rest_of_window(package) if more else [])]
            earlier = self._earlier_releases(releases)
            if earlier or len(releases) != len(package.get("releases") or []):
                data = json.dumps({**package, "releases": [*releases, *earlier]}).encode()
            document = Document(origin=f"{self.url}?{query}", data=data, unit=key)
            yield Unit(key=key, fingerprint=hashlib.sha256(data).hexdigest(),
                       documents=partial(iter, [document]))  # fmt: skip
            done_until = high
        yield Unit(key=self.WATERMARK, fingerprint=_stamp(done_until), documents=lambda: iter(()))

    def _earlier_releases(self, releases: list[Any]) -> list[dict[str, Any]]:
        """The earlier releases of each procedure that this window holds only later news of (an
        amendment, an award): a release carries only what changed, so the tender is rebuilt from
        all of them. Find a Tender lists one procedure's releases at ``{url}/{ocid}``;
        ``process_url`` (with ``{ocid}``) names another API's, ``merge_history: false`` skips it."""
        template = self.options.get("process_url")
        if template is None and self.url and self.url.rstrip("/").endswith("/ocdsReleasePackages"):
            template = self.url.rstrip("/") + "/{ocid}"
        if not template or self.options.get("merge_history") is False:
            return []
        tags: dict[str, set[str]] = {}
        for release in releases:
            if isinstance(release, dict) and release.get("ocid"):
                tags.setdefault(str(release["ocid"]), set()).update(release.get("tag") or [])
        out: list[dict[str, Any]] = []
        for ocid, seen in tags.items():
            if seen & {"planning", "tender"}:
                continue  # the window holds the procedure's beginning
            where = str(template).format(ocid=quote(ocid, safe=""))
            _, package = self._package(self.client().get(where, expect="json").body, where)
            out += [r for r in package.get("releases") or [] if isinstance(r, dict)]
        return out

    def _param(self, moment: datetime) -> str:
        if self.options.get("time_format") == "utc-z":
            return _stamp(moment)
        return moment.astimezone(UK).strftime("%Y-%m-%dT%H:%M:%S")

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
