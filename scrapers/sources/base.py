"""The shared base of every source: what a kind must say, and the polite HTTP client it gets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from scrapers.errors import ParseError, SourceError
from scrapers.http import PoliteClient
from scrapers.notices import Document, Parsed, Unit, walk
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
        yield from walk(self.units(), self.parse)

    def client(self) -> PoliteClient:
        """One polite client per source run: robots.txt read once, the pace kept per host."""
        if self._client is None:
            self._client = PoliteClient(
                self.name,
                min_interval=float(self.options.get("min_interval", 1.0)),
                timeout=float(self.options.get("timeout", 30.0)),
                attempts=int(self.options.get("attempts", 4)),
            )
        return self._client

    def _local_path(self) -> Path:
        if self.path is None:
            raise SourceError(self.name, f"a {self.kind} source needs 'path'")
        if not self.path.exists():
            raise SourceError(self.name, f"path {self.path} does not exist")
        return self.path
