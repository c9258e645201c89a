"""A buyer's procurement plan as an XLSX workbook, for the plan tests (the form, the command line,
the browser).

Three headers are those of Upphandlingsmyndigheten's statistics export ("Upphandlings-ID",
"Upphandlingens titel", "Huvudsaklig CPV-kod", its CPV cells like "90910000 Städning"); the other
headers, every row, organisation and number are invented. The planned dates lie in next year on
the project's clock, so they stay in the future on a moved clock too.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from tenders import clock

NEXT_YEAR = clock.today().year + 1
HEADERS = ["Upphandlings-ID", "Upphandlingens titel", "Huvudsaklig CPV-kod", "Planerad annonsering", "Län",
           "Uppskattat värde", "Reserverad upphandling"]  # fmt: skip
ROWS: list[list[object]] = [
    ["UH-2027-001", "Lokalvård förskolor", "90910000 Städning", datetime(NEXT_YEAR, 3, 1), "Dalarna", 1200000.0, "Ja"],
    ["UH-2027-002", "Skötsel av grönytor", "77310000 Skötsel av grönytor", datetime(NEXT_YEAR, 4, 15), "Ludvika",
     "350 000", "Nej"],
    [None, None, None, None, None, None, None],
    ["UH-2027-003", "Kaffe och frukt till möten", "städning", datetime(NEXT_YEAR, 5, 1), "Dalarna", None, None],
]  # fmt: skip


def workbook(path: Path, headers: list[str] = HEADERS, rows: list[list[object]] = ROWS) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Upphandlingsplan"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
