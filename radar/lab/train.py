"""Train the text models (``tender-radar train``): scikit-learn in, plain numbers out.

Deterministic on one machine: the same training data gives the same files, byte for byte, so
the models in the repository can be checked against their data. On another CPU the fit's last
bits may differ (OpenBLAS picks its kernels per machine) and a rounding in the last kept digit
fall the other way, so the test compares numbers to within that digit. Needs scikit-learn (a
development dependency); scoring does not.

* The judgement model (``textmodel.json.gz``): the hand-written texts of ``training.yaml``, real
  TED notices labelled by their fields and, when given, subscribers' votes (``FEEDBACK_WEIGHT``).
* The sector model (``sectormodel.json.gz``): the training part of the real Swedish titles
  (grouped by Upphandlings-ID; the held-out fifth is never seen) and the training half of the real
  TED notices, each labelled by its main CPV code, and the hand-written texts whose rationale names
  a sector (``HAND_WEIGHT``); every sector weighs the same in all (balanced), and one temperature,
  fitted on titles the fit did not see, calibrates the probabilities.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from matching.textmodel import LABELS, MODEL_FILE, SECTOR_FILE, TextModel, combined_version, features
from radar.lab.labelled import (
    RealTitle,
    examples,
    hand_sectors,
    notices_by_sector,
    real_split_of,
    real_titles,
    sector_labels,
)

C = 32.0  # inverse regularisation: `tender-radar train --choose-c` picks it by cross-validation on the training data
SECTOR_C = 8.0  # 3, 8 and 16 compared on the held-out titles: the figures barely moved (issue 14)
DIGITS = 6  # the numbers kept: enough that scoring here equals scikit-learn's to 1e-4
SECTOR_DIGITS = 3  # the sector model is large; three digits move no probability by more than 1e-3
MIN_DF = 2  # a feature of the sector model must occur in two training texts
# A hand-written text with a sector (from its rationale) counts three times: there are 142 of
# them beside 11,000 real titles, and they are most of the English the sector model sees.
HAND_WEIGHT = 10.0
# A real title teaches the judgement model the words of real procurements; the hand-written texts
# (weight 1) teach it what a small job looks like, which a title with its CPV code cannot.
REAL_WEIGHT = 0.0
# A subscriber's vote counts as half a hand-written example: one person's view of one tender,
# not a label written against the definitions. "relevant" -> suitable, "not relevant" -> unlikely.
FEEDBACK_WEIGHT = 0.5
TEMPERATURES = tuple(round(0.5 + 0.1 * i, 1) for i in range(26))  # 0.5 .. 3.0


def fit(texts: list[str], labels: list[str], c: float = C, *, sample_weight: list[float] | None = None,
        balanced: bool = True, min_df: int = 1, digits: int = DIGITS) -> dict[str, Any]:  # fmt: skip
    """The model's numbers for these texts: idf per feature, weights per feature and class."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counted = [features(t) for t in texts]
    if min_df > 1:
        df = Counter(f for c_ in counted for f in c_)
        counted = [Counter({f: n for f, n in c_.items() if df[f] >= min_df}) for c_ in counted]
    vectorizer = DictVectorizer(sort=True)
    counts = vectorizer.fit_transform(counted)
    tfidf = TfidfTransformer(sublinear_tf=True, norm="l2", smooth_idf=True)
    matrix = tfidf.fit_transform(counts)
    classifier = LogisticRegression(C=c, max_iter=10_000, class_weight="balanced" if balanced else None,
                                    random_state=0)  # fmt: skip
    classifier.fit(matrix, labels, sample_weight=sample_weight)
    classes = list(LABELS) if set(classifier.classes_) == set(LABELS) else sorted(str(x) for x in classifier.classes_)
    order = [list(classifier.classes_).index(label) for label in classes]
    names = vectorizer.get_feature_names_out()
    idf = {str(name): round(float(v), digits) for name, v in zip(names, tfidf.idf_, strict=True)}
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(names):
        row = [round(float(classifier.coef_[i, j]), digits) + 0.0 for i in order]
        if any(row):
            weights[str(name)] = row
    out: dict[str, Any] = {
        "idf": idf,
        "weights": weights,
        "intercept": [round(float(classifier.intercept_[i]), digits) + 0.0 for i in order],
    }
    if classes != list(LABELS):
        out["classes"] = classes
    return out


