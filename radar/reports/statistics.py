"""Import Upphandlingsmyndigheten's statistics exports (XLSX or CSV) into the store.

Which of the three exports a file is shows in its headers: the contracted suppliers carry
``Namn för leverantör``, the contracted value ``Kontrakterat värde, Summa``, the procurements
neither. A file with other headers is refused with the headers each export needs. A row that
cannot be read is reported (file, row, column, value) and skipped; the rest is imported.

The raw CSV export (``;`` between fields) writes values holding ``; `` unquoted, so a title like
"Städ; fönsterputs" splits its row: ``repair_raw_csv`` turns each ``; `` into ``, `` before the
rows are read, as okfse/oppna-upphandlingsdata does (it replaces ``'; '`` with ``','`` before
parsing with ``sep=';'``). A field separator is a bare ``;``, never followed by a space.

Each procurement is attributed to the municipality or region buying (organisation number,
else official name). A municipality that buys for its neighbours (Ludvika kommun hosts
UpphandlingsCenter, Dalarna's joint procurement body) names the member in the title
("Tvätt av gardiner - Borlänge kommun"): such a procurement goes to the one member named.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tenders.csvtext import sniff_delimiter
from tenders.orgnr import digits
from tenders.places import buyer_body
from tenders.store import Store
from tenders.tables import MB, Bounds, TableError, read_rows

COMMON = (
    "År", "Namn för köpare", "Organisationsnummer för köpare", "Huvudsaklig CPV-kod",
    "Socialt hållbar upphandling", "Reserverad upphandling", "Reserverat genomförande",
    "Upphandlings-ID", "Upphandlingens titel", "Publiceringsdatum",
)  # fmt: skip
EXPECTED = {
    "procurements": (*COMMON, "Förfarande", "Annonsdatabas"),
    "contracts": (*COMMON, "Anbudsområdes-ID", "Namn för leverantör", "Juridisk form för leverantör"),
    "values": (*COMMON, "Kontrakterat värde, Summa"),
}
FLAGS = {"social": "Socialt hållbar upphandling", "reserved": "Reserverad upphandling",
         "reserved_execution": "Reserverat genomförande"}  # fmt: skip
# A whole year's export is about 18,500 rows of some 40 columns; its worksheet (inline strings) about 60 MB.
BOUNDS = Bounds(max_rows=2_000_000, max_columns=200, max_lines=4_000_000, max_sheet_bytes=1_000 * MB,
                max_strings_bytes=50 * MB)  # fmt: skip
TRUE_WORDS = {"true", "ja", "yes", "1"}
FALSE_WORDS = {"false", "nej", "no", "0", "", "uppgift saknas"}


class StatisticsError(ValueError):
    """A file that is not one of the exports, or cannot be read at all."""


@dataclass
class ImportResult:
    path: str
    kind: str
    rows: int = 0
    procurements: int = 0
    years: set[int] = field(default_factory=set)
    in_county: int = 0  # rows whose buyer is a municipality or region
    by_title: int = 0  # rows attributed to the member municipality named in the title
    problems: list[str] = field(default_factory=list)


def import_export(store: Store, path: Path) -> ImportResult:
    """Read one export and replace its (year, Upphandlings-ID) rows in the store."""
    kind, rows = read_export(path)
    result = ImportResult(path=str(path), kind=kind)
    records = []
    for number, row in rows:
        try:
            record = _record(kind, row)
        except ValueError as exc:
            result.problems.append(f"{path}: row {number}: {exc}")
            continue
        records.append(record)
        result.rows += 1
        result.years.add(record["year"])
        result.in_county += record["county"] is not None
        result.by_title += record["attributed_by"] == "title"
    result.procurements = store.replace_statistics(kind, records)
    return result


def read_export(path: Path) -> tuple[str, Iterator[tuple[int, dict[str, Any]]]]:
    """The export's kind and its rows (row number, header -> value), read as a stream within ``BOUNDS``."""
    rows = _rows(path)
    first = next(rows, None)
    header = [str(v).strip() if v is not None else "" for v in (first[1] if first else [])]
    kind = recognise(header, str(path))
    return kind, ((n, dict(zip(header, values, strict=False))) for n, values in rows)


