"""The learned text models: what a notice's words say when it has no structured fields.

An RSS item or a municipal page gives a title and a few sentences, no CPV code and no
reservation field. Two linear models read the same features:

* the **sector model** (``data/sectormodel.json.gz``) says *what is being bought*: one of the
  project's sectors (``data/sectors.yaml``), care (the light regime) or something else, with
  calibrated probabilities. It learns from real Swedish titles (Upphandlingsmyndigheten's 2021
  statistics) and real TED notices, each labelled by its main CPV code;
* the **judgement model** (``data/textmodel.json.gz``) says how the text reads as a whole
  (suitable / possible / unlikely): it learns from hand-written texts what a small, local job
  looks like, which the CPV code of a real title cannot teach.

``matching/classify.py`` combines them with the same rules that judge a notice with a CPV code.
Both are trained by ``matching/train.py`` (scikit-learn) and shipped as plain numbers; scoring
here is pure Python: no download, no scikit-learn at run time, the same answer on every machine.
The feature function is the one the trainer used, so training and scoring cannot drift apart.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
MODEL_FILE = DATA / "textmodel.json.gz"
SECTOR_FILE = DATA / "sectormodel.json.gz"
LABELS = ("suitable", "possible", "unlikely")

_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
# A negation flips the meaning of the next few words: "ej reserverad", "not reserved", "inga sysselsättningskrav".
NEGATIONS = frozenset(
    ["ej", "inte", "icke", "inga", "ingen", "inget", "utan", "not", "no", "non", "without", "neither", "nor",
     "isn't", "aren't", "none"]
)  # fmt: skip
NEGATION_REACH = 4
# A Swedish compound's head is its end ("fönster|tvätt", "data|tvätt"), its modifier its start:
# character n-grams anchored at the word's end and start let the model learn both from data.
HEAD_NGRAMS = (3, 4, 5, 6)
MODIFIER_NGRAMS = (4, 5)


def words(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def features(text: str) -> Counter[str]:
    """Word unigrams and bigrams; the last 3-6 characters of each word (``s:``, the compound's
    head: "lokalvård" and "vård" share ``s:vård``) and its first 4-5 (``p:``, the modifier:
    "datatvätt" has ``p:data`` beside ``s:tvätt``). The words after a negation make features of
    their own, marked ``!``: the model learns "not reserved" apart from "reserved"."""
    grams: list[str] = []
    extend = grams.extend
    negated = 0
    marked: list[str] = []
    for word in words(text):
        if word in NEGATIONS:
            negated = NEGATION_REACH
            marked.append(word)
            continue
        mark = "!" if negated else ""  # "ej förbehållen skyddade verkstäder" is not "skyddade verkstäder"
        marked.append(mark + word)
        if negated:
            negated -= 1
        size = len(word)
        extend([f"{mark}s:{word[-n:]}" for n in HEAD_NGRAMS if size > n])
        extend([f"{mark}p:{word[:n]}" for n in MODIFIER_NGRAMS if size > n + 2])
    extend(["w:" + word for word in marked])
    extend([f"b:{a} {b}" for a, b in pairwise(marked)])
    return Counter(grams)


@dataclass(frozen=True, slots=True)
class Reading:
    """A model's verdict on a text, and which of its parts said most for it."""

    probabilities: dict[str, float]
    label: str
    strongest: int  # index of the part that pushed hardest towards ``label``


@dataclass(frozen=True, slots=True)
class TextModel:
    """TF-IDF (sublinear tf, L2-normalised) into a multinomial logistic regression, as
    scikit-learn computes it; ``classes`` in the order of the weights."""

    version: str
    classes: tuple[str, ...]
    table: dict[str, tuple[float, tuple[float, ...]]]  # feature -> (idf, idf * weight per class)
    intercept: tuple[float, ...]

    @classmethod
    def from_numbers(cls, version: str, numbers: dict[str, Any]) -> TextModel:
        """From what the trainer writes: ``idf``, ``weights``, ``intercept`` and, when they are
        not the three labels, ``classes``. Each weight is kept multiplied by its feature's idf:
        a feature seen once then adds its row as it stands."""
        classes = tuple(str(c) for c in numbers.get("classes", LABELS))
        zero = (0.0,) * len(classes)
        weights = numbers["weights"]
        table = {}
        for feature, idf in numbers["idf"].items():
            w = weights.get(feature)
            table[feature] = (float(idf), tuple(float(idf) * float(x) for x in w) if w else zero)
        return cls(version=version, classes=classes, table=table,
                   intercept=tuple(float(x) for x in numbers["intercept"]))  # fmt: skip

    def probabilities(self, text: str) -> dict[str, float]:
        return self.read([text]).probabilities

    def read(self, parts: list[str], counts: Counter[str] | None = None) -> Reading:
        """TF-IDF (sublinear tf, L2-normalised) into a multinomial logistic regression, as
        scikit-learn computes it, over the parts joined as the model was trained on whole texts
        (``counts``: their features, when the caller has them already); the part holding the
        feature that pushed hardest towards the verdict is kept."""
        get = self.table.get
        square = 0.0
        rows: list[tuple[float, ...]] = []
        found: list[str] = []
        for feature, count in (counts if counts is not None else features("\n".join(parts))).items():
            row = get(feature)
            if row is None:
                continue
            idf, w = row
            if count > 1:
                tf = 1.0 + math.log(count)
                w = tuple(x * tf for x in w)
                idf *= tf
            square += idf * idf
            rows.append(w)
            found.append(feature)
        return self.finish(parts, rows, square, found)

    def finish(self, parts: list[str], rows: list[tuple[float, ...]], square: float, found: list[str]) -> Reading:
        """The probabilities from the rows of the features found (idf and tf applied) and the
        sum of their squares."""
        norm = math.sqrt(square) or 1.0
        if rows:  # the per-class sums, column by column in C
            z = [b + total / norm for b, total in zip(self.intercept, map(sum, zip(*rows, strict=True)), strict=True)]
        else:
            z = list(self.intercept)
        top = max(z)
        e = [math.exp(x - top) for x in z]
        s = sum(e)
        probabilities = {c: x / s for c, x in zip(self.classes, e, strict=True)}
        k = e.index(max(e))
        strongest = 0
        if len(parts) > 1 and rows:
            n = len(z)
            i = max(range(len(rows)), key=lambda i: n * rows[i][k] - sum(rows[i]))
            strongest = _part_with(found[i], parts)
        return Reading(probabilities=probabilities, label=self.classes[k], strongest=strongest)


