"""A buyer's procurement plan, from XLSX (openpyxl) or CSV: map the columns, preview, import.

Every municipality writes its plan its own way, so nothing here assumes a layout: the buyer
says which column holds each field (as ``award_csv`` does), with a guess from the headers
to start from. A mapping that names a column the file lacks is an error listing the file's
real columns. Each row becomes a planned procurement, checked like any notice; a row that
fails is named by its line and the others go on. Importing the same plan again changes the
rows already imported (they are keyed by their Upphandlings-ID, else title and date) rather
than adding them twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from matching.subscriptions import SubscriberError, region_code
from radar.buyers.notices import BuyerError, NoticeError, edit, publish, read_notice
from tenders.codes import cpv
from tenders.store import Store
from tenders.store.buyers import BuyerOrg, BuyerStore
from tenders.tables import MB, Bounds, TableError, read_rows

MAX_BYTES = 5_000_000
MAX_ROWS = 5_000
# A plan is a few thousand rows of a dozen columns; its worksheet part inflates to a few MB.
BOUNDS = Bounds(max_rows=MAX_ROWS, max_columns=100, max_lines=4 * MAX_ROWS, max_sheet_bytes=50 * MB,
                max_strings_bytes=5 * MB)  # fmt: skip
FIELDS = ("title", "expected_publication", "procedure_id", "description", "cpv", "place", "value", "reserved")
REQUIRED = ("title", "expected_publication")
YES = {"ja", "j", "yes", "y", "true", "1", "x", "sant"}
# Header words to start the mapping from. Upphandlingsmyndigheten's export names "Upphandlings-ID",
# "Upphandlingens titel", "Huvudsaklig CPV-kod", "Reserverad upphandling"; the rest are plain words.
GUESSES: dict[str, tuple[str, ...]] = {
    "title": ("upphandlingens titel", "titel", "rubrik", "upphandling", "benämning", "title"),
    "expected_publication": (
        "planerad annonsering",
        "annonsering",
        "annonseras",
        "expected publication",
        "publication",
    ),
    "procedure_id": ("upphandlings-id", "upphandlings id", "diarienummer", "dnr", "procedure id"),
    "description": ("beskrivning", "description", "omfattning"),
    "cpv": ("huvudsaklig cpv-kod", "cpv-kod", "cpv"),
    "place": ("län", "kommun", "plats", "ort", "region", "place"),
    "value": ("uppskattat värde", "beräknat värde", "värde", "estimated value", "value"),
    "reserved": ("reserverad upphandling", "reserverad", "reserved"),
}


class PlanError(ValueError):
    """A file or mapping that cannot be read at all; the message says what and where (English), the
    ``code`` and ``context`` let a page say it in its own language."""

    def __init__(self, message: str, code: str = "unreadable", **context: Any) -> None:
        super().__init__(message)
        self.code, self.context = code, context


@dataclass(frozen=True, slots=True)
class Table:
    origin: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)


@dataclass(slots=True)
class PlanRow:
    """A row: its notice, each failing field's problem (English) and, as ``NoticeError.kinds``, its
    code and context, from which a page says it in its own language."""

    line: int
    notice: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass(slots=True)
class Imported:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_table(data: bytes, origin: str) -> Table:
    """The first sheet of an XLSX workbook, or a CSV (``;`` or ``,``), as headers and rows of text."""
    if len(data) > MAX_BYTES:
        raise PlanError(f"{origin}: larger than {MAX_BYTES // 1_000_000} MB", "too_large", file=origin,
                        mb=MAX_BYTES // 1_000_000)  # fmt: skip
    try:
        numbered = [(line, [_text(c) for c in cells]) for line, cells in read_rows(data, origin, BOUNDS)]
    except TableError as exc:
        raise PlanError(str(exc), "unreadable", file=origin) from None
    if not numbered:
        raise PlanError(f"{origin}: no rows", "no_rows", file=origin)
    (_, headers), rows = numbered[0], numbered[1:]
    return Table(origin, [h.strip() for h in headers], rows)


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """A first mapping from the headers' words; the buyer checks and changes it."""
    lowered = {h.lower(): h for h in headers if h}
    out: dict[str, str] = {}
    for name, words in GUESSES.items():
        for word in words:
            found = lowered.get(word) or next((h for low, h in lowered.items() if word in low), None)
            if found and found not in out.values():
                out[name] = found
                break
    return out


