"""Sources declared in ``sources.yaml``: a small class per kind on one shared base.

A concrete source mostly sets attributes; the base turns what it fetches into
Tenders and ParseErrors. Adding a feed or a folder of notices is configuration only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin

import yaml
from bs4 import BeautifulSoup

from scrapers.errors import ParseError, SourceError, SourcesFileError
from scrapers.feed import parse_feed
from scrapers.http import PoliteClient
from scrapers.notices import Document, Parsed, Unit, iter_package, iter_units, parse_document
from scrapers.ocds import parse_ocds
from tenders.health import parse_interval
from tenders.model import Tender


@dataclass
class Source:
    """Base: a name, a kind and where to read.

    ``units()`` says what there is to read, each with a fingerprint; ``parse()`` turns one
    document into tenders. The two are apart so that parsing can run in worker processes
    while the reading stays in one place.
    """

    kind: ClassVar[str] = ""
    default_expect: ClassVar[str] = "7d"  # how often it should bring something new
    name: str
    path: Path | None = None
    url: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    expect_every: timedelta = timedelta(days=7)
    _client: PoliteClient | None = field(default=None, repr=False, compare=False)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        """What there is to read. ``known`` holds the fingerprints of the last run, for sources
        that can ask the server what changed (conditional GET, a date watermark)."""
        raise NotImplementedError

    def parse(self, document: Document) -> list[Tender]:
        """Raise ParseError for a document that is not what this source expects."""
        raise NotImplementedError

    def tenders(self) -> Iterator[Parsed]:
        """Everything the source holds, parsed here in this process (for the CLI and tests)."""
        for unit in self.units():
            if isinstance(unit, ParseError):
                yield unit
                continue
            for document in unit.documents():
                if isinstance(document, ParseError):
                    yield document
                    continue
                try:
                    yield from self.parse(document)
                except ParseError as exc:
                    yield exc

    def client(self) -> PoliteClient:
        """One polite client per source run: robots.txt read once, the pace kept per host."""
        if self._client is None:
            self._client = PoliteClient(self.name, min_interval=float(self.options.get("min_interval", 1.0)))
        return self._client

    def _local_path(self) -> Path:
        if self.path is None:
            raise SourceError(self.name, f"a {self.kind} source needs 'path'")
        if not self.path.exists():
            raise SourceError(self.name, f"path {self.path} does not exist")
        return self.path


@dataclass
class NoticeFiles(Source):
    """TED notices on disk: one XML file, a folder of them, or a daily package (.tar.gz)."""

    kind: ClassVar[str] = "ted_files"
    default_expect: ClassVar[str] = "3d"  # TED publishes Monday to Friday

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        yield from iter_units(self._local_path())

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, self.options.get("id_prefix", "ted"))


@dataclass
class Feed(Source):
    """An RSS/Atom feed, from a URL or a file. ``nuts``/``country`` say what place it covers."""

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
        )


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
            or (date.today() - timedelta(days=int(self.options.get("first_days", 7)))).isoformat()
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
class TedPackages(Source):
    """TED's daily packages (``/packages/daily/{yyyy}{nnnnn}``, the OJ S issue): each new one is
    downloaded to disk and read member by member, so a 200 MB package is never in memory.

    The next issue after the last one read is asked for until TED answers 404 (not published
    yet); at a new year the count starts again at 1. The first run starts at ``start`` (a
    package id), or at an estimate of this year's issue from the weekdays gone by.
    """

    kind: ClassVar[str] = "ted_packages"
    default_expect: ClassVar[str] = "4d"  # Monday to Friday, and holidays
    WATERMARK: ClassVar[str] = "~last-package"

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        base = (self.url or "https://ted.europa.eu/packages/daily").rstrip("/")
        if last := known.get(self.WATERMARK):  # the last package read: go on after it
            year, issue = int(last[:4]), int(last[4:])
        elif start := str(self.options.get("start") or ""):  # the first package to read
            year, issue = int(start[:4]), int(start[4:]) - 1
        else:
            year, issue = date.today().year, _estimated_issue(date.today()) - 1
        this_year = int(self.options.get("until_year") or date.today().year)
        misses = 0
        while misses < 2:
            issue += 1
            package = f"{year}{issue:05d}"
            fd, name = tempfile.mkstemp(
                prefix=f"ted-{package}-", suffix=".tar.gz", dir=self.options.get("download_dir")
            )
            os.close(fd)
            target = Path(name)
            try:
                found = self.client().download(f"{base}/{package}", target)
            except SourceError:
                target.unlink(missing_ok=True)
                raise
            if not found:
                target.unlink(missing_ok=True)
                if year < this_year:  # a new year: its issues start again at 1
                    year, issue, misses = year + 1, 0, 0
                    continue
                misses += 1  # a holiday gap is one missing issue at most; two in a row: not published yet
                continue
            misses = 0
            yield Unit(key=package, fingerprint="read", documents=partial(self._members, target, package))
            yield Unit(key=self.WATERMARK, fingerprint=package, documents=lambda: iter(()))

    def _members(self, target: Path, package: str) -> Iterator[Document | ParseError]:
        try:
            yield from iter_package(target, unit=package)
        finally:
            target.unlink(missing_ok=True)

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, "ted")


def _estimated_issue(day: date) -> int:
    """OJ S issues are numbered by publication day, Monday to Friday; holidays make it a little lower."""
    start = date(day.year, 1, 1)
    weekdays = sum(1 for n in range((day - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)
    return max(1, weekdays - 6)


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
        start = _instant(known.get(self.WATERMARK)) or datetime.now(UTC) - timedelta(
            days=int(self.options.get("first_days", 7))
        )
        end = _instant(self.options.get("until")) or datetime.now(UTC)
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


@dataclass
class MunicipalPage(Source):
    """A municipality's list of open tenders, read with CSS selectors declared in sources.yaml.

    Options: ``url`` (the list page), ``item`` (one tender), ``title``, ``link`` (default the
    title's own ``a``), optional ``date``, ``summary``, ``next`` (the next page's link,
    followed up to ``max_pages``), and ``empty_text`` (what the page says when it really has
    no tenders). A page whose item selector suddenly matches nothing, without that text, is
    reported as broken: a changed page, not a quiet week.
    """

    kind: ClassVar[str] = "html"

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        if not self.url:
            raise SourceError(self.name, "an html source needs 'url'")
        for option in ("item", "title"):
            if not self.options.get(option):
                raise SourceError(self.name, f"an html source needs the CSS selector '{option}'")
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

    def _item(self, node: Any, page: str) -> dict[str, str | None]:
        def text(selector: str | None) -> str | None:
            found = node.select_one(selector) if selector else None
            value = " ".join(found.get_text(" ").split()) if found is not None else ""
            return value or None

        link = node.select_one(str(self.options.get("link") or f"{self.options['title']} a, a"))
        href = link.get("href") if link is not None else None
        return {
            "title": text(str(self.options["title"])),
            "url": urljoin(page, str(href)) if href else None,
            "date": text(self.options.get("date")),
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
                    nuts=nuts,
                    buyer_name=self.options.get("buyer"),
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


KINDS: dict[str, type[Source]] = {
    cls.kind: cls for cls in (NoticeFiles, TedPackages, Feed, TedApi, OcdsApi, MunicipalPage)
}


def load_sources(path: Path) -> list[Source]:
    """Read ``sources.yaml``; a wrong entry names the file, the entry and the problem."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesFileError(str(path), f"cannot read the sources file: {exc}") from exc
    entries = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise SourcesFileError(str(path), "expected a top-level 'sources:' list")
    sources: list[Source] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: sources[{index}]"
        if not isinstance(entry, dict) or not entry.get("name"):
            raise SourcesFileError(where, "each source needs a 'name'")
        name = str(entry["name"])
        if name in names:
            raise SourcesFileError(where, f"duplicate source name {name!r}")
        names.add(name)
        kind = entry.get("kind")
        if kind not in KINDS:
            raise SourcesFileError(where, f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
        if entry.get("enabled", True) is False:
            continue
        raw_path = entry.get("path")
        reserved = {"name", "kind", "path", "url", "description", "enabled", "expect_every"}
        options = {k: v for k, v in entry.items() if k not in reserved}
        try:
            expect_every = parse_interval(entry.get("expect_every") or KINDS[kind].default_expect)
        except ValueError as exc:
            raise SourcesFileError(where, f"expect_every: {exc}") from None
        sources.append(
            KINDS[kind](
                name=name,
                path=(path.parent / raw_path) if raw_path else None,
                url=entry.get("url"),
                description=str(entry.get("description") or ""),
                options=options,
                expect_every=expect_every,
            )
        )
    return sources
