"""One procedure, one tender: the keys and the test that tie notices of the same procedure together.

The same procedure shows up on TED, in an OCDS feed and on the municipality's own page,
and TED itself publishes a change notice as a new notice. The first one seen stands for
the procedure; the others are linked to it. The procedure id decides first; without one,
the buyer (organisation number, else name), a near-identical title and a deadline that
does not contradict do, and only across sources: one source never lists the same
procedure twice under two ids, while a buyer re-tendering "Städtjänster" each year does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from difflib import SequenceMatcher
from typing import Protocol

TITLE_SIMILARITY = 0.82  # difflib ratio of normalized titles; yearly re-tenders pass it, their deadlines do not
_WORD = re.compile(r"[^\W_]+")
_LEGAL_FORM = {"ab", "kommun", "kommunen", "kommuns", "region", "regionen", "landsting", "the", "of", "council"}


class Notice(Protocol):
    """What the test needs of a tender or a stored row."""

    source: str
    notice_type: str
    title: str | None
    deadline: str | None


class Member(Notice, Protocol):
    """A stored notice linked to (or standing for) a procedure."""

    id: str
    canonical_id: str | None
    published: str | None
    first_seen: datetime


def procedure_key(procedure_id: str | None) -> str | None:
    value = (procedure_id or "").strip().lower()
    return value or None


def buyer_key(org_id: str | None, name: str | None) -> str | None:
    """The buyer's organisation number (digits only) when known, else its name without legal forms."""
    digits = "".join(ch for ch in org_id or "" if ch.isdigit())
    if len(digits) >= 6:
        return f"org:{digits}"
    words = [w for w in _words(name) if w not in _LEGAL_FORM]
    return f"name:{' '.join(words)}" if words else None


def same_procedure(new: Notice, old: Notice) -> bool:
    """Whether ``new`` (same buyer key as ``old``, another source) lists the procedure ``old`` does."""
    if new.source == old.source or "result" in (new.notice_type, old.notice_type):
        return False
    if new.deadline and old.deadline and new.deadline[:10] != old.deadline[:10]:
        return False
    return title_similarity(new.title, old.title) >= TITLE_SIMILARITY


def head_of(heads: Mapping[str, Mapping[str | None, str]], procedure: str | None, buyer: str | None) -> str | None:
    """The tender standing for this notice's procedure id, unless the buyers say otherwise: a
    procedure id is one buyer's, and converted notices have been seen sharing one by mistake.

    ``heads`` maps a procedure key to buyer key -> the id standing for it."""
    by_buyer = heads.get(procedure or "")
    if not by_buyer:
        return None
    if buyer is None:
        return next(iter(by_buyer.values()))
    return by_buyer.get(buyer) or by_buyer.get(None)


def linking_order(notice: Member) -> tuple[bool, bool, str, str]:
    """The order a batch is linked in: calls for competition first, changes next, results last;
    the earliest published first, so the earliest notice stands for the procedure."""
    return (notice.notice_type == "result", notice.notice_type == "change", notice.published or "9999", notice.id)


def listed_before(new: Member, candidates: Iterable[Member]) -> Member | None:
    """The first of the buyer's unlinked notices (oldest first) that lists the procedure ``new`` does."""
    for old in candidates:
        if old.id != new.id and old.canonical_id is None and same_procedure(new, old):
            return old
    return None


def procedure_deadline(deadline: str | None, published: str | None, members: Sequence[Member]) -> str | None:
    """The deadline a later change notice of the procedure (from any source) moves this tender's
    to, or None when the tender's own deadline stands."""
    changes = sorted(
        (m for m in members if m.notice_type in ("competition", "change") and m.deadline),
        key=lambda m: (m.published or "", m.first_seen),
    )
    latest = changes[-1] if changes else None
    if latest and latest.deadline != deadline and (latest.published or "") >= (published or ""):
        return latest.deadline
    return None


def title_similarity(a: str | None, b: str | None) -> float:
    left, right = " ".join(_words(a)), " ".join(_words(b))
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def _words(text: str | None) -> list[str]:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return _WORD.findall(folded)
