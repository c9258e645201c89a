"""What was wrong, in the page's language: a form's fields, a notice's fields, a link.

The checks themselves live in the features and libraries (pydantic, email-validator, the
subscribers' rules) and speak English to the log and the API. A page never shows their text:
pydantic's errors are read by their ``type`` code and context, the profile form is checked
field by field here before the feature sees it, and a link's refusal is named by its kind. Each
message names the field by its label on the form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from matching.subscriptions import FREQUENCIES, SubscriberError, region_code, typical_sectors
from radar.buyers.plans import PlanError
from radar.reports.register import RegisterError
from radar.web.words import LANGUAGES, N_, words
from tenders.addresses import address_problem
from tenders.orgnr import valid as valid_org_number

Gettext = Callable[[str], str]

# The labels of the fields that messages name (the forms show the same words).
FIELD_LABELS: dict[str, str] = {
    "year": N_("Year"),
    "days": N_("Days"),
    "organisation": N_("Organisation"),
    "email": N_("Email"),
    "org_number": N_("Organisation number"),
    "regions": N_("Regions (counties or municipalities, comma-separated)"),
    "sectors": N_("Sectors"),
    "min_score": N_("Minimum score (0–100)"),
    "frequency": N_("How often"),
    "language": N_("Language"),
    "title": N_("Title"),
    "description": N_("Description"),
    "status": N_("Status"),
    "deadline": N_("Deadline"),
    "expected_publication": N_("Expected to be advertised"),
    "cpv_main": N_("CPV code"),
    "nuts": N_("Place (county)"),
    "estimated_value": N_("Estimated value (SEK)"),
    "reserved_participation": N_("Reserved for work-integration social enterprises"),
    "procedure_id": N_("Procurement ID (Upphandlings-ID)"),
    "documents_url": N_("Procurement documents"),
    "lots": N_("Lots"),
    "body": N_("The notice"),
    "cpv": N_("CPV code"),
    "place": N_("Place (county or municipality)"),
    "value": N_("Estimated value"),
    "reserved": N_("Reserved (yes/no)"),
}

# A link refused: the feature's reason (English, for the log) -> what the visitor is told.
LINK_REASONS: dict[str, str] = {
    "expired": N_("it has expired"),
    "not a token": N_("it is damaged or not one of ours"),
    "bad signature": N_("it is damaged or not one of ours"),
    "damaged": N_("it is damaged or not one of ours"),
    "already used or too old": N_("it has already been used"),
    "no such subscriber": N_("the subscription no longer exists"),
    "not a subscriber": N_("the subscription no longer exists"),
    "only a subscriber can watch a tender": N_("the subscription no longer exists"),
    "only a subscribed enterprise can show interest": N_("the subscription no longer exists"),
    "no such tender": N_("the tender no longer exists"),
    "no such notice from a buyer": N_("the notice no longer exists"),
    "the buyer has withdrawn this notice": N_("the buyer has withdrawn the notice"),
}


def field_label(field: str, gettext: Gettext) -> str:
    """A field's label on the form; a field without one (a nested path's head) by its name."""
    head = field.split(".")[0]
    return gettext(FIELD_LABELS[head]) if head in FIELD_LABELS else field


def link_problem(why: str, lang: str) -> str:
    """ "The link is invalid or too old (it has expired)." for a refused signed link."""
    _ = words(lang).gettext
    if why.startswith("a ") and " token, not a " in why:
        why = "damaged"
    reason = LINK_REASONS.get(why)
    if reason is None:
        return _("The link is invalid or too old.")
    return _("The link is invalid or too old (%(why)s).") % {"why": _(reason)}


def library_problem(kind: str, context: Mapping[str, Any], gettext: Gettext) -> str:
    """A validation error by its pydantic ``type`` code (or the project's own codes beside them)."""
    _ = gettext
    c = {k: _shown(v) for k, v in context.items()}
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: _("This field is required."),
        "string_too_short": lambda: _("Write at least %(min_length)s characters.") % c,
        "string_too_long": lambda: _("Write at most %(max_length)s characters.") % c,
        "too_long": lambda: _("At most %(max_length)s items are allowed.") % c,
        "too_short": lambda: _("At least %(min_length)s items are needed.") % c,
        "float_parsing": lambda: _("Write a number."),
        "float_type": lambda: _("Write a number."),
        "int_parsing": lambda: _("Write a whole number."),
        "finite_number": lambda: _("Write a number."),
        "greater_than_equal": lambda: _("Write a number of at least %(ge)s.") % c,
        "greater_than": lambda: _("Write a number above %(gt)s.") % c,
        "less_than": lambda: _("Write a number below %(lt)s.") % c,
        "less_than_equal": lambda: _("Write a number of at most %(le)s.") % c,
        "literal_error": lambda: _("Choose one of the choices shown."),
        "string_pattern_mismatch": lambda: _("The value does not have the expected form."),
        "extra_forbidden": lambda: _("This field is not known."),
        "iso_date": lambda: _("Write a date as YYYY-MM-DD (a time may follow)."),
        "no_nul": lambda: _("The text must not contain NUL characters."),
        "cpv_code": lambda: _("A CPV code is eight digits, optionally with a check digit (90910000-9)."),
        "nuts_code": lambda: _("%(value)s is not a NUTS code (e.g. SE312).") % c,
        "documents_url": lambda: _("Give an https:// (or http://) address of the procurement documents."),
        "planned_needs_date": lambda: _("A planned procurement needs the date it is expected to be advertised."),
        "open_needs_deadline": lambda: _("An open tender needs its deadline."),
        "lot_ids": lambda: _("Each lot needs an id of its own."),
        "date_passed": lambda: _("%(date)s has passed.") % c,
        "not_a_cpv": lambda: _("%(value)s does not start with a CPV code.") % c,
        "not_a_place": lambda: _("%(value)s is not a county, municipality or NUTS code.") % c,
        "not_a_number": lambda: _("%(value)s is not a number.") % c,
    }
    message = messages.get(kind)
    return message() if message else _("This value is not valid.")


