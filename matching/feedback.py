"""A subscriber's "relevant / not relevant" refines what they get.

A tender called not relevant never comes again, changed or not. A kind of work (the sector the
classifier named, else the CPV division) turned down twice and never welcomed needs a score
``MARGIN`` above the subscriber's minimum from then on: the digest learns without the
subscriber editing a profile. The votes are also kept as labelled examples (``tender-radar
feedback``) for the next training of the text model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from matching.subscriptions import Subscriber
from tenders.results import Assessed

MARGIN = 0.2
TURNED_DOWN = 2


def kind_of(item: Assessed) -> str | None:
    for reason in item.reasons:
        if reason.get("code") == "typical_sector" and reason.get("sector"):
            return f"sector:{reason['sector']}"
    cpv = item.tender.cpv_main
    return f"cpv:{cpv[:3]}" if cpv else None


def refine(
    subscriber: Subscriber, items: Sequence[Assessed], votes: Mapping[str, bool], voted: Mapping[str, Assessed]
) -> list[Assessed]:
    """``votes``: this subscriber's tender id -> relevant; ``voted``: those tenders as assessed."""
    if not votes:
        return list(items)
    down = Counter(kind_of(voted[t]) for t, ok in votes.items() if not ok and t in voted)
    up = {kind_of(voted[t]) for t, ok in votes.items() if ok and t in voted}
    shunned = {k for k, n in down.items() if k is not None and n >= TURNED_DOWN and k not in up}
    out = []
    for item in items:
        if votes.get(item.tender.id) is False:
            continue
        if shunned and kind_of(item) in shunned and item.score < subscriber.min_score + MARGIN:
            continue
        out.append(item)
    return out
