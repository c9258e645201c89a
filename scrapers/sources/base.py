"""The shared base of every source: what a kind must say, and the polite HTTP client it gets."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from scrapers.errors import ParseError, SourceError
from scrapers.http import DEADLINE, MAX_BYTES, MAX_RETRY_AFTER, TIMEOUT, PoliteClient
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
    _stop_at: float | None = field(default=None, repr=False, compare=False)
    _budget: float = field(default=0.0, repr=False, compare=False)

    def deadline(self, default: float) -> float:
        """Seconds this source may take in all, per run: its ``source_deadline`` in sources.yaml, else
        ``default`` (``TENDER_RADAR_SOURCE_DEADLINE``)."""
        value = self.options.get("source_deadline")
        try:
            seconds = float(value) if value is not None else default
        except (TypeError, ValueError):
            raise SourceError(self.name, f"source_deadline {value!r} is not a number of seconds") from None
        if not seconds > 0:
            raise SourceError(self.name, f"source_deadline {value!r} must be more than 0 seconds")
        return seconds

    def start_clock(self, seconds: float) -> None:
        """The run starts now and must end within ``seconds``: every request and retry of this
        source's client stops there (a hanging server costs the source this much, no more)."""
        self._stop_at, self._budget = time.monotonic() + seconds, seconds
        if self._client is not None:
            self._client.stop_at, self._client.budget = self._stop_at, seconds

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        """What there is to read. ``known`` holds the fingerprints of the last run, for sources
        that can ask the server what changed (conditional GET, a date watermark)."""
        raise NotImplementedError

    def parse(self, document: Document) -> list[Tender]:
        """Raise ParseError for a document that is not what this source expects."""
        raise NotImplementedError

    def after_store(self, stored: Mapping[str, str]) -> None:
        """Called once the run has stored what these units held (key -> fingerprint): a source
        that must tell its origin (an IMAP mailbox: mark read) does it here, never before."""

    def tenders(self) -> Iterator[Parsed]:
        """Everything the source holds, parsed here in this process (for the CLI and tests)."""
        yield from walk(self.units(), self.parse)

    def client(self) -> PoliteClient:
        """One polite client per source run: robots.txt read once per origin, the pace kept per
        host across sources. The operator's contact (``TENDER_RADAR_CONTACT``) is required."""
        if self._client is None:
            o = {**self.http_defaults(), **self.options}
            self._client = PoliteClient(
                self.name,
                contact=str(o.get("contact") or os.environ.get("TENDER_RADAR_CONTACT") or ""),
                min_interval=float(o.get("min_interval", 1.0)),
                timeout=float(o.get("timeout", TIMEOUT)),
                deadline=float(o.get("request_deadline", DEADLINE)),
                attempts=max(1, int(o.get("attempts", 4))),
                backoff=float(o.get("backoff", 1.0)),
                max_bytes=int(o.get("max_bytes", MAX_BYTES)),
                max_retry_after=float(o.get("max_retry_after", MAX_RETRY_AFTER)),
                rate_window=float(o["rate_window"]) if o.get("rate_window") is not None else None,
                throttle_403=float(o["throttle_403"]) if o.get("throttle_403") is not None else None,
                allow_private=o.get("allow_private") is True,
                stop_at=self._stop_at,
                budget=self._budget,
            )
        return self._client

    def http_defaults(self) -> dict[str, Any]:
        """The client options a kind knows its service needs (its pace, its throttle); the
        source's own options in ``sources.yaml`` override them."""
        return {}

    def _local_path(self) -> Path:
        if self.path is None:
            raise SourceError(self.name, f"a {self.kind} source needs 'path'")
        if not self.path.exists():
            raise SourceError(self.name, f"path {self.path} does not exist")
        return self.path
