"""``tender-radar match``: which subscribers each tender reaches, without a store.

The same steps as a run, for tenders given as JSON lines: the text made safe (``tenders.hygiene``),
the verdict (``radar.judging.judge``: score, label, what is bought), then ``match_all``, the one
rule that decides who gets what. Nothing is stored and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from matching.subscriptions import Subscriber, match_all, place_of
from radar.judging import judge
from tenders.hygiene import clean
from tenders.model import Tender
from tenders.results import Assessed


def route(tenders: Iterable[tuple[Any, Tender]], subscribers: Sequence[Subscriber]) -> Iterator[dict[str, Any]]:
    """One line per tender: ``{"id", "label", "score", "sectors", "place", "subscribers"}``.

    ``tenders``: (the id to print, the tender); the subscribers are listed in the file's order."""
    given: list[Any] = []
    items: list[Assessed] = []
    for ident, tender in tenders:
        tender = clean(tender)
        verdict = judge(tender)
        given.append(ident if ident is not None else tender.id)
        items.append(Assessed(tender=tender, score=verdict.score, label=verdict.label, reasons=verdict.reasons,
                              content_hash="", sectors=tuple(verdict.sectors)))  # fmt: skip
    reached: dict[int, list[str]] = {id(item): [] for item in items}
    for key, matched in match_all(subscribers, items).items():
        for item in matched:
            reached[id(item)].append(key)
    order = {s.key: i for i, s in enumerate(subscribers)}
    for ident, item in zip(given, items, strict=True):
        keys = sorted(reached[id(item)], key=order.__getitem__)
        yield {"id": ident, "label": item.label, "score": item.score, "sectors": list(item.sectors),
               "place": place_of(item.tender), "subscribers": keys}  # fmt: skip
