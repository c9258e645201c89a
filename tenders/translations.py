"""Gettext catalogues read straight from their ``.po`` files: one place for each language's words.

Every layer keeps its own catalogue beside its code, ``<folder>/<lang>/LC_MESSAGES/<domain>.po``
(Babel's layout, so ``pybabel extract/update`` work on it). The ``.po`` is compiled in memory on
first use, so no compiled ``.mo`` is kept in the repository or can go stale after an edit. The
message ids are English; a Swedish page shows a message's Swedish translation, and a message the
Swedish catalogue lacks is a defect the catalogue tests catch, not a silent fallback to keep.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("sv", "en")


class CatalogueError(Exception):
    """A catalogue that is missing or unreadable: named with its path."""


@cache
def catalogue(folder: Path, language: str, domain: str = "messages") -> Translations:
    """The translations of ``domain`` in ``language`` from ``folder`` (cached for the process)."""
    if language not in LANGUAGES:
        raise CatalogueError(f"no catalogue for language {language!r}: one of {', '.join(LANGUAGES)}")
    path = folder / language / "LC_MESSAGES" / f"{domain}.po"
    try:
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=language, domain=domain)
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    compiled = BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)
