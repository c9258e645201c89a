"""Sources declared in ``sources.yaml``: a small class per kind on one shared base.

A concrete source mostly sets attributes; the base turns what it fetches into
Tenders and ParseErrors. Adding a feed or a folder of notices is configuration only.
"""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import yaml

from scrapers.errors import ParseError, SourceError, SourcesFileError
from scrapers.feed import parse_feed
from scrapers.notices import Document, Parsed, Unit, iter_units, parse_document
from tenders.health import parse_interval
from tenders.model import Tender

USER_AGENT = "SocialTenderRadar/0.1 (+https://github.com/social-tender-radar)"
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 30


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

    def units(self) -> Iterator[Unit | ParseError]:
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

    def units(self) -> Iterator[Unit | ParseError]:
        yield from iter_units(self._local_path())

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, self.options.get("id_prefix", "ted"))


@dataclass
class Feed(Source):
    """An RSS/Atom feed, from a URL or a file. ``nuts``/``country`` say what place it covers."""

    kind: ClassVar[str] = "feed"

    def units(self) -> Iterator[Unit | ParseError]:
        if self.url:
            data = fetch(self.url, self.name)
            document = Document(origin=self.url, data=data, unit=self.url)
            # Nothing cheaper than the content tells whether a fetched feed changed.
            fingerprint = hashlib.sha256(data).hexdigest()
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


KINDS: dict[str, type[Source]] = {cls.kind: cls for cls in (NoticeFiles, Feed)}


def fetch(url: str, source: str) -> bytes:
    """GET with a timeout, a size cap and only http(s)."""
    if not url.startswith(("http://", "https://")):
        raise SourceError(source, f"only http and https URLs are fetched, not {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # ruff: ignore[suspicious-url-open-usage] (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # ruff: ignore[suspicious-url-open-usage] (scheme checked above)
            data: bytes = response.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(source, f"cannot fetch {url}: {exc}", retryable=True) from exc
    if len(data) > MAX_BYTES:
        raise SourceError(source, f"{url} is larger than {MAX_BYTES} bytes")
    return data


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
