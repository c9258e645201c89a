"""The learned text model: shipped and reproducible, scored here exactly as scikit-learn
scores it, explained by a quoted sentence, and measured on the evaluation set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from matching.classify import classifier_version, classify
from matching.textmodel import MODEL_FILE, SECTOR_FILE, TextModel, features, model
from radar.lab.evaluate import FROZEN, evaluate, summary
from radar.lab.labelled import examples, hand_written, split_of
from radar.lab.train import DIGITS, SECTOR_DIGITS, fit, train
from tenders.model import Tender


def text(title: str, description: str | None = None) -> Tender:
    return Tender(source="feed", notice_id=title[:20], title=title, description=description)


def numbers_apart(trained: Path, shipped: Path, digits: int) -> list[str]:
    """Where two model files differ by more than one unit in the last kept digit. The fit's last
    bits depend on the CPU (OpenBLAS picks its kernels per machine): on two machines 65 of the
    sector model's 20,860 weight rows differed by 0.001 from a rounding that fell the other way."""
    a, b = (json.loads(gzip.decompress(p.read_bytes())) for p in (trained, shipped))
    unit = 10.0**-digits * 1.001
    apart = [f"idf of {f!r}" for f in set(a["idf"]) ^ set(b["idf"])]
    apart += [f"idf of {f!r}" for f in set(a["idf"]) & set(b["idf"]) if abs(a["idf"][f] - b["idf"][f]) > unit]
    if a.get("classes") != b.get("classes"):
        apart.append("the classes")
    rows = [("intercept", a["intercept"], b["intercept"])]
    rows += [(f, a["weights"].get(f), b["weights"].get(f)) for f in set(a["weights"]) | set(b["weights"])]
    for name, x, y in rows:
        x, y = x or [0.0] * len(y or []), y or [0.0] * len(x or [])  # a row all zeros is left out of the file
        if len(x) != len(y) or any(abs(p - q) > unit for p, q in zip(x, y, strict=True)):
            apart.append(f"weights of {name!r}")
    return sorted(apart)


def test_the_shipped_model_is_what_its_training_data_gives(tmp_path: Path) -> None:
    out = tmp_path / "model.json.gz"
    train(out)
    stale = "retrain with `tender-radar train` and commit the models"
    assert numbers_apart(out, MODEL_FILE, DIGITS)[:5] == [], stale
    assert numbers_apart(tmp_path / SECTOR_FILE.name, SECTOR_FILE, SECTOR_DIGITS)[:5] == [], stale
    shipped = model()
    assert shipped is not None and shipped.version in classifier_version()  # a new model re-judges what is stored


def test_a_model_trained_on_other_data_is_told_apart(tmp_path: Path) -> None:
    numbers = fit(["Lokalvård av skolor", "Ombyggnad av väg", "Hemtjänst enligt LOV"] * 2,
                  ["suitable", "unlikely", "possible"] * 2)  # fmt: skip
    other = fit(["Lokalvård av förskolor", "Ombyggnad av bro", "Hemtjänst enligt LOV"] * 2,
                ["suitable", "unlikely", "possible"] * 2)  # fmt: skip
    for name, data in (("a", numbers), ("b", other), ("c", numbers | {"intercept": [x + 0.002 for x in
                                                                                 numbers["intercept"]]})):  # fmt: skip
        (tmp_path / name).write_bytes(gzip.compress(json.dumps(data).encode()))
    assert numbers_apart(tmp_path / "a", tmp_path / "a", 3) == []
    assert "idf of 'w:förskolor'" in numbers_apart(tmp_path / "a", tmp_path / "b", 3)
    assert numbers_apart(tmp_path / "a", tmp_path / "c", 3) == ["weights of 'intercept'"]  # 0.002 is two units


def test_scoring_here_equals_scikit_learn() -> None:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    data = hand_written("training")
    texts, labels = [e.text for e in data], [e.label for e in data]
    vectorizer = DictVectorizer(sort=True)
    tfidf = TfidfTransformer(sublinear_tf=True)
    matrix = tfidf.fit_transform(vectorizer.fit_transform([features(t) for t in texts]))
    reference = LogisticRegression(C=4.0, max_iter=10_000, class_weight="balanced", random_state=0).fit(matrix, labels)
    ours = TextModel.from_numbers("test", fit(texts, labels, 4.0))
    for e in hand_written("evaluation")[::7]:
        expected = reference.predict_proba(tfidf.transform(vectorizer.transform([features(e.text)])))[0]
        got = ours.probabilities(e.text)
        for label, p in zip(reference.classes_, expected, strict=True):
            assert got[str(label)] == pytest.approx(p, abs=1e-4)