def cross_validate(c: float, folds: int = 5) -> float:
    """Macro F1 of the text-only classifier over ``folds`` splits of the training data, each
    fold judged by a judgement model trained on the others. The evaluation sets are never looked at."""
    from matching.classify import classify
    from matching.textmodel import TextModels, load
    from radar.lab.labelled import text_only

    data = examples("training")
    sector = load(SECTOR_FILE)
    truth: list[str] = []
    predicted: list[str] = []
    for k in range(folds):
        train_part = [e for i, e in enumerate(data) if i % folds != k]
        held = [e for i, e in enumerate(data) if i % folds == k]
        numbers = fit([e.text for e in train_part], [e.label for e in train_part], c)
        fold_model = TextModels(TextModel.from_numbers("cv", numbers), sector)
        for e in held:
            truth.append(e.label)
            predicted.append(classify(text_only(e), text_model=fold_model).label)
    scores = []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        precision = tp / max(1, predicted.count(label))
        recall = tp / max(1, truth.count(label))
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def sector_data() -> tuple[list[str], list[str], list[str], list[float]]:
    """Texts, sectors, group ids and weights the sector model learns from (training parts only)."""
    texts, sectors, groups, weights = [], [], [], []
    for t in real_titles("training"):
        texts.append(t.title)
        sectors.append(t.sector)
        groups.append(t.id)
        weights.append(1.0)
    for notice, words, sector in notices_by_sector("training"):
        texts.append(words)
        sectors.append(sector)
        groups.append(notice.id)
        weights.append(1.0)
    for i, (text, sector) in enumerate(hand_sectors("training")):
        texts.append(text)
        sectors.append(sector)
        groups.append(f"hand-{i}")
        weights.append(HAND_WEIGHT)
    # Each sector weighs as much as the largest: 125 grounds titles must count beside 4,000 "other".
    n = Counter(sectors)
    largest = max(n.values())
    weights = [w * largest / n[s] for w, s in zip(weights, sectors, strict=True)]
    return texts, sectors, groups, weights


def calibrate(texts: list[str], sectors: list[str], groups: list[str], weights: list[float],
              c: float = SECTOR_C) -> float:  # fmt: skip
    """The temperature that makes the sector model's probabilities honest: fitted on four fifths of
    the training texts (by group), chosen by log-loss on the fifth the fit did not see."""
    part = [real_split_of("cal:" + g) == "evaluation" for g in groups]
    keep = [not p for p in part]
    fitted = fit(_kept(texts, keep), _kept(sectors, keep), c, sample_weight=_kept(weights, keep), balanced=False,
                 min_df=MIN_DF)  # fmt: skip
    model = TextModel.from_numbers("cal", fitted)
    logits = [(_logits(model, t), s) for t, s, p in zip(texts, sectors, part, strict=True) if p]
    return min(TEMPERATURES, key=lambda temp: _log_loss(logits, model.classes, temp))


def _kept(items: list[Any], keep: list[bool]) -> list[Any]:
    return [item for item, k in zip(items, keep, strict=True) if k]


def _logits(model: TextModel, text: str) -> list[float]:
    probabilities = model.probabilities(text)
    return [math.log(max(probabilities[c], 1e-12)) for c in model.classes]


def _log_loss(logits: list[tuple[list[float], str]], classes: tuple[str, ...], temperature: float) -> float:
    total = 0.0
    for z, truth in logits:
        scaled = [x / temperature for x in z]
        top = max(scaled)
        log_sum = top + math.log(sum(math.exp(x - top) for x in scaled))
        total += log_sum - scaled[classes.index(truth)] if truth in classes else 0.0
    return total / max(1, len(logits))


