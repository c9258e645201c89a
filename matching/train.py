"""Train the text model (``tender-radar train``): scikit-learn in, plain numbers out.

Deterministic: the same training data gives the same file, byte for byte, so the model
in the repository can be checked against its data. Needs scikit-learn (a development
dependency); scoring does not.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from matching.labelled import examples
from matching.textmodel import LABELS, MODEL_FILE, features

C = 4.0  # inverse regularisation: `tender-radar train --choose-c` picks it by cross-validation on the training data
DIGITS = 6  # the numbers kept: enough that scoring here equals scikit-learn's to 1e-4


def fit(texts: list[str], labels: list[str], c: float = C) -> dict[str, Any]:
    """The model's numbers for these texts: idf per feature, weights per feature and label."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer(sort=True)
    counts = vectorizer.fit_transform([features(t) for t in texts])
    tfidf = TfidfTransformer(sublinear_tf=True, norm="l2", smooth_idf=True)
    matrix = tfidf.fit_transform(counts)
    classifier = LogisticRegression(C=c, max_iter=10_000, class_weight="balanced", random_state=0)
    classifier.fit(matrix, labels)
    order = [list(classifier.classes_).index(label) for label in LABELS]
    names = vectorizer.get_feature_names_out()
    idf = {str(name): round(float(v), DIGITS) for name, v in zip(names, tfidf.idf_, strict=True)}
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(names):
        row = [round(float(classifier.coef_[i, j]), DIGITS) for i in order]
        if any(row):
            weights[str(name)] = row
    return {
        "idf": idf,
        "weights": weights,
        "intercept": [round(float(classifier.intercept_[i]), DIGITS) for i in order],
    }


def cross_validate(c: float, folds: int = 5) -> float:
    """Macro F1 of the text-only classifier over ``folds`` splits of the training data, each
    fold judged by a model trained on the others. The evaluation set is never looked at."""
    from matching.classify import classify
    from matching.labelled import text_only
    from matching.textmodel import TextModel

    data = examples("training")
    truth: list[str] = []
    predicted: list[str] = []
    for k in range(folds):
        train_part = [e for i, e in enumerate(data) if i % folds != k]
        held = [e for i, e in enumerate(data) if i % folds == k]
        fold_model = TextModel.from_numbers("cv", fit([e.text for e in train_part], [e.label for e in train_part], c))
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


def train(out: Path = MODEL_FILE) -> dict[str, Any]:
    data = examples("training")
    model = fit([e.text for e in data], [e.label for e in data])
    body = json.dumps(model, sort_keys=True, separators=(",", ":"))
    model["version"] = "text-" + hashlib.sha256(body.encode()).hexdigest()[:10]
    blob = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    out.write_bytes(gzip.compress(blob, compresslevel=9, mtime=0))
    counts = {label: sum(e.label == label for e in data) for label in LABELS}
    return {"version": model["version"], "examples": len(data), "by_label": counts, "features": len(model["idf"]),
            "weighted": len(model["weights"]), "bytes": out.stat().st_size, "file": str(out)}  # fmt: skip
