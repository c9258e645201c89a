"""What the store hands back to matching and notifications: model types, never ORM rows.

They live in the core so that neither stage imports the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenders.model import Tender


@dataclass(frozen=True, slots=True)
class Verdict:
    """A classifier's judgement of one tender, as the store keeps it."""

    score: float
    label: str
    reasons: list[dict[str, Any]]
    version: str
    sectors: list[dict[str, Any]] = field(default_factory=list)  # what it buys: by CPV code or by its words


@dataclass(frozen=True, slots=True)
class Assessed:
    """A classified tender as matching and digests read it."""

    tender: Tender
    score: float
    label: str
    reasons: list[dict[str, Any]]
    content_hash: str
    also: tuple[Listing, ...] = ()  # the same procedure as other sources list it
    sectors: tuple[dict[str, Any], ...] = ()  # what it buys, as the verdict says


@dataclass(frozen=True, slots=True)
class Listing:
    """Where else a procedure is listed: a linked notice's source, type and link."""

    tender_id: str
    source: str
    notice_type: str
    url: str | None