def field_problems(kinds: Mapping[str, tuple[str, Mapping[str, Any]]], lang: str) -> dict[str, str]:
    """Each failing field (dotted path) -> its problem in ``lang``."""
    _ = words(lang).gettext
    return {field: library_problem(kind, context, _) for field, (kind, context) in kinds.items()}


def profile_problems(profile: Mapping[str, Any], lang: str, *, signing_up: bool) -> list[str]:
    """What is wrong with a posted profile (``selfservice._profile``), each naming its field's label.

    The same rules as ``parse_subscriber``, asked one field at a time, so that the visitor reads
    them in the page's language and sees every one at once."""
    _ = words(lang).gettext
    found: list[tuple[str, str]] = []
    if signing_up and not str(profile.get("organisation") or "").strip():
        found.append(("organisation", _("This field is required.")))
    email = str(profile.get("email") or "")
    if signing_up and not email:
        found.append(("email", _("This field is required.")))
    elif signing_up and address_problem(email):
        found.append(("email", _("%(value)s is not an email address.") % {"value": _shown(email)}))
    org_number = str(profile.get("org_number") or "")
    if signing_up and org_number and not valid_org_number(org_number):
        found.append(("org_number", _("%(value)s is not a valid Swedish organisation number.")
                      % {"value": _shown(org_number)}))  # fmt: skip
    for region in profile.get("regions") or []:
        try:
            region_code(str(region))
        except SubscriberError:
            found.append(("regions", _("%(value)s is not a county, municipality or NUTS code.")
                          % {"value": _shown(region)}))  # fmt: skip
    unknown = [s for s in profile.get("sectors") or [] if s not in typical_sectors()]
    if unknown:
        found.append(("sectors", _("Choose among the sectors shown.")))
    score = profile.get("min_score", 0.5)
    if not isinstance(score, int | float) or not 0 <= score <= 1:
        found.append(("min_score", _("Write a number from 0 to 100.")))
    if profile.get("frequency", "daily") not in FREQUENCIES:
        found.append(("frequency", _("Choose one of the choices shown.")))
    if profile.get("language", "sv") not in LANGUAGES:
        found.append(("language", _("Choose one of the choices shown.")))
    return [f"{field_label(field, _)}: {text}" for field, text in found]


# An invitation refused by ``radar.buyers.reminders.invite``: the start of its reason -> what the buyer reads.
INVITE_REASONS: tuple[tuple[str, str], ...] = (
    ("a dialogue invitation is only for", N_("A dialogue invitation is only for a planned procurement.")),
    ("the invitation needs a text", N_("Write the invitation.")),
    ("the invitation takes at most", N_("The invitation is too long.")),
    ("a planned procurement takes at most", N_("This procurement has had all the dialogue invitations it may have.")),
)


def invite_problem(exc: Exception, lang: str) -> str:
    """Why a dialogue invitation was not sent, in ``lang``."""
    _ = words(lang).gettext
    why = str(exc)
    if "has no contact address" in why:
        return _("Your organisation has no contact address for replies; ask the operator to add one.")
    found = next((message for start, message in INVITE_REASONS if why.startswith(start)), None)
    return _(found) if found else _("The invitation could not be sent.")


def plan_problem(exc: PlanError, lang: str) -> str:
    """Why a plan file was not previewed, in ``lang``, naming the columns by the form's labels."""
    _ = words(lang).gettext
    c = exc.context
    file = _shown(c.get("file") or "")
    if exc.code == "too_large":
        return _("%(file)s is larger than %(mb)s MB.") % {"file": file, "mb": c["mb"]}
    if exc.code == "no_rows":
        return _("%(file)s has no rows.") % {"file": file}
    if exc.code == "mapping_lacks":
        fields = ", ".join(field_label(f, _) for f in c["fields"])
        return _("Say which column holds: %(fields)s. The file's columns: %(columns)s.") % {
            "fields": fields, "columns": _shown(c["columns"])}  # fmt: skip
    if exc.code == "no_column":
        return _("The file has no column %(missing)s. Its columns: %(columns)s.") % {
            "missing": _shown(c["missing"]), "columns": _shown(c["columns"])}  # fmt: skip
    return _("%(file)s could not be read as a table (XLSX, or CSV saved as UTF-8).") % {"file": file}


def register_problem(exc: RegisterError | UnicodeDecodeError, lang: str) -> str:
    """Why the register was not imported, in ``lang``."""
    _ = words(lang).gettext
    if isinstance(exc, UnicodeDecodeError):
        return _("The file is not UTF-8 text; save the CSV as UTF-8.")
    if exc.line:
        return _("Line %(line)s: %(value)s is not a Swedish organisation number.") % {
            "line": exc.line, "value": _shown(exc.value)}  # fmt: skip
    return _("The file needs the columns name (namn) and org_number (organisationsnummer); it has: %(columns)s.") % {
        "columns": exc.value or "–"}  # fmt: skip


def _shown(value: Any) -> str:
    """A value inside a message: quoted text, numbers as they are, choices joined."""
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)
