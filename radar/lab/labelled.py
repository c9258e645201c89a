"""The labelled texts the text model learns from and is measured on.

Two kinds: hand-written texts with a label and a one-line rationale (``data/training.yaml``,
``data/evaluation.yaml``, written apart), and real TED notices whose label comes from their
structured fields, with those fields stripped so that only the words are left. The notices
are split between training and evaluation by a hash of their id, so that no notice is in both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from tenders.model import Tender

DATA = Path(__file__).resolve().parent / "data"  # the labelled data; the models are in matching/data
PROJECT = Path(__file__).resolve().parent.parent.parent
# Real TED notices kept in the project (eForms, with their legacy twins left out: the same text).
NOTICE_FOLDERS = (PROJECT / "data/notices/ted-real/eforms", PROJECT / "data/notices/eforms-real")
Split = Literal["training", "evaluation"]
HandSet = Literal["training", "evaluation", "evaluation-frozen", "evaluation-blind"]


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    language: str
    label: str
    text: str
    why: str
    origin: str  # "hand" or "notice"


def _load(split: HandSet) -> list[dict[str, object]]:
    return list(yaml.safe_load((DATA / f"{split}.yaml").read_text(encoding="utf-8"))["examples"])


def hand_written(split: HandSet) -> list[Example]:
    return [
        Example(
            id=str(e["id"]),
            language=str(e["lang"]),
            label=str(e["label"]),
            text=str(e["text"]),
            why=str(e["why"]),
            origin="hand",
        )
        for e in _load(split)
    ]


def notices(split: Split) -> Iterator[Example]:
    """Real notices of this split: labelled by the full classifier, text left alone."""
    from matching.classify import classify
    from scrapers.notices import iter_path

    for folder in NOTICE_FOLDERS:
        if not folder.is_dir():
            continue
        for item in iter_path(folder):
            if not isinstance(item, Tender) or not text_of(item):
                continue
            if split_of(item.id) != split:
                continue
            verdict = classify(item)
            evidence = "; ".join(f"{r['field']}={r.get('value', r.get('quote'))}" for r in verdict.reasons[:2])
            yield Example(id=item.id, language=item.language or "?", label=verdict.label, text=text_of(item),
                          why=f"from its fields: {evidence or 'none'}", origin="notice")  # fmt: skip


def examples(split: Split) -> list[Example]:
    return hand_written(split) + list(notices(split))


def split_of(ident: str) -> Split:
    return "training" if hashlib.sha256(ident.encode()).digest()[0] % 2 == 0 else "evaluation"


def text_of(tender: Tender) -> str:
    """A notice as an RSS item would show it: its words only."""
    parts = [tender.title, tender.description]
    for lot in tender.lots:
        parts += [lot.title, lot.description]
    seen: dict[str, None] = {}
    for part in parts:
        if part and part.strip():
            seen.setdefault(" ".join(part.split()), None)
    return "\n".join(seen)


def text_only(example: Example) -> Tender:
    """The tender a classifier sees for an example: a title and a description, nothing structured."""
    from matching.classify import SENTENCE

    title, _, rest = example.text.partition("\n")
    if not rest:
        first, *more = SENTENCE.split(title, maxsplit=1)  # a one-paragraph text: its first sentence is the title
        if more and more[0].strip():
            title, rest = first, more[0]
    return Tender(source="eval", notice_id=example.id, title=title, description=rest or None,
                  language=example.language)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RealTitle:
    """A real advertised procurement: its title and what its main CPV code says is bought."""

    id: str  # Upphandlings-ID
    title: str
    cpv: str
    social: bool
    reserved: bool
    sector: str  # a sector of data/sectors.yaml, "care" or "other"
    kind: str  # "typical", "unlikely", "care" or "other"
    buyer_name: str = ""  # as the statistics write it ("LUDVIKA KOMMUN")
    buyer_org: str = ""  # the buyer's organisation number, ten digits


UHM_FILE = DATA / "uhm-2021-titles.csv.gz"


def real_split_of(ident: str) -> Split:
    """Grouped by Upphandlings-ID: a fifth of the procurements are held out for evaluation."""
    return "evaluation" if hashlib.sha256(ident.encode()).digest()[0] % 5 == 0 else "training"


def real_titles(split: Split) -> list[RealTitle]:
    """Upphandlingsmyndigheten's 2021 titles of this split that have a main CPV code."""
    import csv
    import gzip
    import io

    from matching.rules import sector_of

    out = []
    with io.StringIO(gzip.decompress(UHM_FILE.read_bytes()).decode("utf-8")) as f:
        for row in csv.DictReader(f):
            if not row["cpv"] or real_split_of(row["id"]) != split:
                continue
            kind, sector = sector_of(row["cpv"])
            out.append(RealTitle(id=row["id"], title=row["title"], cpv=row["cpv"], social=row["social"] == "1",
                                 reserved=row["reserved"] == "1" or row["reserved_execution"] == "1",
                                 sector=sector, kind=kind, buyer_name=row.get("buyer_name") or "",
                                 buyer_org=row.get("buyer_org") or ""))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class ReaderLabel:
    """A reader's judgement of a held-out real title from its words alone, blind to the models:
    whether the words name typical work ("yes", "no", "unclear") and the README's label."""

    id: str
    work: str
    label: str


