"""eForms code lists (Genericode files under ``tenders/data/reference``): codes and their labels.

Labels come in every EU language; the digests use Swedish and English. The files are package
data, read through ``importlib.resources``, so a plain wheel install finds them.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from lxml import etree

REFERENCE = files("tenders") / "data" / "reference"
LANG3 = {"sv": "swe", "en": "eng"}


@lru_cache(maxsize=32)
def codelist(name: str) -> dict[str, dict[str, str]]:
    """``{code: {"en": label, "sv": label}}`` for the list in ``tenders/data/reference/{name}.gc``."""
    data = (REFERENCE / f"{name}.gc").read_bytes()
    tree = etree.ElementTree(etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True)))
    out: dict[str, dict[str, str]] = {}
    for row in tree.iterfind(".//Row"):
        values = {v.get("ColumnRef"): (v.findtext("SimpleValue") or "") for v in row.iterfind("Value")}
        code = values.get("code")
        if not code:
            continue
        labels = {lang: values.get(f"{lang3}_label") or values.get("Name") or code for lang, lang3 in LANG3.items()}
        out[code] = labels
    return out


def label(name: str, code: str, language: str = "en") -> str:
    """The label of ``code`` in ``language``, or the code itself when the list lacks it."""
    return codelist(name).get(code, {}).get(language) or code
