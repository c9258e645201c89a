"""Email addresses from strangers, checked by ``email-validator`` (RFC 5321/5322 and its safety rules).

A regular expression let through ``<x>@e.org`` (delivered to ``x``), ``x@[127.0.0.1].se`` and
bidi control characters that make an address read differently from how it is delivered.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a plain deliverable address (no display name, no IP literal), or None."""
    if not value or len(value) > 254:
        return "an address has 1 to 254 characters"
    try:
        validate_email(value, check_deliverability=False, allow_display_name=False, allow_domain_literal=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def is_address(value: str) -> bool:
    return address_problem(value) is None