READER_WORK = frozenset(["yes", "no", "unclear"])
AUDIT_FILE = DATA / "uhm-2021-audit.csv"


def reader_labels(path: Path | None = None) -> dict[str, ReaderLabel]:
    """``data/uhm-2021-audit.csv``: every held-out typical-work title and a sample of the others,
    labelled by a reader who saw the words only (no CPV code, no verdict); see the README."""
    import csv

    path = path or AUDIT_FILE
    out: dict[str, ReaderLabel] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            work, label = row.get("work") or "", row.get("label") or ""
            if work not in READER_WORK or label not in ("suitable", "possible", "unlikely"):
                raise ValueError(f"{path.name} line {line}: work {work!r} or label {label!r} is not one of ours")
            out[row["id"]] = ReaderLabel(id=row["id"], work=work, label=label)
    return out


SECTOR_LABELS_FILE = DATA / "uhm-2021-sector-labels.csv"


def sector_labels(part: str, path: Path | None = None) -> dict[str, frozenset[str]]:
    """``data/uhm-2021-sector-labels.csv``: for each real title of ``part`` ("choice": the training
    titles ``train.calibrate`` holds out; "evaluation": the held-out fifth), the typical sectors its
    words name (none, one or several), read from the words alone by a reader who saw no CPV code,
    no verdict and no model (see data/README.md)."""
    import csv

    from matching.rules import rules

    path = path or SECTOR_LABELS_FILE
    known = set(rules().typical)
    out: dict[str, frozenset[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            named = frozenset(filter(None, (row.get("sectors") or "").split(";")))
            if not named <= known or row.get("part") not in ("choice", "evaluation"):
                raise ValueError(f"{path.name} line {line}: sectors {sorted(named - known)} or part "
                                 f"{row.get('part')!r} is not one of ours")  # fmt: skip
            if row["part"] == part:
                out[row["id"]] = named
    return out


def notices_by_sector(split: Split) -> list[tuple[Tender, str, str]]:
    """Real TED notices of this split with a main CPV code: (notice, its words, its sector)."""
    from matching.rules import sector_of
    from scrapers.notices import iter_path

    out = []
    for folder in NOTICE_FOLDERS:
        if not folder.is_dir():
            continue
        for item in iter_path(folder):
            if isinstance(item, Tender) and item.cpv_main and text_of(item) and split_of(item.id) == split:
                out.append((item, text_of(item), sector_of(item.cpv_main)[1]))
    return out


# What a hand-written text's rationale (its ``why``) says is bought, for the sector model: the
# first phrase that names a kind of work decides; a rationale naming none (an employment
# requirement, social criteria, a reservation) gives the text no sector.
RATIONALE_SECTORS = (
    ("cleaning", r"\bcleaning"), ("catering", r"\b(catering|café|meals)"),
    ("grounds", r"\b(grounds|gardening|outdoor work)"), ("snow", r"\bsnow"), ("laundry", r"\blaundry"),
    ("recycling", r"\b(reuse|repair|recycling|waste)"), ("packaging", r"\b(assembly|packaging)"),
    ("removals", r"\bremovals"), ("caretaking", r"\bcaretaking"), ("printing", r"\b(printing|mailing)"),
    ("works", r"\bworks\b|\bdemolition"), ("it", r"\b(it|software)\b"), ("medical", r"\b(medical|pharmac)"),
    ("vehicles", r"\bvehicles"), ("energy", r"^energy$"), ("finance", r"\b(finance|insurance|audit)"),
    ("engineering", r"\b(architecture|engineering)"), ("other", r"\bfood\b"),
    ("care", r"\bcare\b|social service"),
)  # fmt: skip


def hand_sectors(split: Split) -> list[tuple[str, str]]:
    """Hand-written texts with the sector their rationale names: (text, sector)."""
    import re

    stated = {str(e["id"]): str(e["sector"]) for e in _load(split) if e.get("sector")}
    out = []
    for e in hand_written(split):
        phrases = [p.strip() for p in re.split(r"[,;:]", e.why)]
        sector = stated.get(e.id) or next(
            (s for p in phrases for s, rx in RATIONALE_SECTORS if re.search(rx, p, re.IGNORECASE)), None
        )
        if sector is not None:
            out.append((e.text, sector))
    return out
