"""Sources that read TED notices as files: on disk (``ted_files``) or TED's daily packages (``ted_packages``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from scrapers.errors import ParseError, SourceError
from scrapers.notices import Document, Unit, iter_package, iter_units, parse_document
from scrapers.sources.base import Source
from tenders import clock
from tenders.model import Tender


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
            year, issue = clock.today().year, _estimated_issue(clock.today()) - 1
        this_year = int(self.options.get("until_year") or clock.today().year)
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
