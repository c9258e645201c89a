"""``tender-radar eval --inbox``: what one enterprise's inbox gets, on real procurements it has not seen.

The held-out fifth of Upphandlingsmyndigheten's 2021 titles, each given as the Swedish channels
give a tender: a title and a buyer, no CPV code, no NUTS code. Every title is judged and routed
(``match_all``) to one profile per typical sector and one each for Dalarna and Gävleborg, each
taking what is flagged (score 0.3 or more: "possible" and "suitable").

What is right:
- a sector delivery, when a reader says the title's words name that sector
  (``data/uhm-2021-sector-labels.csv``, part "evaluation": read blind, from the words alone);
- a county delivery, when the buyer's organisation number (from the statistics, not given to the
  radar in the first reading) is that of a municipality or region of the county
  (``tenders/data/municipalities.csv``). Buyers that are neither (agencies, companies) belong to no
  county here.

Two readings of place: from the title and the buyer's name only (an RSS item, an alert mail), and
with the organisation number too (a buyer's form). Recall is given twice: among the flagged titles
(what routing can reach: the measure of this step) and among all (the classifier's misses too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from matching.classify import classify
from matching.subscriptions import Subscriber, match_all, typical_sectors
from radar.lab.labelled import RealTitle, real_titles, sector_labels
from tenders import clock
from tenders.model import Tender
from tenders.places import body_of, county_names

COUNTIES = ("SE312", "SE313")  # Dalarna, Gävleborg: where the radar started
FLAGGED = 0.3  # a profile takes "possible" and "suitable" (classify.POSSIBLE)


@dataclass(frozen=True, slots=True)
class _Item:
    tender: Tender
    score: float
    sectors: tuple[dict[str, Any], ...]


@dataclass
class Profile:
    """One profile's deliveries against the truth."""

    key: str
    delivered: int = 0
    right: int = 0
    truth: int = 0  # right pairs among the flagged titles: what routing can reach
    every: int = 0  # right pairs among all titles, flagged or not
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.delivered if self.delivered else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.truth if self.truth else 0.0

    @property
    def overall(self) -> float:
        return self.right / self.every if self.every else 0.0


def profiles() -> list[Subscriber]:
    subs = [Subscriber(key=f"sector:{name}", organisation=name, email="inbox@example.org", cpv=prefixes,
                       min_score=FLAGGED) for name, prefixes in typical_sectors().items()]  # fmt: skip
    subs += [Subscriber(key=f"county:{code}", organisation=code, email="inbox@example.org", regions=(code,),
                        min_score=FLAGGED) for code in COUNTIES]  # fmt: skip
    return subs


def _county(title: RealTitle) -> str | None:
    found = body_of(title.buyer_org, None)
    return found[0].county if found else None


def measure(with_org_number: bool = False) -> dict[str, Profile]:
    """Every profile's deliveries of the held-out titles (those a reader labelled)."""
    named = sector_labels("evaluation")
    titles = [t for t in real_titles("evaluation") if t.id in named]
    items = []
    for t in titles:
        org = (t.buyer_org or None) if with_org_number else None
        tender = Tender(source="uhm", notice_id=t.id, title=t.title, buyer_name=t.buyer_name or None,
                        buyer_org_id=org, buyer_country="SE")  # fmt: skip
        verdict = classify(tender)
        items.append(_Item(tender, verdict.score, tuple(verdict.sectors)))
    subs = profiles()
    out = {s.key: Profile(s.key) for s in subs}
    for t, item in zip(titles, items, strict=True):
        keys = [f"sector:{sector}" for sector in named[t.id]]
        if (county := _county(t)) in COUNTIES:
            keys.append(f"county:{county}")
        for key in keys:
            out[key].every += 1
            out[key].truth += item.score >= FLAGGED
    by_id = {t.id: t for t in titles}
    for key, matched in match_all(subs, items).items():
        profile = out[key]
        for item in matched:
            title = by_id[item.tender.notice_id]
            profile.delivered += 1
            right = (key.removeprefix("sector:") in named[title.id]) if key.startswith("sector:") else (
                _county(title) == key.removeprefix("county:"))  # fmt: skip
            profile.right += right
            if not right:
                profile.wrong.append(title.title)
    return out


def micro(found: dict[str, Profile], prefix: str) -> tuple[float, float, float]:
    """Precision, recall among the flagged titles, recall among all."""
    chosen = [p for k, p in found.items() if k.startswith(prefix)]
    delivered, right, truth, every = (sum(getattr(p, a) for p in chosen)
                                      for a in ("delivered", "right", "truth", "every"))  # fmt: skip
    return (
        (right / delivered if delivered else 0.0),
        (right / truth if truth else 0.0),
        (right / every if every else 0.0),
    )


def run(as_json: bool = False) -> str:
    by_name = measure(with_org_number=False)
    with_org = measure(with_org_number=True)
    today = clock.today().isoformat()
    if as_json:
        figures = ("precision", "recall", "recall_all")
        doc = {"date": today, "profiles": {k: {"delivered": p.delivered, "right": p.right, "pairs": p.truth,
                                               "pairs_all": p.every, "precision": round(p.precision, 3),
                                               "recall": round(p.recall, 3), "recall_all": round(p.overall, 3)}
                                           for k, p in by_name.items()},
               "sectors": dict(zip(figures, micro(by_name, "sector:"), strict=True)),
               "counties_by_name": dict(zip(figures, micro(by_name, "county:"), strict=True)),
               "counties_with_org_number": dict(zip(figures, micro(with_org, "county:"), strict=True))}  # fmt: skip
        return json.dumps(doc, indent=2)
    lines = [f"Inbox, measured {today} on {len(sector_labels('evaluation')):,} held-out real titles (title and "
             "buyer only; a profile takes what is flagged)", "",
             "| profile | delivered | right | pairs (flagged / all) | precision | recall (flagged) | recall (all) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    names = county_names()
    for key, p in by_name.items():
        label = names.get(key.removeprefix("county:"), key) if key.startswith("county:") else key
        lines.append(
            f"| {label} | {p.delivered} | {p.right} | {p.truth} / {p.every} | {p.precision:.2f} | "
            f"{p.recall:.2f} | {p.overall:.2f} |"
        )
    for title, found, prefix in (("sector profiles, micro-averaged", by_name, "sector:"),
                                 ("county profiles, title and buyer name", by_name, "county:"),
                                 ("county profiles, with the organisation number", with_org, "county:")):  # fmt: skip
        precision, recall, overall = micro(found, prefix)
        lines.append(f"| **{title}** | | | | **{precision:.2f}** | **{recall:.2f}** | {overall:.2f} |")
    return "\n".join(lines)
