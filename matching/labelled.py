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

DATA = Path(__file__).resolve().parent / "data"
PROJECT = Path(__file__).resolve().parent.parent
# Real TED notices kept in the project (eForms, with their legacy twins left out: the same text).
NOTICE_FOLDERS = (PROJECT / "data/notices/ted-real/eforms", PROJECT / "data/notices/eforms-real")
Split = Literal["training", "evaluation"]


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    language: str
    label: str
    text: str
    why: str
    origin: str  # "hand" or "notice"


def hand_written(split: Split) -> list[Example]:
    doc = yaml.safe_load((DATA / f"{split}.yaml").read_text(encoding="utf-8"))
    return [
        Example(
            id=str(e["id"]),
            language=str(e["lang"]),
            label=str(e["label"]),
            text=str(e["text"]),
            why=str(e["why"]),
            origin="hand",
        )
        for e in doc["examples"]
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
