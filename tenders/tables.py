"""Tables people upload (XLSX or CSV), read as a stream within bounds fixed before any parsing.

A workbook is a zip of XML parts, and both layers can lie: a 1.5 kB file may declare the
dimension ``A1:XFD1048576`` (openpyxl then pads every row to 16,384 columns), and a 1.5 MB
file may hold shared strings that inflate to 1.5 GB. So, before openpyxl opens anything:

- every part's uncompressed size is checked against a cap (zipfile stops reading a part at
  its declared size and fails its checksum, so a part that lies about its size fails too);
- a part read whole (shared strings, styles, the workbook) has a lower cap than the worksheet,
  which is parsed as a stream;
- a part that declares a DTD is refused: no workbook needs one, and entity tricks need one.

Then the first sheet is read row by row with its declared dimension ignored, at most
``max_columns`` columns wide, and the row caps are checked as the rows arrive. Anything the
libraries raise on a malformed file becomes a ``TableError`` naming the file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenders.csvtext import sniff_delimiter

MB = 1_000_000
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_PROLOGUE_BYTES = 64 * 1024  # a DTD stands before the root element, and nothing sane pads that far


class TableError(ValueError):
    """A file that cannot be read as a table, or breaks a bound; the message names the file."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin, self.reason = origin, reason


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one upload may hold; each caller chooses for its own files."""

    max_rows: int  # rows with any text below the header
    max_columns: int  # cells past this column are not read
    max_lines: int  # the sheet's or file's line numbers, blank lines included
    max_sheet_bytes: int  # a worksheet part, uncompressed (parsed as a stream)
    max_strings_bytes: int  # the shared strings, uncompressed (read whole: every string is kept)
    max_part_bytes: int = 1 * MB  # any other part (styles, the workbook): a real one is a few kB
    max_parts: int = 1_000
    max_cell_chars: int = 32_767  # Excel's own limit on the text of one cell


Row = tuple[int, list[Any]]  # (line in the file, cells)


def read_rows(data: bytes | Path, origin: str, bounds: Bounds) -> Iterator[Row]:
    """The non-blank rows of the first sheet of an XLSX workbook, or of a CSV (``;`` or ``,``).

    A generator: the caps are checked as it goes, and a ``TableError`` may come at any row.
    """
    if isinstance(data, Path):
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise TableError(origin, f"cannot be read ({exc.strerror or exc})") from None
    rows = _xlsx(data, origin, bounds) if _is_zip(data, origin) else _csv(data, origin, bounds)
    count = 0
    for line, cells in rows:
        if line > bounds.max_lines:
            raise TableError(origin, f"a row at line {line:,}, past the {bounds.max_lines:,} lines read at most")
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        count += 1
        if count > bounds.max_rows + 1:  # the first is the header
            raise TableError(origin, f"more than {bounds.max_rows:,} rows")
        yield line, cells


def _is_zip(data: bytes, origin: str) -> bool:
    return data[:2] == b"PK" or origin.lower().endswith((".xlsx", ".xlsm"))  # an XLSX file is a zip archive


def check_archive(data: bytes, origin: str, bounds: Bounds) -> None:
    """Refuse a workbook whose parts are too many, too large once inflated, or declare a DTD."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > bounds.max_parts:
                raise TableError(origin, f"{len(infos):,} parts in the workbook, more than {bounds.max_parts:,}")
            for info in infos:
                cap = _cap(info.filename, bounds)
                if info.file_size > cap:
                    raise TableError(
                        origin,
                        f"part {info.filename} inflates to {info.file_size:,} bytes, "
                        f"more than the {cap:,} read at most",
                    )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, info):
                    raise TableError(origin, f"part {info.filename} declares a DTD, which no workbook does")
    except TableError:
        raise
    except Exception as exc:  # ruff: ignore[blind-except] - a hostile archive can fail in any of zipfile's ways
        raise TableError(origin, f"not an XLSX workbook ({type(exc).__name__}: {exc})") from None


def _cap(name: str, bounds: Bounds) -> int:
    if name.startswith("xl/worksheets/"):
        return bounds.max_sheet_bytes
    return bounds.max_strings_bytes if name.lower().endswith("sharedstrings.xml") else bounds.max_part_bytes


