"""Swedish organisation numbers: ten digits (NNNNNN-NNNN), the last a Luhn check digit.

A twelve-digit form carries the century in front (``16``, ``19``, ``20``); TED and OCDS
write them with a country prefix ("SE5560360793") or a dash, and all those forms are one number.
"""

from __future__ import annotations


def digits(value: str | None) -> str:
    """The number's ten digits from any of its written forms ("SE5560360793", "556036-0793")."""
    found = "".join(ch for ch in value or "" if ch.isdigit())
    return found[-10:] if len(found) >= 10 else found


def luhn_ok(number: str) -> bool:
    """Whether ten digits end with their Luhn check digit."""
    if len(number) != 10 or not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(number[:9]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(number[9])


def valid(value: str) -> bool:
    """A written organisation number: ten digits with an optional dash, or twelve with the century."""
    number = value.replace("-", "").strip()
    if len(number) == 12 and number[:2] in ("16", "19", "20"):
        number = number[2:]
    return luhn_ok(number)
