"""Bytes -> Tenders: dispatch each document on its root element, stream containers.

A directory or a TED daily package (``.tar.gz``) is read one notice at a time, so a
package of 200 MB never sits in memory. Every problem comes back as a ``ParseError``
in the stream, beside the tenders that did parse: one bad file never stops the rest.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from scrapers.eforms import ROOTS as EFORMS_ROOTS
from scrapers.eforms import parse_eforms
from scrapers.errors import ParseError
from scrapers.feed import parse_feed
from scrapers.ted_legacy import parse_ted_legacy
from tenders.model import Tender

FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
Parsed = Tender | ParseError
HTML_PAGE = "an HTML page, not a notice or a feed (a login page or an error page?)"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
)


def parse_document(data: bytes, origin: str, source: str = "ted") -> list[Tender]:
    """One XML document -> its tenders (one for a notice, one per entry for a feed)."""
    if not data.strip():
        raise ParseError(origin, "empty file")
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


def iter_path(path: Path, source: str = "ted") -> Iterator[Parsed]:
    """Walk a file, a directory (sorted, recursive) or a ``.tar.gz`` package."""
    if not path.exists():
        yield ParseError(str(path), "no such file or directory")
    elif path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            yield from iter_path(child, source)
    elif path.name.endswith((".tar.gz", ".tgz", ".tar")):
        yield from iter_package(path, source)
    else:
        yield from _parse_safely(_read(path), str(path), source)


def iter_package(path: Path, source: str = "ted") -> Iterator[Parsed]:
    """Stream a TED daily package member by member ('r|*' never seeks or loads the whole)."""
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".xml"):
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                yield from _parse_safely(handle.read(), f"{path}!{member.name}", source)
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield ParseError(str(path), f"broken package: {exc}")


def _read(path: Path) -> bytes | ParseError:
    try:
        return path.read_bytes()
    except OSError as exc:
        return ParseError(str(path), f"cannot read: {exc.strerror or exc}")


def _parse_safely(data: bytes | ParseError, origin: str, source: str) -> Iterator[Parsed]:
    if isinstance(data, ParseError):
        yield data
        return
    try:
        yield from parse_document(data, origin, source)
    except ParseError as exc:
        yield exc
