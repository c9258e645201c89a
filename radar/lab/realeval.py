"""``tender-radar eval --real``: the text-only classifier on real procurements it has not seen.

The held-out fifth of Upphandlingsmyndigheten's 2021 titles (grouped by Upphandlings-ID: no
procurement is in both training and evaluation) and the held-out half of the real TED notices,
each judged from its words alone, as an RSS item or a municipal list gives them; its main CPV
code says what it really is. Two readings: titles alone, and titles with their descriptions
where there are any (the TED notices have them; the statistics have titles only).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from matching.classify import classify
from matching.rules import sector_of
from radar.lab.labelled import notices_by_sector, reader_labels, real_titles
from tenders.model import Tender

# The work issue 14 names as typical (its "196 titles"): the figure beside the one for every typical sector.
CORE_WORK = frozenset(["cleaning", "catering", "grounds", "snow", "laundry", "removals"])
OTHER_SECTOR_SUITABLE_AT_MOST = 0.01
TYPICAL_FLAGGED_AT_LEAST = 0.95


@dataclass
class RealScores:
    """Verdicts by kind of work (from the CPV code), and predicted sectors against true ones."""

    verdicts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, label)
    sectors: Counter[tuple[str, str]] = field(default_factory=Counter)  # (true sector, predicted sector)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, true sector, label)
    core: Counter[bool] = field(default_factory=Counter)  # core typical work: flagged or not

    def count(self, kind: str) -> int:
        return sum(n for (k, _), n in self.verdicts.items() if k == kind)

    def share(self, kind: str, *labels: str) -> float:
        n = self.count(kind)
        return sum(self.verdicts[kind, label] for label in labels) / n if n else 0.0

    def other_sector_suitable(self) -> float:
        return self.share("unlikely", "suitable")

    def typical_flagged(self) -> float:
        return self.share("typical", "suitable", "possible")

    def core_flagged(self) -> float:
        return self.core[True] / (self.core[True] + self.core[False]) if self.core else 0.0

    def meets_targets(self) -> bool:
        return (self.other_sector_suitable() <= OTHER_SECTOR_SUITABLE_AT_MOST
                and self.typical_flagged() >= TYPICAL_FLAGGED_AT_LEAST)  # fmt: skip

    def sector_metrics(self, sector: str) -> tuple[float, float, int]:
        tp = self.sectors[sector, sector]
        predicted = sum(n for (_, p), n in self.sectors.items() if p == sector)
        actual = sum(n for (t, _), n in self.sectors.items() if t == sector)
        return (tp / predicted if predicted else 0.0, tp / actual if actual else 0.0, actual)


@dataclass
class ReaderAudit:
    """The verdicts on titles alone beside a reader's blind labels (``uhm-2021-audit.csv``): how
    much of the gap is the classifier's, and how much is a CPV code whose title names other work."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (title, CPV kind, work, label, verdict)

    def flagged(self, kind: str | None, work: str | None) -> tuple[float, int]:
        """Share of the titles of this CPV kind and reader's ``work`` (None: any) flagged, and their number."""
        chosen = [r for r in self.rows if kind in (None, r[1]) and work in (None, r[2])]
        return (sum(r[4] != "unlikely" for r in chosen) / len(chosen) if chosen else 0.0), len(chosen)

    def suitable_precision_recall(self) -> tuple[float, float]:
        said = [r for r in self.rows if r[4] == "suitable"]
        meant = [r for r in self.rows if r[3] == "suitable"]
        hit = sum(r[3] == "suitable" for r in said)
        return (hit / len(said) if said else 0.0), (hit / len(meant) if meant else 0.0)

    def accuracy(self) -> float:
        return sum(r[3] == r[4] for r in self.rows) / len(self.rows) if self.rows else 0.0

    def misses(self) -> list[tuple[str, str, str]]:
        """Titles whose words name typical work (the reader's "yes") that were called unlikely."""
        return [(r[0], r[1], r[3]) for r in self.rows if r[2] == "yes" and r[4] == "unlikely"]


@dataclass
class RealReport:
    titles: RealScores
    with_descriptions: RealScores
    items: int
    described: int
    audit: ReaderAudit = field(default_factory=ReaderAudit)

    def meets_targets(self) -> bool:
        return self.titles.meets_targets()


def evaluate_real() -> RealReport:
    titles, described = RealScores(), RealScores()
    items: list[tuple[str, str, str | None, str]] = [(t.id, t.title, None, t.cpv) for t in real_titles("evaluation")]
    items += [(n.id, n.title or words.partition("\n")[0], n.description, str(n.cpv_main))
              for n, words, _ in notices_by_sector("evaluation")]  # fmt: skip
    n_described = 0
    readers, audit = reader_labels(), ReaderAudit()
    for ident, title, description, code in items:
        kind, sector = sector_of(code)
        label = _judge(titles, Tender(source="real", notice_id=ident, title=title), kind, sector)
        if ident in readers:
            audit.rows.append((title, kind, readers[ident].work, readers[ident].label, label))
        if description:
            n_described += 1
        _judge(described, Tender(source="real", notice_id=ident, title=title, description=description), kind, sector)
    return RealReport(titles, described, len(items), n_described, audit)


