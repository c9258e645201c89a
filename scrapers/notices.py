"""Bytes -> Tenders: dispatch each document on its root element, stream containers.

A directory or a TED daily package (``.tar.gz``) is read one notice at a time, so a
package of 200 MB never sits in memory. Every problem comes back as a ``ParseError``
in the stream, beside the tenders that did parse: one bad file never stops the rest.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lxml import etree

from scrapers.eforms import ROOTS as EFORMS_ROOTS
from scrapers.eforms import parse_eforms
from scrapers.errors import ParseError
from scrapers.feed import parse_feed
from scrapers.ted_legacy import parse_ted_legacy
from tenders.model import Tender

FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
# The largest notice read: a real TED notice is well under 5 MB (a legacy one with all its
# translations included); a bigger "notice" is refused, so no member of a package can make
# the reader hold more than this at once.
MAX_NOTICE_BYTES = 10 * 1024 * 1024
Parsed = Tender | ParseError
HTML_PAGE = "an HTML page, not a notice or a feed (a login page or an error page?)"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
)


def without_translations(data: bytes) -> bytes:
    """A legacy TED notice without its translated forms and its translation section.

    Up to 24 translations of the form make about 80 % of a legacy notice's bytes, and the
    parser reads only the original. Cutting them out before parsing gives the same tender
    several times faster. Nothing is cut unless the original form is there.
    """
    if b'CATEGORY="ORIGINAL"' not in data:
        return data
    pieces = []
    at = 0
    start = data.find(b"<TRANSLATION_SECTION>")
    end = data.find(b"</TRANSLATION_SECTION>", start)
    if 0 <= start < end:
        pieces.append(data[:start])
        at = end + len(b"</TRANSLATION_SECTION>")
    while (mark := data.find(b'CATEGORY="TRANSLATION"', at)) >= 0:
        open_at = data.rfind(b"<", at, mark)
        name_end = data.find(b" ", open_at)
        if open_at < 0 or name_end < 0 or name_end > mark:
            break
        close = b"</" + data[open_at + 1 : name_end] + b">"
        close_at = data.find(close, mark)
        if close_at < 0:
            break
        pieces.append(data[at:open_at])
        at = close_at + len(close)
    pieces.append(data[at:])
    return b"".join(pieces)


def parse_document(data: bytes, origin: str, source: str = "ted") -> list[Tender]:
    """One XML document -> its tenders (one for a notice, one per entry for a feed)."""
    if not data.strip():
        raise ParseError(origin, "empty file")
    if b"<TED_EXPORT" in data[:2000]:
        data = without_translations(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            raise ParseError(origin, HTML_PAGE) from None
        raise ParseError(origin, f"broken XML: {exc}") from None
    if root is None:
        raise ParseError(origin, "no XML document element")
    name = etree.QName(root).localname
    if name.lower() == "html":
        raise ParseError(origin, HTML_PAGE)
    try:
        if name == "TED_EXPORT":
            return [parse_ted_legacy(root, source)]
        if name in EFORMS_ROOTS:
            return [parse_eforms(root, source)]
        if name in FEED_ROOTS:
            return parse_feed(data, origin, source)
    except ParseError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ParseError(origin, f"<{name}>: {exc}") from exc
    raise ParseError(origin, f"not a procurement notice or feed (root element <{name}>)")


@dataclass(frozen=True, slots=True)
class Document:
    """One XML document to parse: a notice file, a feed, or a member of a package."""

    origin: str  # where it came from, for error messages: a path, ``package!member`` or a URL
    data: bytes
    unit: str = ""  # the key of the unit it belongs to
    path: Path | None = None  # a file not read yet: whoever parses it reads it (a worker, not the collector)

    def read(self) -> Document:
        """The document with its bytes. A notice file is read where it is parsed, so its bytes
        are not read by the collecting process and then copied to a worker a second time."""
        if self.path is None:
            return self
        try:
            with self.path.open("rb") as handle:
                # Up to the size it has, not the cap: a read of 10 MB allocates 10 MB first (two
                # thirds of the read's CPU). More than its size (it grew, or has none: a pipe) reads on.
                size = os.fstat(handle.fileno()).st_size
                data = handle.read(min(size, MAX_NOTICE_BYTES) + 1)
                if len(data) > size:
                    data += handle.read(MAX_NOTICE_BYTES + 1 - len(data))
        except OSError as exc:
            raise ParseError(self.origin, f"cannot read: {exc.strerror or exc}") from exc
        if len(data) > MAX_NOTICE_BYTES:
            raise ParseError(self.origin, f"larger than {MAX_NOTICE_BYTES // 2**20} MB, which no notice is; not read")
        return Document(origin=self.origin, data=data, unit=self.unit)


@dataclass(frozen=True, slots=True)
class Unit:
    """What one fingerprint covers: a file (a notice, a feed or a whole package) or a URL.

    A unit whose fingerprint is unchanged since the last run is not read again, which is
    what keeps a rerun over unchanged sources cheap.
    """

    key: str
    fingerprint: str
    documents: Callable[[], Iterator[Document | ParseError]]


def iter_units(path: Path) -> Iterator[Unit | ParseError]:
    """The units under ``path``: itself if a file, else every file below it (sorted)."""
    if not path.exists():
        yield ParseError(str(path), "no such file or directory")
        return
    files = (
        [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    )
    for file in files:
        try:
            stat = file.stat()
        except OSError as exc:
            yield ParseError(str(file), f"cannot read: {exc.strerror or exc}")
            continue
        key = str(file.relative_to(path)) if file != path else file.name
        yield Unit(key=key, fingerprint=f"{stat.st_size}:{stat.st_mtime_ns}", documents=partial(_documents, file, key))


def _documents(file: Path, key: str) -> Iterator[Document | ParseError]:
    if file.name.endswith((".tar.gz", ".tgz", ".tar")):
        yield from iter_package(file, key)
        return
    yield Document(origin=str(file), data=b"", unit=key, path=file)


def iter_package(path: Path, unit: str = "") -> Iterator[Document | ParseError]:
    """Stream a TED daily package member by member ('r|*' never seeks or loads the whole);
    a member is read up to MAX_NOTICE_BYTES, a bigger one is reported and passed over.
    A package with no notice in it (a gzip of zeros, an empty tar) is an error, not an empty day."""
    notices = 0
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".xml"):
                    continue
                notices += 1
                origin = f"{path}!{member.name}"
                if member.size > MAX_NOTICE_BYTES:
                    yield ParseError(origin, f"{member.size} bytes, more than the {MAX_NOTICE_BYTES // 2**20} MB "
                                     "a notice may have; not read")  # fmt: skip
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    yield Document(origin=origin, data=handle.read(MAX_NOTICE_BYTES), unit=unit)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        yield ParseError(str(path), f"broken package: {exc}")
        return
    if notices == 0:
        yield ParseError(str(path), "no notice in it: not a TED package, or a cut-off one")


def unit_documents(
    units: Iterable[Unit | ParseError], wanted: Callable[[Unit], bool] = lambda _unit: True
) -> Iterator[tuple[str | None, Document | ParseError]]:
    """The one loop over a source's units: (the unit's key, each document or error) for every
    unit ``wanted`` lets through; an error about a unit itself comes with no key."""
    for unit in units:
        if isinstance(unit, ParseError):
            yield None, unit
        elif wanted(unit):
            for doc in unit.documents():
                yield unit.key, doc


def walk(units: Iterable[Unit | ParseError], parse: Callable[[Document], list[Tender]]) -> Iterator[Parsed]:
    """Every tender of these units, parsed here, each error in line."""
    for _, doc in unit_documents(units):
        if isinstance(doc, ParseError):
            yield doc
            continue
        try:
            yield from parse(doc.read())
        except ParseError as exc:
            yield exc


def iter_path(path: Path, source: str = "ted") -> Iterator[Parsed]:
    """Every tender under ``path`` (a file, a folder or a package), with the errors in line."""
    yield from walk(iter_units(path), lambda doc: parse_document(doc.data, doc.origin, source))
