"""One-off: copy the real titles out of Upphandlingsmyndigheten's 2021 export into the project.

``python -m radar.lab.extract_uhm PATH/procurements-2021.xlsx`` writes
``matching/data/uhm-2021-titles.csv.gz``: one row per procurement with its Upphandlings-ID, title,
main CPV code (eight digits, empty when the export says "Uppgift saknas"), the three social
flags and the buyer (name and organisation number, as the export writes them). The text model
is trained and measured on it; nothing reads the spreadsheet at run time.
Needs openpyxl (a development dependency). Deterministic: rows in the export's order, gzip mtime 0.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "uhm-2021-titles.csv.gz"
COLUMNS = {  # column in the export -> column in the copy
    "Upphandlings-ID": "id",
    "Upphandlingens titel": "title",
    "Huvudsaklig CPV-kod": "cpv",
    "Socialt hållbar upphandling": "social",
    "Reserverad upphandling": "reserved",
    "Reserverat genomförande": "reserved_execution",
    "Namn för köpare": "buyer_name",
    "Organisationsnummer för köpare": "buyer_org",
}


def extract(source: Path, out: Path = OUT) -> int:
    from openpyxl import load_workbook

    sheet = load_workbook(source, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SystemExit(f"{source}: the export has no column {', '.join(missing)}")
    at = {c: header.index(c) for c in COLUMNS}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS.values())
    seen: set[str] = set()
    n = 0
    for line, row in enumerate(rows, start=2):
        ident = str(row[at["Upphandlings-ID"]] or "").strip()
        title = " ".join(str(row[at["Upphandlingens titel"]] or "").split())
        if not ident or not title:
            print(f"{source}: row {line} has no Upphandlings-ID or title, skipped", file=sys.stderr)
            continue
        if ident in seen:
            continue
        seen.add(ident)
        code = str(row[at["Huvudsaklig CPV-kod"]] or "")[:8]
        flags = [_flag(row[at[c]]) for c in list(COLUMNS)[3:6]]
        buyer = [" ".join(str(row[at[c]] or "").split()) for c in list(COLUMNS)[6:]]
        writer.writerow([ident, title, code if code.isdigit() and code != "00000000" else "", *flags, *buyer])
        n += 1
    out.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    return n


def _flag(value: object) -> str:
    """The export writes True/False (as text or booleans) or nothing ("Uppgift saknas")."""
    text = str(value).strip().lower() if value is not None else ""
    return "1" if text == "true" else "0" if text == "false" else ""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m radar.lab.extract_uhm PATH/procurements-2021.xlsx")
    print(f"{extract(Path(sys.argv[1]))} procurements written to {OUT}")
