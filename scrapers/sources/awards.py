"""After-the-fact award data as CSV (``award_csv``): who bought what from whom, flagged reserved or social.

Upphandlingsmyndigheten publishes per-procurement statistics (buyer and supplier organisation
numbers, CPV, the flags "Reserverad upphandling" and "Socialt hållbar upphandling"). Its export
layout is not something this project has a real file of, so nothing here guesses it: the source
says in ``sources.yaml`` which column holds what (``columns:``), and a column it names that the
file lacks is an error naming both. Each row becomes a result notice with its winner, which is
what coverage checks and "contracts won by social enterprises" count.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, ClassVar

from scrapers.codes import cpv
from scrapers.errors import ParseError, SourceError
from scrapers.notices import Document, Unit
from scrapers.sources.base import Source
from tenders.csvtext import sniff_delimiter
from tenders.model import Tender

FIELDS = (
    "procedure_id", "title", "buyer_name", "buyer_org_id", "supplier_name", "supplier_org_id",
    "cpv", "date", "value", "reserved", "social", "nuts",
)  # fmt: skip
REQUIRED = ("buyer_org_id", "supplier_org_id")
YES = {"ja", "j", "yes", "y", "true", "1", "x", "sant"}


@dataclass
class AwardCsv(Source):
    """A CSV of awarded procurements from ``path`` or ``url``; ``columns`` maps fields to headers.

    Options: ``columns`` (``buyer_org_id`` and ``supplier_org_id`` required; also
    ``procedure_id``, ``title``, ``buyer_name``, ``supplier_name``, ``cpv``, ``date``, ``value``,
    ``reserved``, ``social``, ``nuts``), ``delimiter`` (default: sniffed, ``;`` or ``,``),
    ``encoding`` (default utf-8-sig), ``country`` (default SE).
    """

    kind: ClassVar[str] = "award_csv"
    default_expect: ClassVar[str] = "120d"  # published a few times a year

    def units(self, known: Mapping[str, str] = MappingProxyType({})) -> Iterator[Unit | ParseError]:
        self._columns()  # a wrong mapping is a configuration error before anything is read
        if self.url:
            data = self.client().get(self.url).body
            origin = self.url
        else:
            path = self._local_path()
            data, origin = path.read_bytes(), str(path)
        document = Document(origin=origin, data=data, unit=origin)
        yield Unit(key=origin, fingerprint=hashlib.sha256(data).hexdigest(), documents=partial(iter, [document]))

    def parse(self, document: Document) -> list[Tender]:
        columns = self._columns()
        try:
            text = document.data.decode(str(self.options.get("encoding", "utf-8-sig")))
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(document.origin, f"cannot decode the CSV: {exc}; set 'encoding'") from None
        delimiter = str(self.options.get("delimiter") or sniff_delimiter(text))
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        missing = [header for header in columns.values() if header not in (reader.fieldnames or [])]
        if missing:
            raise ParseError(document.origin, f"the CSV has no column {', '.join(map(repr, missing))} "
                             f"(its columns: {', '.join(reader.fieldnames or [])})")  # fmt: skip
        tenders: list[Tender] = []
        for line, row in enumerate(reader, start=2):
            tender = self._tender({name: (row.get(header) or "").strip() for name, header in columns.items()})
            if tender is None:
                raise ParseError(document.origin, f"line {line}: no buyer or supplier organisation number")
            tenders.append(tender)
        return tenders

    def _columns(self) -> dict[str, str]:
        columns = self.options.get("columns")
        if not isinstance(columns, dict):
            raise SourceError(self.name, "an award_csv source needs 'columns': which CSV header holds each field")
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise SourceError(self.name, f"unknown field(s) in 'columns': {', '.join(unknown)}; known: "
                              f"{', '.join(FIELDS)}")  # fmt: skip
        lacking = [name for name in REQUIRED if not columns.get(name)]
        if lacking:
            raise SourceError(self.name, f"'columns' must name {' and '.join(lacking)}")
        return {str(k): str(v) for k, v in columns.items() if v}

    def _tender(self, row: dict[str, str]) -> Tender | None:
        if not row.get("buyer_org_id") or not row.get("supplier_org_id"):
            return None
        key = row.get("procedure_id") or "|".join(row.get(k, "") for k in ("buyer_org_id", "supplier_org_id",
                                                                            "title", "date", "cpv"))  # fmt: skip
        code = cpv(row.get("cpv", "")) if row.get("cpv") else None
        return Tender(
            source=self.name,
            notice_id=row.get("procedure_id") or hashlib.sha256(key.encode()).hexdigest()[:16],
            procedure_id=row.get("procedure_id") or None,
            notice_type="result",
            title=row.get("title") or None,
            buyer_name=row.get("buyer_name") or None,
            buyer_org_id=row["buyer_org_id"],
            buyer_country=str(self.options.get("country", "SE")),
            nuts=[row["nuts"]] if row.get("nuts") else [],
            cpv_main=code,
            estimated_value=_number(row.get("value")),
            currency=str(self.options.get("currency", "SEK")) if row.get("value") else None,
            published=row.get("date", "")[:10] or None,
            reserved_participation=["res-ws"] if _yes(row.get("reserved")) else [],
            strategic_procurement=["soc-obj"] if _yes(row.get("social")) else [],
            winners=[{"org_id": row["supplier_org_id"], "name": row.get("supplier_name") or None}],
        )


def _yes(value: str | None) -> bool:
    return (value or "").strip().casefold() in YES


def _number(value: Any) -> float | None:
    text = str(value or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None
