"""Every kind of source, and ``sources.yaml`` read into sources (errors name the file and the entry)."""

from __future__ import annotations

from pathlib import Path

import yaml

from scrapers.errors import SourceError, SourcesFileError
from scrapers.sources.apis import OcdsApi, TedApi
from scrapers.sources.awards import AwardCsv
from scrapers.sources.base import Source
from scrapers.sources.files import NoticeFiles, TedPackages
from scrapers.sources.mailbox import AlertMailbox
from scrapers.sources.web import Feed, MunicipalPage
from tenders.config import parse_interval

KINDS: dict[str, type[Source]] = {
    cls.kind: cls for cls in (NoticeFiles, TedPackages, Feed, TedApi, OcdsApi, MunicipalPage, AwardCsv, AlertMailbox)
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
        source = KINDS[kind](
            name=name,
            path=(path.parent / raw_path) if raw_path else None,
            url=entry.get("url"),
            description=str(entry.get("description") or ""),
            options=options,
            expect_every=expect_every,
        )
        try:
            source.deadline(1.0)  # a wrong source_deadline is the file's error, not a run's surprise
        except SourceError as exc:
            raise SourcesFileError(where, exc.reason) from None
        sources.append(source)
    return sources
