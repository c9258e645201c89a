"""Hostile workbooks and CSV files, built in memory, for the tests and ``make bench``.

Each is a file a buyer could upload under the 5 MB limit (``radar.buyers.plans.MAX_BYTES``) that costs
far more to read than its size says: the shapes reported against ``radar/buyers/plans.py`` (issue 25:
a declared dimension of ``A1:XFD1048576``, shared strings that inflate to 1.5 GB) and their
cousins (a part that lies about its size, entity expansion, a million rows, one row of 300,000
cells, a styles part of a million formats, a field past the csv module's limit, nesting).
All content is invented.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable

from radar.ops.bench_rows import Row
from tenders.config import PROJECT_ROOT

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    '<Relationship Id="rId3" Target="styles.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
    "</Relationships>"
)


def styles() -> str:
    """openpyxl's own default styles part (a hand-made one soon lacks a font or a fill it needs)."""
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    with zipfile.ZipFile(out) as archive:
        return archive.read("xl/styles.xml").decode()


HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Titel</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Annonseras</t></is></c></row>'
)
Chunks = Callable[[], Iterable[bytes]]


def sheet(rows: str, head: str = "") -> str:
    xml = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{xml}<worksheet xmlns="{MAIN}">{head}<sheetData>{rows}</sheetData></worksheet>'


def shared(strings: Iterable[str] = ()) -> str:
    body = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{body}</sst>'


def workbook(parts: dict[str, str | Chunks]) -> bytes:
    """A zip of the standard parts, with ``parts`` replacing or adding some (text, or a source of chunks)."""
    every: dict[str, str | Chunks] = {
        "[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/styles.xml": styles(), "xl/sharedStrings.xml": shared(),
        "xl/worksheets/sheet1.xml": sheet(HEADER_ROW), **parts,
    }  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in every.items():
            if isinstance(content, str):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as part:  # under 2 GiB: sizes in the plain headers
                for chunk in content():
                    part.write(chunk)
    return out.getvalue()


