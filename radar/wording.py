"""The application's words in the reader's language: ``radar/locale``'s gettext catalogues.

They hold what the application itself writes to people: the watch and buyer mails and the
October report (its HTML, PDF and mail). Message ids are English; the web pages keep their own
catalogue in ``radar/web/locale``.
"""

from __future__ import annotations

from pathlib import Path

from babel.support import Translations

from notifications.wording import N_ as N_
from notifications.wording import language_of
from tenders.translations import catalogue

LOCALE = Path(__file__).resolve().parent / "locale"


def words(language: str | None) -> Translations:
    """The catalogue of ``language`` (Swedish for one the radar does not have)."""
    return catalogue(LOCALE, language_of(language))