def check_mapping(table: Table, mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping without empty entries; PlanError names an unknown field or a column the file lacks."""
    given = {k: v.strip() for k, v in mapping.items() if v and v.strip()}
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise PlanError(f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}", "unknown_fields")
    lacking = [name for name in REQUIRED if name not in given]
    if lacking:
        raise PlanError(f"the mapping must name the column for {' and '.join(lacking)}; "
                        f"the file's columns: {', '.join(table.headers)}", "mapping_lacks", fields=lacking,
                        columns=table.headers)  # fmt: skip
    missing = [header for header in given.values() if header not in table.headers]
    if missing:
        raise PlanError(f"{table.origin} has no column {', '.join(map(repr, missing))}; "
                        f"its columns are: {', '.join(table.headers)}", "no_column", missing=missing,
                        columns=table.headers)  # fmt: skip
    return given


def plan_rows(table: Table, mapping: Mapping[str, str], today: date | None = None) -> list[PlanRow]:
    """Each row as a planned notice with the fields that fail, for the preview and the import."""
    given = check_mapping(table, mapping)
    index = {name: table.headers.index(header) for name, header in given.items()}
    out = []
    for line, cells in table.rows:
        values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
        notice, errors, kinds = _notice(values)
        if not errors:
            try:
                read_notice(notice, today)
            except NoticeError as exc:
                errors, kinds = exc.fields, exc.kinds
        out.append(PlanRow(line, notice, errors, kinds))
    return out


def _notice(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str], dict[str, tuple[str, dict[str, Any]]]]:
    """The row as a notice, and what is wrong with its cells (messages and their codes)."""
    errors: dict[str, str] = {}
    kinds: dict[str, tuple[str, dict[str, Any]]] = {}
    notice: dict[str, Any] = {"status": "planned", "title": values.get("title", "")}
    if values.get("expected_publication"):
        notice["expected_publication"] = values["expected_publication"][:10]
    for name in ("procedure_id", "description"):
        if values.get(name):
            notice[name] = values[name]
    if values.get("cpv"):
        code = cpv(values["cpv"])
        if code is None:
            errors["cpv"] = f"{values['cpv']!r} does not start with a CPV code"
            kinds["cpv"] = ("not_a_cpv", {"value": values["cpv"]})
        else:
            notice["cpv_main"] = code
    if values.get("place"):
        try:
            notice["nuts"] = [region_code(values["place"], "place")]
        except SubscriberError:
            errors["place"] = f"{values['place']!r} is not a county, municipality or NUTS code"
            kinds["place"] = ("not_a_place", {"value": values["place"]})
    if values.get("value"):
        try:
            notice["estimated_value"] = float(values["value"].replace(" ", "").replace("\xa0", "").replace(",", "."))
        except ValueError:
            errors["value"] = f"{values['value']!r} is not a number"
            kinds["value"] = ("not_a_number", {"value": values["value"]})
    if values.get("reserved", "").lower() in YES:
        notice["reserved_participation"] = ["res-ws"]
    return notice, errors, kinds


def plan_notice_id(notice: Mapping[str, Any]) -> str:
    """Stable for the same plan row: its Upphandlings-ID, else its title and expected date."""
    key = str(notice.get("procedure_id") or f"{notice.get('title')}|{notice.get('expected_publication')}")
    return "plan-" + hashlib.sha256(key.strip().lower().encode()).hexdigest()[:16]


def import_plan(store: Store, org: BuyerOrg, rows: Sequence[PlanRow], actor: str, *, base_url: str,
                today: date | None = None) -> Imported:  # fmt: skip
    """Publish each good row as a planned procurement (or update it, if imported before)."""
    done = Imported()
    buyers = BuyerStore(store)
    for row in rows:
        if row.errors:
            done.failed.append((row.line, row.errors))
            continue
        notice_id = plan_notice_id(row.notice)
        tender_id = f"{org.source}:{notice_id}"
        try:
            owned = buyers.notice(tender_id)
            if owned is None:
                publish(store, org, row.notice, actor, base_url=base_url, today=today, notice_id=notice_id)
                done.created.append(tender_id)
            elif owned.status != "planned":  # advertised or withdrawn since: the plan no longer speaks for it
                done.unchanged.append(tender_id)
            else:
                result = edit(store, org, tender_id, row.notice, actor, base_url=base_url, today=today)
                (done.updated if result.changed else done.unchanged).append(tender_id)
        except NoticeError as exc:
            done.failed.append((row.line, exc.fields))
        except BuyerError as exc:
            done.failed.append((row.line, {"row": str(exc)}))
    return done