def _declares_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether the part holds ``<!DOCTYPE`` or ``<!ENTITY``, read in chunks (the sizes are checked first)."""
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            if _DOCTYPE.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _xlsx(data: bytes, origin: str, bounds: Bounds) -> Iterator[Row]:
    check_archive(data, origin, bounds)
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    # openpyxl's reader up to the worksheets: its ReadOnlyWorksheet would parse the whole sheet
    # once just to look for a <dimension>, keeping every row element it passes
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        target = next((rel.target for _, rel in reader.parser.find_sheets()
                       if rel.target in reader.valid_files and "chartsheet" not in rel.Type), None)  # fmt: skip
    except Exception as exc:  # ruff: ignore[blind-except] - openpyxl raises whatever its parsers raise on a malformed part
        raise TableError(origin, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        if target is None:
            raise TableError(origin, "the workbook has no worksheet")
        book = reader.wb
        cells = WorkSheetParser(None, reader.shared_strings, data_only=True, epoch=book.epoch,
                                date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)  # fmt: skip
        with reader.archive.open(target) as source:
            yield from _sheet_rows(source, cells, origin, bounds)
    finally:
        reader.archive.close()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL = _MAIN + "row", _MAIN + "c"
_MAX_DEPTH = 32  # a worksheet nests about six deep


def _sheet_rows(source: Any, cells: Any, origin: str, bounds: Bounds) -> Iterator[Row]:
    """Each row as it ends, padded to its last read column; blank rows between are not invented.

    Every element is dropped from the tree once read, so memory holds one row of at most
    ``max_columns`` values whatever the declared dimension, the row numbers or the row's width.
    """
    # every part was searched for a DTD before (check_archive), and expat bounds entity expansion as well
    from xml.etree.ElementTree import iterparse  # ruff: ignore[suspicious-xml-etree-import] - see above

    stack: list[Any] = []
    row: dict[int, Any] = {}
    line = 0
    try:
        for event, element in iterparse(source, events=("start", "end")):  # ruff: ignore[suspicious-xml-element-tree-usage]
            if event == "start":
                stack.append(element)
                if len(stack) > _MAX_DEPTH:
                    raise TableError(origin, f"the worksheet nests deeper than {_MAX_DEPTH} elements")
                if element.tag == _ROW:
                    line = _row_number(element.get("r"), line, origin)
                    cells.row_counter, cells.col_counter, row = line, 0, {}
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if element.tag == _CELL:
                cell = cells.parse_cell(element)
                value = cell["value"]
                if isinstance(value, str) and len(value) > bounds.max_cell_chars:
                    raise TableError(origin, f"row {line:,} holds a cell of {len(value):,} characters, "
                                     f"more than the {bounds.max_cell_chars:,} a cell can hold")  # fmt: skip
                if cell["column"] <= bounds.max_columns and value is not None:
                    row[cell["column"]] = value
            elif element.tag == _ROW:
                yield line, [row.get(c) for c in range(1, max(row, default=0) + 1)]
                row = {}
            elif any(above.tag == _CELL for above in stack):
                continue  # a cell's value, formula or inline string: read with the cell
            element.clear()
            if parent is not None:
                parent.remove(element)
    except TableError:
        raise
    except Exception as exc:  # ruff: ignore[blind-except] - expat and openpyxl's cell reading fail in many ways on bad input
        raise TableError(origin, f"row {line:,} cannot be read ({type(exc).__name__}: {exc})") from None


def _row_number(given: str | None, previous: int, origin: str) -> int:
    if given is None:
        return previous + 1
    if not given.isdigit() or int(given) <= previous:
        raise TableError(origin, f"row number {given[:20]!r} after row {previous:,}")
    return int(given)


def _csv(data: bytes, origin: str, bounds: Bounds) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(origin, "not UTF-8 text; save the CSV as UTF-8 (or send the XLSX)") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    while True:
        try:  # a field over the csv module's limit (131,072 characters) is an error here, not a 500
            row = next(reader, None)
        except csv.Error as exc:
            raise TableError(origin, f"line {reader.line_num + 1:,}: {exc}") from None
        if row is None:
            return
        yield reader.line_num, row[: bounds.max_columns]