_NONE: tuple[float, tuple[float, ...]] = (0.0, ())


@dataclass(frozen=True, slots=True)
class TextModels:
    """The two shipped models; ``version`` names both (a new one re-judges what is stored)."""

    judgement: TextModel
    sector: TextModel | None
    # feature -> its row in each model: one look-up per feature for both (scoring speed)
    table: dict[str, tuple[tuple[float, tuple[float, ...]], tuple[float, tuple[float, ...]]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        other = self.sector.table if self.sector is not None else {}
        mine = self.judgement.table
        table = {f: (row, other.get(f, _NONE)) for f, row in mine.items()}
        table.update({f: (_NONE, row) for f, row in other.items() if f not in mine})
        object.__setattr__(self, "table", table)

    @property
    def version(self) -> str:
        return combined_version(self.judgement.version, self.sector.version if self.sector is not None else None)

    def read(self, parts: list[str], counts: Counter[str]) -> tuple[Reading, Reading | None]:
        """Both models over the same features, in one pass: (judgement, sector)."""
        get = self.table.get
        square0 = square1 = 0.0
        rows0: list[tuple[float, ...]] = []
        rows1: list[tuple[float, ...]] = []
        found0: list[str] = []
        found1: list[str] = []
        keep = len(parts) > 1  # which feature said most matters only when there are parts to choose from
        for feature, count in counts.items():
            both = get(feature)
            if both is None:
                continue
            (idf0, w0), (idf1, w1) = both
            if count > 1:
                tf = 1.0 + math.log(count)
                w0, w1 = tuple(x * tf for x in w0), tuple(x * tf for x in w1)
                idf0, idf1 = idf0 * tf, idf1 * tf
            if idf0:
                square0 += idf0 * idf0
                rows0.append(w0)
                if keep:
                    found0.append(feature)
            if idf1:
                square1 += idf1 * idf1
                rows1.append(w1)
                if keep:
                    found1.append(feature)
        rows, square, found = (rows0, rows1), (square0, square1), (found0, found1)
        judged = self.judgement.finish(parts, rows[0], square[0], found[0])
        sector = self.sector.finish(parts, rows[1], square[1], found[1]) if self.sector is not None else None
        return judged, sector


def combined_version(judgement: str, sector: str | None) -> str:
    """Both models in a name short enough for the stored classifier version: "text-9dc254-de5689"."""
    short = judgement.rpartition("-")[2][:6]
    return f"text-{short}-{sector.rpartition('-')[2][:6]}" if sector else judgement


def _part_with(feature: str, parts: list[str]) -> int:
    """The first part in which a feature occurs (its words, ignoring negation marks)."""
    kind, _, body = feature.partition(":")
    kind = kind.lstrip("!")
    body = body.replace("!", "")
    for i, part in enumerate(parts):
        said = words(part)
        if kind == "s" and any(w.endswith(body) for w in said):
            return i
        if kind == "p" and any(w.startswith(body) for w in said):
            return i
        if kind in ("w", "b") and f" {body} " in " " + " ".join(said) + " ":
            return i
    return 0


def load(path: Path) -> TextModel | None:
    if not path.exists():
        return None
    data = json.loads(gzip.decompress(path.read_bytes()))
    return TextModel.from_numbers(str(data["version"]), data)


@lru_cache(maxsize=1)
def model() -> TextModels | None:
    """The shipped models, or None when they have not been trained (the rules then stand alone)."""
    judgement = load(MODEL_FILE)
    return TextModels(judgement, load(SECTOR_FILE)) if judgement is not None else None