def test_a_text_only_tender_is_judged_by_the_model_with_the_sentence_that_says_most() -> None:
    verdict = classify(text("Lokalvård av förskolor i Orsa", "Avtalet gäller 2027–2029. Cirka 900 kvm."))
    assert verdict.label == "suitable"
    [reason] = [r for r in verdict.reasons if r["code"] == "text_model"]
    assert reason["field"] == "title" and reason["quote"] == "Lokalvård av förskolor i Orsa"
    assert reason["model"] == model().version and set(reason["probabilities"]) == {"suitable", "possible", "unlikely"}  # type: ignore[union-attr]
    motorway = classify(text("Ombyggnad av motorväg E4, etapp 3", "Ny trafikplats och två broar."))
    assert motorway.label == "unlikely"


def test_a_negated_reservation_does_not_make_a_tender_suitable() -> None:
    for title in ("Upphandlingen är inte reserverad enligt 4 kap. 18 § LOU. Ny sporthall i Leksand.",
                  "This contract is not reserved for supported businesses. New sports hall in Kendal."):  # fmt: skip
        verdict = classify(text(title))
        assert verdict.label != "suitable", verdict.reasons
        assert any(r["code"] == "text_reserved_negated" for r in verdict.reasons)


def test_a_notice_with_a_cpv_code_is_judged_by_its_code_not_the_model() -> None:
    verdict = classify(Tender(source="ted", notice_id="1", title="Lokalvård", cpv_main="90910000"))
    assert not any(r["code"] == "text_model" for r in verdict.reasons)
    assert any(r["code"] == "typical_sector" and r["field"] == "cpv" for r in verdict.reasons)


def test_the_same_text_gets_the_same_verdict_every_time() -> None:
    item = text("Tvätt av arbetskläder åt hemtjänsten", "Små volymer, hämtning två gånger i veckan.")
    assert len({json.dumps(classify(item).to_dict(), sort_keys=True) for _ in range(5)}) == 1


def test_training_and_evaluation_never_share_a_text() -> None:
    training = {e.text for e in examples("training")}
    evaluation = examples("evaluation")
    assert not training & {e.text for e in evaluation}
    assert len([e for e in evaluation if e.origin == "hand"]) >= 150
    assert all(e.why and e.label in ("suitable", "possible", "unlikely") for e in evaluation)
    assert {e.language for e in evaluation if e.origin == "hand"} == {"sv", "en"}
    assert all(split_of(e.id) == "evaluation" for e in evaluation if e.origin == "notice")


def test_the_evaluation_set_meets_the_targets() -> None:
    report = evaluate()
    figures = summary(report)
    assert figures["suitable"]["precision"] >= 0.9 and figures["suitable"]["recall"] >= 0.9, figures
    assert figures["negation_errors"] == 0 and report.structured_found == report.structured_total > 30


def test_the_model_file_is_plain_numbers() -> None:
    data = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    assert set(data) == {"version", "idf", "weights", "intercept"}


def test_a_digest_line_names_the_model_verdict_and_the_sentence() -> None:
    from notifications.digest import reason_text

    verdict = classify(text("Snöröjning av skolgårdar i Malung", "Vintrarna 2027–2029."))
    lines = [reason_text(r, "sv") for r in verdict.reasons]
    assert any(line.startswith("Textmodellen bedömer texten som lämplig") and "”Snöröjning av skolgårdar i Malung”"
               in line for line in lines), lines  # fmt: skip


def test_size_still_counts_for_a_notice_that_is_only_words() -> None:
    words = ("Lokalvård av kommunens förskolor", "Avtalet omfattar städning av förskolorna.")
    small = classify(Tender(source="f", notice_id="s", title=words[0], description=words[1],
                            estimated_value=400_000, currency="SEK"))  # fmt: skip
    huge = classify(Tender(source="f", notice_id="h", title=words[0], description=words[1],
                           estimated_value=900_000_000, currency="SEK"))  # fmt: skip
    assert {r["code"] for r in small.reasons} == {"text_model", "small_scale"}
    assert {r["code"] for r in huge.reasons} == {"text_model", "large_scale"}
    assert huge.score < small.score


@pytest.mark.parametrize("name", FROZEN)
def test_a_frozen_evaluation_set_is_the_one_written_before_any_tuning(name: str) -> None:
    import hashlib

    from radar.lab.labelled import DATA

    frozen = (DATA / f"{name}.yaml").read_bytes()
    assert hashlib.sha256(frozen).hexdigest() == (DATA / f"{name}.sha256").read_text().strip(), (
        f"{name}.yaml was edited after it was frozen: write a new set instead"
    )