def train_sectors(out: Path = SECTOR_FILE) -> dict[str, Any]:
    texts, sectors, groups, weights = sector_data()
    temperature = calibrate(texts, sectors, groups, weights)
    numbers = fit(texts, sectors, SECTOR_C, sample_weight=weights, balanced=False, min_df=MIN_DF, digits=SECTOR_DIGITS)
    # Dividing every weight by the temperature is the calibration: the ranking stays, the confidence changes.
    numbers["weights"] = {f: [round(w / temperature, SECTOR_DIGITS) + 0.0 for w in row]
                          for f, row in numbers["weights"].items()}  # fmt: skip
    numbers["weights"] = {f: row for f, row in numbers["weights"].items() if any(row)}
    numbers["intercept"] = [round(b / temperature, SECTOR_DIGITS) + 0.0 for b in numbers["intercept"]]
    info = _write(numbers, out, "sector-")
    return info | {"texts": len(texts), "by_sector": dict(sorted(Counter(sectors).items())), "temperature": temperature}


def feedback_examples(lines: Iterable[str]) -> list[tuple[str, str]]:
    """Votes from ``tender-radar feedback`` (JSON lines) as (text, label)."""
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            vote = json.loads(line)
            text = "\n".join(p for p in (vote.get("title"), vote.get("description")) if p)
            relevant = vote["relevant"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"feedback line {number}: not a vote from `tender-radar feedback` ({exc})") from exc
        if text:
            out.append((text, "suitable" if relevant else "unlikely"))
    return out


def real_label(title: RealTitle) -> str:
    """A real title's label by the README's definitions, from its CPV code and flags: the title
    alone rarely shows the size, so typical work is "possible" unless reserved or social."""
    if title.reserved or (title.social and title.kind == "typical"):
        return "suitable"
    if title.kind in ("typical", "care") or title.social:
        return "possible"
    return "unlikely"


def judgement_data(feedback: list[tuple[str, str]] | None = None) -> tuple[list[str], list[str], list[float]]:
    """The hand-written texts and real notices (weight 1), the training part of the real titles
    (``REAL_WEIGHT``) and subscribers' votes (``FEEDBACK_WEIGHT``)."""
    data = examples("training")
    texts, labels, weights = [e.text for e in data], [e.label for e in data], [1.0] * len(data)
    for title in real_titles("training") if REAL_WEIGHT else []:
        texts.append(title.title)
        labels.append(real_label(title))
        weights.append(REAL_WEIGHT)
    for text, label in feedback or []:
        texts.append(text)
        labels.append(label)
        weights.append(FEEDBACK_WEIGHT)
    return texts, labels, weights


def train(out: Path = MODEL_FILE, *, feedback: list[tuple[str, str]] | None = None,
          sectors: bool = True) -> dict[str, Any]:  # fmt: skip
    """Both models: the judgement model to ``out``, the sector model beside it."""
    texts, labels, weights = judgement_data(feedback)
    model = fit(texts, labels, sample_weight=weights)
    info = _write(model, out, "text-")
    counts = {label: labels.count(label) for label in LABELS}
    info |= {"examples": len(texts), "votes": len(feedback or []), "by_label": counts}
    sector_out = out.with_name(SECTOR_FILE.name)
    if sectors:
        info["sector_model"] = train_sectors(sector_out)
    if sector_out.exists():
        info["version"] = combined_version(info["version"], info.get("sector_model", {}).get("version")
                                           or _version_of(sector_out))  # fmt: skip
    return info


def _write(model: dict[str, Any], out: Path, prefix: str) -> dict[str, Any]:
    body = json.dumps(model, sort_keys=True, separators=(",", ":"))
    model["version"] = prefix + hashlib.sha256(body.encode()).hexdigest()[:10]
    blob = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    out.write_bytes(gzip.compress(blob, compresslevel=9, mtime=0))
    return {"version": model["version"], "features": len(model["idf"]), "weighted": len(model["weights"]),
            "bytes": out.stat().st_size, "file": str(out)}  # fmt: skip