def repair_raw_csv(data: bytes) -> bytes:
    """A ``;``-separated CSV with ``; `` turned into ``, `` (values the raw export leaves unquoted);
    anything else (a workbook, a ``,`` CSV, bytes that are not UTF-8) as it is."""
    if data[:2] == b"PK":
        return data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data  # read_rows names the file and the fault
    if sniff_delimiter(text) != ";" or "; " not in text:
        return data
    return text.replace("; ", ", ").encode("utf-8")


def _rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StatisticsError(f"{path}: cannot be read as an XLSX or CSV export: {exc.strerror or exc}") from None
    if not str(path).lower().endswith((".xlsx", ".xlsm")):
        data = repair_raw_csv(data)
    try:
        yield from read_rows(data, str(path), BOUNDS)
    except TableError as exc:
        raise StatisticsError(f"{exc.origin}: cannot be read as an XLSX or CSV export: {exc.reason}") from None


def recognise(header: list[str], where: str) -> str:
    present = set(header)
    for kind in ("contracts", "values", "procurements"):
        if set(EXPECTED[kind]) <= present:
            return kind
    lines = "\n".join(f"  {kind}: {', '.join(cols)}" for kind, cols in EXPECTED.items())
    closest = min(EXPECTED, key=lambda k: len(set(EXPECTED[k]) - present))
    missing = ", ".join(c for c in EXPECTED[closest] if c not in present)
    raise StatisticsError(
        f"{where}: not an export of Upphandlingsmyndigheten's statistics (closest: {closest}, missing {missing}); "
        f"expected the headers of one of:\n{lines}"
    )


def _record(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    year = _integer(row.get("År"), "År")
    procurement_id = _text(row.get("Upphandlings-ID"))
    if not procurement_id:
        raise ValueError("Upphandlings-ID is empty")
    title = _text(row.get("Upphandlingens titel"))
    buyer_org = digits(_text(row.get("Organisationsnummer för köpare"))) or None
    buyer_name = _text(row.get("Namn för köpare"))
    found = buyer_body(buyer_org, buyer_name, title)
    body, how = found if found else (None, None)
    out: dict[str, Any] = {
        "year": year, "procurement_id": procurement_id, "title": title,
        "published": _day(row.get("Publiceringsdatum")), "buyer_name": buyer_name, "buyer_org": buyer_org,
        "main_cpv": _text(row.get("Huvudsaklig CPV-kod")), "cpv_division": _text(row.get("CPV-Huvudgrupp")),
        "municipality": body.name if body else None, "county": body.county if body else None, "attributed_by": how,
    }  # fmt: skip
    for key, column in FLAGS.items():
        out[key] = flag(row.get(column), column)
    if kind == "procurements":
        out["procedure"] = _text(row.get("Förfarande"))
        out["ad_database"] = _text(row.get("Annonsdatabas"))
    elif kind == "contracts":
        sni = [_text(row.get(c)) for c in ("SNI-Detaljgrupp för leverantör", "SNI-Avdelning för leverantör")]
        out.update(
            lot_id=_text(row.get("Anbudsområdes-ID")), supplier_name=_text(row.get("Namn för leverantör")),
            supplier_sector=_text(row.get("Sektor för leverantör")),
            supplier_size=_text(row.get("Företagsstorlek för leverantör")),
            supplier_legal_form=_text(row.get("Juridisk form för leverantör")),
            supplier_sni=next((s for s in sni if s), None),
            contracts=_integer(row.get("Antal kontrakterade anbud*, Summa"), "Antal kontrakterade anbud*, Summa", 1),
        )  # fmt: skip
    else:
        value = row.get("Kontrakterat värde, Summa")
        out["value"] = None if value in (None, "") else _number(value, "Kontrakterat värde, Summa")
    return out


def flag(value: Any, column: str) -> bool:
    """``True``/``False`` (cleaned exports), or the raw export's words ("Inte socialt hållbar upphandling")."""
    if isinstance(value, bool):
        return value
    text = ("" if value is None else str(value)).strip().lower()
    if text in TRUE_WORDS or text == column.lower():
        return True
    if text in FALSE_WORDS or text.startswith(("inte ", "ej ", "ej-")):
        return False
    raise ValueError(f"{column}: {value!r} is neither a yes nor a no")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _integer(value: Any, column: str, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a whole number") from None


def _number(value: Any, column: str) -> float:
    try:
        return float(str(value).replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a number") from None


def _day(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    text = _text(value)
    return text[:10] if text else None