def _judge(scores: RealScores, tender: Tender, kind: str, sector: str) -> str:
    verdict = classify(tender)
    scores.verdicts[kind, verdict.label] += 1
    said = next((r for r in verdict.reasons if r["code"] == "text_model"), None)
    scores.sectors[sector, str(said.get("sector", "none")) if said else "none"] += 1
    if sector in CORE_WORK:
        scores.core[verdict.label != "unlikely"] += 1
    if (kind == "unlikely" and verdict.label == "suitable") or (kind == "typical" and verdict.label == "unlikely"):
        scores.misses.append((tender.title or "", sector, verdict.label))
    return verdict.label


def render_real(report: RealReport, show_mistakes: bool = False) -> str:
    lines = [f"Real procurements held out from training: {report.items} ({report.described} with a description); "
             "kind of work from the main CPV code, verdict from the words alone"]  # fmt: skip
    for title, scores in (("titles alone", report.titles), ("titles with descriptions where any",
                                                            report.with_descriptions)):  # fmt: skip
        lines += ["", f"{title}:"]
        lines.append(f"  other-sector titles called suitable: {scores.other_sector_suitable():.1%} of "
                     f"{scores.count('unlikely')} (target <= {OTHER_SECTOR_SUITABLE_AT_MOST:.0%})")  # fmt: skip
        lines.append(f"  typical-work titles flagged suitable or possible: {scores.typical_flagged():.1%} of "
                     f"{scores.count('typical')} (target >= {TYPICAL_FLAGGED_AT_LEAST:.0%})")  # fmt: skip
        lines.append(f"  of them cleaning, catering, grounds, snow, laundry, removals: {scores.core_flagged():.1%} of "
                     f"{sum(scores.core.values())}")  # fmt: skip
        lines.append(f"  {'kind':<10}{'n':>7}{'suitable':>10}{'possible':>10}{'unlikely':>10}")
        for kind in ("typical", "unlikely", "care", "other"):
            shares = "".join(f"{scores.share(kind, label):>10.1%}" for label in ("suitable", "possible", "unlikely"))
            lines.append(f"  {kind:<10}{scores.count(kind):>7}{shares}")
        lines.append(f"  {'sector':<12}{'precision':>10}{'recall':>10}{'support':>9}")
        for sector in sorted({t for t, _ in scores.sectors}):
            p, r, n = scores.sector_metrics(sector)
            lines.append(f"  {sector:<12}{p:>10.3f}{r:>10.3f}{n:>9}")
        if show_mistakes:
            lines += [f"  miss: {text[:90]} [{sector}] -> {label}" for text, sector, label in scores.misses]
    lines += ["", *_render_audit(report.audit, show_mistakes)]
    verdict = "met" if report.meets_targets() else "NOT met"
    agreed, n_agreed = report.audit.flagged("typical", "yes")
    lines.append("")
    lines.append(f"Targets on titles alone: {verdict} (typical-work titles flagged: "
                 f"{report.titles.typical_flagged():.1%} by CPV code, {agreed:.1%} of the {n_agreed} whose words "
                 "a reader also calls typical work)")  # fmt: skip
    return "\n".join(lines)


def _render_audit(audit: ReaderAudit, show_mistakes: bool) -> list[str]:
    both, n_both = audit.flagged("typical", "yes")
    words, n_words = audit.flagged(None, "yes")
    other = sum(1 for r in audit.rows if r[1] == "typical" and r[2] != "yes")
    precision, recall = audit.suitable_precision_recall()
    lines = [f"Beside a reader's blind labels of {len(audit.rows)} of these titles (uhm-2021-audit.csv), titles alone:",
             f"  typical work by CPV code and by the title's words: {both:.1%} of {n_both} flagged",
             f"  typical work by the title's words, whatever the code: {words:.1%} of {n_words} flagged",
             f"  typical work by CPV code whose title names other work or nothing: {other} of "
             f"{audit.flagged('typical', None)[1]}",
             f"  against the reader's labels: accuracy {audit.accuracy():.3f}, suitable precision {precision:.3f}, "
             f"recall {recall:.3f}"]  # fmt: skip
    if show_mistakes:
        lines += [f"  miss: {text[:90]} [{kind} by CPV, reader: {label}]" for text, kind, label in audit.misses()]
    return lines


def summary_real(report: RealReport) -> dict[str, Any]:
    out: dict[str, Any] = {"items": report.items, "described": report.described}
    for name, scores in (("titles", report.titles), ("with_descriptions", report.with_descriptions)):
        out[name] = {
            "other_sector_suitable": round(scores.other_sector_suitable(), 4),
            "typical_flagged": round(scores.typical_flagged(), 4),
            "core_typical_flagged": round(scores.core_flagged(), 4),
            "sectors": {
                s: dict(zip(("precision", "recall", "support"), scores.sector_metrics(s), strict=True))
                for s in sorted({t for t, _ in scores.sectors})
            },
        }
    audit = report.audit
    out["reader"] = {
        "titles": len(audit.rows),
        "typical_by_code_and_words_flagged": round(audit.flagged("typical", "yes")[0], 4),
        "typical_by_words_flagged": round(audit.flagged(None, "yes")[0], 4),
        "accuracy": round(audit.accuracy(), 4),
    }
    out["targets_met"] = report.meets_targets()
    return out
