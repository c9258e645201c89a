"""The learned text model: what a notice's words say when it has no structured fields.

An RSS item or a municipal page gives a title and a few sentences, no CPV code and no
reservation field. A linear model over word and character n-grams, trained by
``matching/train.py`` (scikit-learn) and shipped as plain numbers in
``data/textmodel.json.gz``, reads them. Scoring here is pure Python: no download, no
scikit-learn at run time, the same answer on every machine. The feature function is the
one the trainer used, so training and scoring cannot drift apart.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).resolve().parent / "data" / "textmodel.json.gz"
LABELS = ("suitable", "possible", "unlikely")

_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
# A negation flips the meaning of the next few words: "ej reserverad", "not reserved", "inga sysselsättningskrav".
NEGATIONS = frozenset(
    ["ej", "inte", "icke", "inga", "ingen", "inget", "utan", "not", "no", "non", "without", "neither", "nor",
     "isn't", "aren't", "none"]
)  # fmt: skip
NEGATION_REACH = 4
# Cross-validated macro F1 on the training data: 3-5-grams 0.662, 3-4 0.662, 4-4 0.657; 4-4 is twice as fast.
CHAR_NGRAMS = (4, 4)


def words(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def features(text: str) -> Counter[str]:
    """Word unigrams and bigrams, and the character 4-grams of each word, which stand in for
    stemming (Swedish compounds share their parts). The words after a negation make features
    of their own, marked ``!``: the model learns "not reserved" apart from "reserved"."""
    grams: list[str] = []
    extend = grams.extend
    negated = 0
    marked: list[str] = []
    low, high = CHAR_NGRAMS
    for word in words(text):
        if word in NEGATIONS:
            negated = NEGATION_REACH
            marked.append(word)
            continue
        prefix = "!c:" if negated else "c:"  # "ej förbehållen skyddade verkstäder" is not "skyddade verkstäder"
        marked.append("!" + word if negated else word)
        if negated:
            negated -= 1
        padded = " " + word + " "
        last = len(padded) + 1
        for n in range(low, high + 1):
            extend([prefix + padded[i : i + n] for i in range(last - n if last > n else 1)])
    extend(["w:" + word for word in marked])
    extend([f"b:{a} {b}" for a, b in pairwise(marked)])
    return Counter(grams)


@dataclass(frozen=True, slots=True)
class Reading:
    """The model's verdict on a text, and which of its parts said most for it."""

    probabilities: dict[str, float]
    label: str
    strongest: int  # index of the part that pushed hardest towards ``label``


@dataclass(frozen=True, slots=True)
class TextModel:
    version: str
    table: dict[str, tuple[float, float, float, float]]  # feature -> (idf, weight per label in LABELS order)
    intercept: tuple[float, float, float]

    @classmethod
    def from_numbers(cls, version: str, numbers: dict[str, Any]) -> TextModel:
        """From what the trainer writes: ``idf``, ``weights`` and ``intercept``."""
        b = [float(x) for x in numbers["intercept"]]
        weights = numbers["weights"]
        table = {}
        for feature, idf in numbers["idf"].items():
            w = weights.get(feature) or (0.0, 0.0, 0.0)
            table[feature] = (float(idf), float(w[0]), float(w[1]), float(w[2]))
        return cls(version=version, table=table, intercept=(b[0], b[1], b[2]))

    def probabilities(self, text: str) -> dict[str, float]:
        return self.read([text]).probabilities

    def read(self, parts: list[str]) -> Reading:
        """TF-IDF (sublinear tf, L2-normalised) into a multinomial logistic regression, as
        scikit-learn computes it, over the parts joined as the model was trained on whole texts;
        the part holding the feature that pushed hardest towards the verdict is kept."""
        get = self.table.get
        square = a0 = a1 = a2 = 0.0
        hits: list[tuple[float, tuple[float, float, float, float], str]] = []
        for feature, count in features("\n".join(parts)).items():
            row = get(feature)
            if row is not None:
                v = (1.0 + math.log(count)) * row[0] if count > 1 else row[0]
                square += v * v
                a0 += row[1] * v
                a1 += row[2] * v
                a2 += row[3] * v
                hits.append((v, row, feature))
        norm = math.sqrt(square) or 1.0
        b0, b1, b2 = self.intercept
        z0, z1, z2 = b0 + a0 / norm, b1 + a1 / norm, b2 + a2 / norm
        top = max(z0, z1, z2)
        e = (math.exp(z0 - top), math.exp(z1 - top), math.exp(z2 - top))
        s = e[0] + e[1] + e[2]
        probabilities = {LABELS[0]: e[0] / s, LABELS[1]: e[1] / s, LABELS[2]: e[2] / s}
        k = 0 if e[0] >= e[1] and e[0] >= e[2] else 1 if e[1] >= e[2] else 2
        strongest = 0
        if len(parts) > 1 and hits:
            _, _, feature = max(hits, key=lambda h: h[0] * (3 * h[1][k + 1] - h[1][1] - h[1][2] - h[1][3]))
            strongest = _part_with(feature, parts)
        return Reading(probabilities=probabilities, label=LABELS[k], strongest=strongest)


def _part_with(feature: str, parts: list[str]) -> int:
    """The first part in which a feature occurs (its words, ignoring negation marks)."""
    kind, _, body = feature.partition(":")
    needle = body.replace("!", "") if kind != "!c" else body
    needle = needle if kind.endswith("c") else f" {needle} "
    for i, part in enumerate(parts):
        if needle in " " + " ".join(words(part)) + " ":
            return i
    return 0


@lru_cache(maxsize=1)
def model() -> TextModel | None:
    """The shipped model, or None when it has not been trained (the rules then stand alone)."""
    if not MODEL_FILE.exists():
        return None
    data = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    return TextModel.from_numbers(str(data["version"]), data)