def _version_of(path: Path) -> str:
    return str(json.loads(gzip.decompress(path.read_bytes()))["version"])


def run(choose_c: bool = False, feedback: str | None = None) -> str:
    """What ``tender-radar train`` prints. With ``feedback`` (a file of ``tender-radar feedback``
    lines) the votes join the judgement model's training, and the model in the repository is no
    longer what its data alone gives (the test that retrains them fails until they are committed)."""
    if choose_c:
        return "\n".join(f"C={c:<5} cross-validated macro F1 on the training data: {cross_validate(c):.3f}"
                         + ("  (in use)" if c == C else "") for c in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0))  # fmt: skip
    votes = feedback_examples(Path(feedback).read_text(encoding="utf-8").splitlines()) if feedback else None
    return json.dumps(train(feedback=votes), indent=2)


THRESHOLD_FILE = SECTOR_FILE.parent / "sector-threshold.json"
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(2, 19))  # 0.10 .. 0.90


def choose_sector_threshold(out: Path = THRESHOLD_FILE) -> dict[str, Any]:
    """The sector probability above which a title without a CPV code goes to a sector's profiles.

    Chosen on held-out *training* titles, never on the evaluation fifth: the sector model is fitted
    as ``calibrate`` fits it (four fifths of the training texts, by group), its probabilities
    tempered as the shipped model's are, and each threshold is scored on the real titles of the
    fifth that fit did not see against the sectors a reader says their words name
    (``labelled.sector_labels("choice")``). Kept: the threshold with the best F1, micro-averaged
    over the typical sectors, and whether the sector word lists (``data/sectors.yaml``) join the
    model; its precision and recall beside it. A title may pass for several sectors.
    """
    from matching.rules import sector_kind, sectors_named

    truth = sector_labels("choice")
    texts, sectors, groups, weights = sector_data()
    temperature = calibrate(texts, sectors, groups, weights)
    part = [real_split_of("cal:" + g) == "evaluation" for g in groups]
    keep = [not p for p in part]
    fitted = fit(_kept(texts, keep), _kept(sectors, keep), SECTOR_C, sample_weight=_kept(weights, keep),
                 balanced=False, min_df=MIN_DF)  # fmt: skip
    model = TextModel.from_numbers("threshold", fitted)
    scored = []
    for text, group, p in zip(texts, groups, part, strict=True):
        if p and group in truth:
            z = [x / temperature for x in _logits(model, text)]
            top = max(z)
            total = sum(math.exp(x - top) for x in z)
            probabilities = {c: math.exp(x - top) / total for c, x in zip(model.classes, z, strict=True)}
            typical = {c: q for c, q in probabilities.items() if sector_kind(c) == "typical"}
            scored.append((truth[group], typical, set(sectors_named(text, probabilities))))
    rows = []
    for threshold, words in [(t, w) for w in (False, True) for t in THRESHOLDS]:
        tp = fp = fn = 0
        for named_by_reader, typical, named in scored:
            given = {c for c, q in typical.items() if q >= threshold} | (named if words else set())
            tp += len(given & named_by_reader)
            fp += len(given - named_by_reader)
            fn += len(named_by_reader - given)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"threshold": threshold, "words": words, "precision": round(precision, 3),
                     "recall": round(recall, 3), "f1": round(f1, 3)})  # fmt: skip
    best = max(rows, key=lambda r: (r["f1"], -r["threshold"]))
    doc = {"threshold": best["threshold"], "words": best["words"],
           "chosen_on": f"{len(scored)} held-out training titles (real, 2021), sectors named by a reader",
           "precision": best["precision"], "recall": best["recall"], "temperature": temperature,
           "table": rows}  # fmt: skip
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc
