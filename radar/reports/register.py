"""The register of social enterprises, read from CSV: whose organisation numbers count as wins.

Columns (Swedish or English headers): ``name``/``namn``, ``org_number``/``organisationsnummer``,
``municipality``/``kommun``, ``sectors``/``branscher`` (separated by ``;`` or ``|``). A row
without a valid organisation number (ten digits, Luhn) is an error naming its line; the
import is all or nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tenders.csvtext import sniff_delimiter
from tenders.orgnr import digits, luhn_ok
from tenders.places import municipality_of

HEADERS = {
    "name": ("name", "namn", "företag", "foretag"),
    "org_number": ("org_number", "organisationsnummer", "orgnr", "org.nr", "org nr"),
    "municipality": ("municipality", "kommun"),
    "sectors": ("sectors", "branscher", "bransch", "sektorer"),
}


class RegisterError(ValueError):
    """The register cannot be read: the message (English) and, for a page's own words, ``line`` (0:
    the header) and ``value`` (the organisation number that is not one, or the columns found)."""

    def __init__(self, message: str, line: int = 0, value: str = "") -> None:
        super().__init__(message)
        self.line, self.value = line, value


def parse_register(text: str, origin: str = "register") -> list[dict[str, Any]]:
    delimiter = sniff_delimiter(text)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    columns = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    found = {field: next((columns[n] for n in names if n in columns), None) for field, names in HEADERS.items()}
    if not found["name"] or not found["org_number"]:
        raise RegisterError(f"{origin}: needs the columns name (namn) and org_number (organisationsnummer); "
                            f"it has {', '.join(reader.fieldnames or []) or 'none'}", 0,
                            ", ".join(reader.fieldnames or []))  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):

        def cell(field: str, row: dict[str, Any] = row) -> str:
            header = found[field]
            return str(row.get(header) or "").strip() if header else ""

        number = digits(cell("org_number"))
        if not luhn_ok(number):
            raise RegisterError(f"{origin}: line {line}: {cell('org_number')!r} is not a Swedish organisation number",
                                line, cell("org_number"))  # fmt: skip
        municipality = cell("municipality") or None
        place = municipality_of(f"{municipality} kommun") if municipality else None
        sectors = [s.strip() for s in cell("sectors").replace("|", ";").split(";") if s.strip()]
        out[number] = {"org_number": number, "name": cell("name") or number, "municipality": municipality,
                       "county": place[1] if place else None, "sectors": sectors}  # fmt: skip
    return list(out.values())
