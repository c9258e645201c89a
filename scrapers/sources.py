"""Sources declared in ``sources.yaml``: a small class per kind on one shared base.

A concrete source mostly sets attributes; the base turns what it fetches into
Tenders and ParseErrors. Adding a feed or a folder of notices is configuration only.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from scrapers.errors import ParseError, SourceError, SourcesFileError
from scrapers.feed import parse_feed
from scrapers.notices import Parsed, iter_path

USER_AGENT = "SocialTenderRadar/0.1 (+https://github.com/social-tender-radar)"
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 30


@dataclass
class Source:
    """Base: a name, a kind and where to read; ``tenders()`` yields what it found."""

    kind: ClassVar[str] = ""
    name: str
    path: Path | None = None
    url: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def tenders(self) -> Iterator[Parsed]:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} ({self.kind}: {self.url or self.path})"


@dataclass
class NoticeFiles(Source):
    """TED notices on disk: one XML file, a folder of them, or a daily package (.tar.gz)."""

    kind: ClassVar[str] = "ted_files"

    def tenders(self) -> Iterator[Parsed]:
        if self.path is None:
            raise SourceError(self.name, "a ted_files source needs 'path'")
        if not self.path.exists():
            raise SourceError(self.name, f"path {self.path} does not exist")
        yield from iter_path(self.path, source=self.options.get("id_prefix", "ted"))


@dataclass
class Feed(Source):
    """An RSS/Atom feed, from a URL or a file. ``nuts``/``country`` say what place it covers."""

    kind: ClassVar[str] = "feed"

    def tenders(self) -> Iterator[Parsed]:
        origin = self.url or str(self.path)
        if self.url:
            data = fetch(self.url, self.name)
        elif self.path is not None:
            if not self.path.exists():
                raise SourceError(self.name, f"path {self.path} does not exist")
            data = self.path.read_bytes()
        else:
            raise SourceError(self.name, "a feed source needs 'url' or 'path'")
        try:
            yield from parse_feed(
                data,
                origin,
                self.name,
                nuts=list(self.options.get("nuts") or []),
                country=self.options.get("country"),
                notice_type=self.options.get("notice_type", "other"),
            )
        except ParseError as exc:
            yield exc


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
        raise SourceError(source, f"cannot fetch {url}: {exc}") from exc
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
        options = {k: v for k, v in entry.items() if k not in {"name", "kind", "path", "url", "description", "enabled"}}
        sources.append(
            KINDS[kind](
                name=name,
                path=(path.parent / raw_path) if raw_path else None,
                url=entry.get("url"),
                description=str(entry.get("description") or ""),
                options=options,
            )
        )
    return sources
