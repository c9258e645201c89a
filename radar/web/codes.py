"""What a code is called on a page: a label, a notice's status, a source's state, a log entry.

Pages showed codes as they are stored ("planned", "stale", "publish"); each kind here maps its
codes to an English message id (``N_`` only marks it for ``pybabel extract``), and
``code_namer`` gives the templates ``named(kind, code)`` in the page's language. A code this
table does not know is shown as it is rather than hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from matching.rules import rules


def N_(text: str) -> str:  # ruff: ignore[invalid-function-name] - the name pybabel extracts
    """Marks ``text`` for extraction; it is translated where it is shown."""
    return text


NAMES: dict[str, dict[str, str]] = {
    "label": {"suitable": N_("Suitable"), "possible": N_("Possible"), "unlikely": N_("Unlikely")},
    "status": {"planned": N_("Planned"), "open": N_("Open"), "withdrawn": N_("Withdrawn")},
    "source_state": {
        "ok": N_("OK"),
        "stale": N_("Stale"),
        "failing": N_("Failing"),
        "blocked": N_("Blocked"),
        "never": N_("Never run"),
    },
    "source_state_help": {
        "ok": N_("The last run brought what was expected."),
        "stale": N_("Nothing new for longer than expected."),
        "failing": N_("The last run had errors."),
        "blocked": N_("The service or its robots.txt refused the last run."),
        "never": N_("The source has not run yet."),
    },
    "action": {
        "publish": N_("Published"),
        "edit": N_("Changed"),
        "withdraw": N_("Withdrawn"),
        "invite": N_("Invited to a dialogue"),
        "token": N_("API token created"),
        "revoke": N_("API token revoked"),
    },
    "frequency": {
        "instant": N_("At once for reserved contracts, else daily"),
        "daily": N_("Daily"),
        "weekly": N_("Weekly"),
    },
}


def sector_name(code: str, lang: str) -> str:
    """A typical sector's name in ``lang`` (``matching/data/sectors.yaml`` names each in both)."""
    return str(rules().typical.get(code, {}).get(lang, code))


def code_namer(gettext: Callable[[str], str]) -> Callable[[str, str], str]:
    """``named(kind, code)``: the code's name through ``gettext`` (one catalogue, one language)."""

    def named(kind: str, code: str) -> str:
        name = NAMES.get(kind, {}).get(code)
        return gettext(name) if name else code

    return named