def repeated(head: str, unit: str, tail: str, total: int) -> Chunks:
    """``head``, then ``unit`` again and again up to about ``total`` bytes, then ``tail``."""

    def chunks() -> Iterable[bytes]:
        yield head.encode()
        per_block = max(1, (1 << 20) // len(unit))
        left = max(1, total // len(unit))
        while left > 0:
            yield (unit * min(per_block, left)).encode()
            left -= per_block
        yield tail.encode()

    return chunks


def lying(data: bytes, name: str, size: int) -> bytes:
    """The workbook with ``name`` declaring ``size`` uncompressed bytes in both of its zip headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    out = bytearray(data)
    struct.pack_into("<I", out, info.header_offset + 22, size)  # local file header: uncompressed size
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_length] == name.encode():
            struct.pack_into("<I", out, central + 24, size)  # central directory: uncompressed size
            break
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def dimension_bomb() -> bytes:
    """Issue 25's 1.5 kB file: a declared dimension of the whole grid and one cell in its last row."""
    last = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook({"xl/worksheets/sheet1.xml": sheet(HEADER_ROW + last, '<dimension ref="A1:XFD1048576"/>')})


def shared_strings_bomb(inflated: int = 1_500_000_000) -> bytes:
    """Shared strings that inflate to ``inflated`` bytes (issue 25: 1.5 MB zipped, 1.5 GB inflated)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
    return workbook({"xl/sharedStrings.xml": repeated(head, "<si><t>aaaaaaaaaaaaaaaa</t></si>", "</sst>", inflated)})


def lying_shared_strings(inflated: int = 200_000_000) -> bytes:
    """The shared strings bomb with a part that declares 1,000 bytes."""
    return lying(shared_strings_bomb(inflated), "xl/sharedStrings.xml", 1_000)


def entity_bomb() -> bytes:
    """The billion laughs in the shared strings."""
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    text = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "lol">{laughs}]>'
        f'<sst xmlns="{MAIN}"><si><t>&l9;</t></si></sst>'
    )
    return workbook({"xl/sharedStrings.xml": text})


def million_rows() -> bytes:
    """A million short rows (about 40 MB of worksheet)."""
    rows = repeated(sheet(HEADER_ROW).split("<sheetData>")[0] + "<sheetData>", "<row><c><v>1</v></c></row>",
                    "</sheetData></worksheet>", 40_000_000)  # fmt: skip
    return workbook({"xl/worksheets/sheet1.xml": rows})


def wide_row() -> bytes:
    """One row of about 300,000 cells."""
    head = sheet(HEADER_ROW).split("</sheetData>")[0] + '<row r="2">'
    return workbook({"xl/worksheets/sheet1.xml": repeated(head, "<c><v>1</v></c>", "</row></sheetData></worksheet>",
                                                          5_000_000)})  # fmt: skip


def styles_bomb(size: int = 950_000) -> bytes:
    """A styles part of about ``size`` bytes of cell formats: by default as many as fit under the 1 MB part cap."""
    head, tail = styles().split("</cellXfs>", 1)
    return workbook({"xl/styles.xml": repeated(head, '<xf numFmtId="14"/>', "</cellXfs>" + tail, size)})


def many_shared_strings(size: int = 4_900_000) -> bytes:
    """Shared strings of two letters each, as many as fit under the 5 MB cap, and a sheet using the last."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
    unit = "<si><t>ab</t></si>"
    last = size // len(unit) - 1
    rows = HEADER_ROW + f'<row r="2"><c r="A2" t="s"><v>{last}</v></c></row>'
    return workbook({"xl/sharedStrings.xml": repeated(head, unit, "</sst>", size),
                     "xl/worksheets/sheet1.xml": sheet(rows)})  # fmt: skip


def huge_cell() -> bytes:
    """One inline string of 45 MB, just under the worksheet cap of a plan."""
    head = sheet(HEADER_ROW).split("</sheetData>")[0] + '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    tail = "</t></is></c></row></sheetData></worksheet>"
    return workbook({"xl/worksheets/sheet1.xml": repeated(head, "x" * 1000, tail, 45_000_000)})


def deep_nesting() -> bytes:
    """A cell nested 100,000 elements deep."""
    return workbook({"xl/worksheets/sheet1.xml": sheet(HEADER_ROW + '<row r="2">' + "<c>" * 100_000 + "</row>")})


def not_a_workbook() -> bytes:
    """A zip that breaks off in its first part."""
    return dimension_bomb()[:300]


def long_csv_field() -> bytes:
    """A CSV whose second line holds one field of 4 MB, past the csv module's 131,072 characters."""
    return b"Titel;Annonseras\n" + b"x" * 4_000_000 + b";2027-01-01\n"


HOSTILE: dict[str, Callable[[], bytes]] = {
    "dimension A1:XFD1048576": dimension_bomb,
    "shared strings to 1.5 GB": shared_strings_bomb,
    "a part lying about its size": lying_shared_strings,
    "entity expansion": entity_bomb,
    "a million rows": million_rows,
    "one row of 300,000 cells": wide_row,
    "cell formats up to the part cap": styles_bomb,
    "shared strings up to their cap": many_shared_strings,
    "one cell of 45 MB": huge_cell,
    "nested 100,000 deep": deep_nesting,
    "a broken zip": not_a_workbook,
    "a 4 MB CSV field": long_csv_field,
}


TABLE_PROBE = """
import json, resource, sys, time
from radar.ops.hostile_tables import HOSTILE
from radar.buyers.plans import PlanError, read_table
name = sys.argv[1]
data = HOSTILE[name]()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
try:
    outcome = f"{len(read_table(data, 'plan.csv' if 'CSV' in name else 'plan.xlsx').rows)} rows read"
except PlanError as exc:
    outcome = "refused"
print(json.dumps({"seconds": time.perf_counter() - start, "bytes": len(data), "outcome": outcome,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "before_mb": before}))
"""


def hostile_tables_case() -> Row:
    """Each hostile upload (radar/ops/hostile_tables.py) read as the plan page reads it, in a process of its own."""
    results = {}
    for name in HOSTILE:
        out = subprocess.run([sys.executable, "-c", TABLE_PROBE, name], capture_output=True, text=True, check=True,
                             cwd=PROJECT_ROOT)  # fmt: skip
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    biggest = max(r["bytes"] for r in results.values())
    heaviest = max(results, key=lambda n: results[n]["peak_mb"])
    slowest = max(results, key=lambda n: results[n]["seconds"])
    peak, took = results[heaviest]["peak_mb"], results[slowest]["seconds"]
    row = Row("hostile uploads", f"{len(results)} XLSX and CSV files of at most {biggest / 1e6:,.1f} MB",
              [took], "files", 1)  # fmt: skip
    refused = sum(r["outcome"] == "refused" for r in results.values())
    row.note = (f"peak RSS {peak:,.0f} MB ({heaviest}; the bare process {results[heaviest]['before_mb']:,.0f} MB); "
                f"slowest {took:,.2f} s ({slowest}); {refused} refused, the rest read")  # fmt: skip
    row.target = "each < 300 MB and < 10 s, or refused"
    row.verdict = "met" if peak < 300 and took < 10 else "missed"
    row.extra = {name: {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}
                 for name, r in results.items()}  # fmt: skip
    return row
