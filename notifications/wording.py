"""The stage's words in the reader's language: ``notifications/locale``'s gettext catalogues.

One catalogue per language (message ids in English), read through ``tenders.translations``; the
mail templates get the same catalogue through Jinja2's i18n extension, one environment per
language, so a digest rendered on one thread never borrows another's language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tenders.translations import LANGUAGES, catalogue

LOCALE = Path(__file__).resolve().parent / "locale"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def N_(message: str) -> str:  # ruff: ignore[invalid-function-name] - the name pybabel extracts
    """Marks a message id kept in a table for gettext to translate later."""
    return message


def language_of(language: str | None) -> str:
    """A language the catalogues have; anything else reads Swedish, the radar's first language."""
    return language if language in LANGUAGES else "sv"


def words(language: str | None) -> Translations:
    """The catalogue of ``language`` (Swedish for one the radar does not have)."""
    return catalogue(LOCALE, language_of(language))


@cache
def environment(language: str) -> Environment:
    """The mail templates' Jinja2 environment for one language: ``_``/``ngettext`` from its catalogue."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(words(language), newstyle=True)  # type: ignore[attr-defined]
    return env
