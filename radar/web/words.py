"""The web pages' words: one gettext catalogue per language (``radar/web/locale``), English ids.

Each language has a Jinja2 environment of its own with the i18n extension and that language's
catalogue installed (``install_gettext_translations`` binds one catalogue to an environment for
good), so two requests in two languages on two threads never see each other's words. Python code
asks ``words(lang)`` for the same catalogue: ``_ = words(lang).gettext``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from radar.web.codes import N_, code_namer, sector_name
from tenders.translations import LANGUAGES, catalogue

LOCALE = Path(__file__).resolve().parent / "locale"
TEMPLATES = Path(__file__).resolve().parent / "templates"
__all__ = ["BAD_FORM", "BAD_LINK", "LANGUAGES", "LOCALE", "N_", "environment", "month_names", "words"]

# Said by many pages.
BAD_FORM = N_("The form could not be sent (invalid or missing security token). Reload the page and try again.")
BAD_LINK = N_("The link is invalid or too old.")
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))  # fmt: skip


def words(lang: str) -> Translations:
    """The web catalogue of ``lang`` (``sv`` or ``en``)."""
    return catalogue(LOCALE, lang)


@cache
def environment(lang: str) -> Environment:
    """The templates in ``lang``: ``{{ _("...") }}``, ``{% trans %}``, ``ngettext``, ``named(kind, code)``
    and ``sector_named(code)``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), extensions=["jinja2.ext.i18n"]
    )
    translations = words(lang)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["named"] = code_namer(translations.gettext)
    env.globals["sector_named"] = lambda code: sector_name(code, lang)
    return env


def month_names(lang: str) -> list[str]:
    """The twelve months' short names in ``lang``, January first."""
    return [words(lang).gettext(month) for month in MONTHS]
