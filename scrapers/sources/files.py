"""Sources that read TED notices as files: on disk (``ted_files``) or TED's daily packages (``ted_packages``)."""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scrapers.errors import ParseError, SourceError
from scrapers.notices import Document, Unit, iter_package, iter_units, parse_document
from scrapers.sources.base import Source
from tenders import clock
from tenders.model import Tender

log = logging.getLogger(__name__)
CET = ZoneInfo("Europe/Brussels")  # TED's publication times are given in CET/CEST


def cet_now() -> datetime:
    """The time at TED, on the project's clock (tests set it)."""
    return clock.aware_utcnow().astimezone(CET)


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
    yet); at a new year the count starts again at 1. Issue numbers count publication days, not
    weekdays, so the first run (without ``start``) takes today's issue from TED's release
    calendar (a CSV per year: issue number, date), and where that cannot be read, probes
    backwards from an upper bound (the weekdays gone by) until a package exists; the log says
    which. A package is uploaded between 00:01 and 09:00 CET and final by 09:30: before 09:30
    the newest package is read but not marked read, and it is read again after.

    An answer that is not a package (a bot challenge: 202, an empty body, not gzip) moves no
    watermark and stops the source at once as blocked (the next issue would fare no better). A package with no notices
    in it (a gzip of zeros, a truncated download) is an error, not an empty day.
    """

    kind: ClassVar[str] = "ted_packages"
    default_expect: ClassVar[str] = "4d"  # Monday to Friday, and holidays
    WATERMARK: ClassVar[str] = "~last-package"
    FINAL: ClassVar[time] = time(9, 30)
    CALENDAR: ClassVar[str] = "/en/release-calendar/-/download/file/CSV/{year}"
    _broken: set[str] = field(default_factory=set, repr=False, compare=False)

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        base = (self.url or "https://ted.europa.eu/packages/daily").rstrip("/")
        now = cet_now().astimezone(CET)
        if last := known.get(self.WATERMARK):  # the last package read: go on after it
            year, issue = int(last[:4]), int(last[4:])
        elif start := str(self.options.get("start") or ""):  # the first package to read
            year, issue = int(start[:4]), int(start[4:]) - 1
        else:
            year, issue = now.year, self._first_issue(base, now.date()) - 1
        this_year = int(self.options.get("until_year") or now.year)
        before_final = now.weekday() < 5 and now.time() < self.FINAL
        misses = 0
        self._broken = set()
        while misses < 2:
            issue += 1
            package = f"{year}{issue:05d}"
            if before_final and known.get(package) == "provisional":
                return  # read this morning already; it is final at 09:30, read again after that
            fd, name = tempfile.mkstemp(
                prefix=f"ted-{package}-", suffix=".tar.gz", dir=self.options.get("download_dir")
            )
            os.close(fd)
            target = Path(name)
            try:
                found = self.client().download(f"{base}/{package}", target, expect="gzip")
            except SourceError:
                target.unlink(missing_ok=True)
                raise
            if not found:
                target.unlink(missing_ok=True)
                if year < this_year:  # a new year: its issues start again at 1
                    year, issue, misses = year + 1, 0, 0
                    continue
                misses += 1
                continue
            misses = 0
            try:
                provisional = before_final and not self.client().exists(f"{base}/{year}{issue + 1:05d}")
            except SourceError:
                target.unlink(missing_ok=True)
                raise
            yield Unit(key=package, fingerprint="provisional" if provisional else "read",
                       documents=partial(self._members, target, package))  # fmt: skip
            if package in self._broken or provisional:
                return  # not marked read: asked for again on the next run
            yield Unit(key=self.WATERMARK, fingerprint=package, documents=lambda: iter(()))

    def _first_issue(self, base: str, today: date) -> int:
        """Today's issue (or the latest before it): from the release calendar, else probed."""
        parts = urlsplit(base)
        template = str(self.options.get("calendar_url") or f"{parts.scheme}://{parts.netloc}{self.CALENDAR}")
        try:
            text = self.client().get(template.format(year=today.year), max_bytes=1024 * 1024).body
            issues = [n for n, day in _calendar(text.decode("utf-8-sig", "replace")) if day <= today]
        except SourceError as exc:
            if exc.blocked:
                raise
            log.info("%s: TED's release calendar cannot be read (%s)", self.name, exc.reason)
            issues = []
        if issues:
            log.info("%s: first run starts at issue %d of %d, from TED's release calendar", self.name,
                     max(issues), today.year)  # fmt: skip
            return max(issues)
        guess = _upper_bound_issue(today)
        for issue in range(guess, max(0, guess - int(self.options.get("probe", 40))), -1):
            if self.client().exists(f"{base}/{today.year}{issue:05d}"):
                log.info("%s: first run starts at issue %d of %d, probed back from %d (no release calendar)",
                         self.name, issue, today.year, guess)  # fmt: skip
                return issue
        log.warning("%s: no package found between issues %d and %d of %d; starting at 1", self.name,
                    max(1, guess - int(self.options.get("probe", 40)) + 1), guess, today.year)  # fmt: skip
        return 1

    def _members(self, target: Path, package: str) -> Iterator[Document | ParseError]:
        try:
            for item in iter_package(target, unit=package):
                if isinstance(item, ParseError) and item.origin == str(target):
                    self._broken.add(package)
                yield item
        finally:
            target.unlink(missing_ok=True)

    def parse(self, document: Document) -> list[Tender]:
        return parse_document(document.data, document.origin, "ted")


def _calendar(text: str) -> list[tuple[int, date]]:
    """TED's release calendar (CSV): the issue number in the first column, its date in the
    second (D/M/YYYY, or YYYY-MM-DD); header and other rows are passed over."""
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","):
        if len(row) < 2 or not row[0].strip().isdigit():
            continue
        day = _day(row[1].strip())
        if day is not None:
            rows.append((int(row[0].strip()), day))
    return rows


def _day(text: str) -> date | None:
    for form in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text[:10], form).date()
        except ValueError:
            continue
    return None


def _upper_bound_issue(day: date) -> int:
    """OJ S issues count publication days, Monday to Friday less holidays: at most the weekdays so far."""
    start = date(day.year, 1, 1)
    return max(1, sum(1 for n in range((day - start).days + 1) if (start + timedelta(days=n)).weekday() < 5))
