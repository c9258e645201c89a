"""The first classifier: labels a reader would agree with, and reasons that name their evidence."""

from __future__ import annotations

import os
import subprocess
import sys

from matching.classify import classify
from tenders.model import Lot, Tender

from .conftest import FIXTURES, PROJECT, parse_one


def text(title: str, description: str = "") -> Tender:
    return Tender.from_dict({"title": title, "description": description})


def test_reserved_contract_is_suitable_and_says_which_field() -> None:
    a = classify(parse_one("ted-real/legacy/19-090974-001-EXP.xml"))
    assert a.label == "suitable" and a.score > 0.9
    fields = {(r["field"], r.get("value")) for r in a.reasons}
    assert ("reserved_participation", "res-ws") in fields
    assert ("reserved_execution", True) in fields


def test_a_reserved_lot_inside_a_large_works_procedure_is_still_suitable_and_names_the_lot() -> None:
    t = Tender(source="t", notice_id="1", cpv_main="45000000", estimated_value=50_000_000, currency="EUR",
               lots=[Lot(id="LOT-0001", cpv_main="45000000"),
                     Lot(id="LOT-0002", cpv_main="90910000", reserved_participation=["res-ws"])])  # fmt: skip
    t.reserved_participation = ["res-ws"]
    a = classify(t)
    assert a.label == "suitable"
    assert a.reasons[0]["field"] == "lots[LOT-0002].reserved_participation"


def test_employment_objective_bt775_is_suitable() -> None:
    a = classify(Tender(source="t", notice_id="1", social_objectives=["opp"]))
    assert a.label == "suitable"
    assert a.reasons[0] == {"code": "social_objective_employment", "weight": 0.7, "field": "social_objectives",
                            "value": "opp", "decisive": True}  # fmt: skip


def test_social_criteria_not_about_employment_are_possible() -> None:
    assert classify(Tender(source="t", notice_id="1", social_objectives=["acc-all"])).label == "possible"
    assert classify(Tender(source="t", notice_id="1", strategic_procurement=["soc-obj"])).label == "possible"


def test_swedish_reservation_phrase_is_quoted() -> None:
    a = classify(
        text("Städning av förskolor", "Upphandlingen är reserverad enligt 4 kap. 18 § LOU. Avtalet gäller två år.")
    )
    assert a.label == "suitable"
    assert a.reasons[0]["quote"] == "Upphandlingen är reserverad enligt 4 kap. 18 § LOU."
    assert a.reasons[0]["field"] == "description"


def test_negation_is_not_a_reservation() -> None:
    a = classify(text("Ombyggnad av bro", "Upphandlingen är inte reserverad."))
    assert a.label == "unlikely"
    assert any(r["code"] == "text_reserved_negated" for r in a.reasons)
    b = classify(text("Catering", "This contract is not reserved."))
    assert not any(r["code"] == "text_reserved" for r in b.reasons)


def test_english_employment_requirement() -> None:
    a = classify(text("Grounds maintenance", "The supplier shall employ long-term unemployed people (social value)."))
    assert a.label == "suitable"


def test_typical_work_at_small_scale_is_suitable_at_large_scale_possible() -> None:
    small = Tender(source="t", notice_id="1", cpv_main="90910000", estimated_value=900_000, currency="SEK")
    large = Tender(source="t", notice_id="2", cpv_main="90910000", estimated_value=90_000_000, currency="EUR")
    assert classify(small).label == "suitable"
    assert classify(large).label == "possible"


def test_large_works_and_it_are_unlikely() -> None:
    assert classify(Tender(source="t", notice_id="1", cpv_main="45233000")).label == "unlikely"
    assert classify(Tender(source="t", notice_id="2", cpv_main="72000000")).label == "unlikely"
    assert classify(text("Licenser för ekonomisystem")).label == "unlikely"


def test_light_regime_social_service_is_possible() -> None:
    a = classify(Tender(source="t", notice_id="1", cpv_main="85311000"))
    assert a.label == "possible"
    assert a.reasons[0]["code"] == "light_regime"


EVERY_NOTICE = """
import hashlib, json, sys
from pathlib import Path
from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import render_digest
from scrapers.notices import iter_path
from tenders.model import Tender
from tenders.store import Assessed

out, items = [], []
for sub in ("eforms-sdk", "eforms-real", "ted-real"):
    for tender in iter_path(Path(sys.argv[1]) / sub):
        if isinstance(tender, Tender):
            a = classify(tender)
            out.append([tender.id, tender.to_dict(), a.score, a.label, a.reasons])
            items.append(Assessed(tender, a.score, a.label, a.reasons, tender.content_hash()))
digest = render_digest(Subscriber(key="k", organisation="K", email="k@example.org"), items, "https://x/u")
out.append([digest.subject, digest.html, digest.text])
print(hashlib.sha256(json.dumps(out, sort_keys=True, ensure_ascii=False).encode()).hexdigest(), len(items))
"""


def test_classification_and_digests_are_the_same_under_every_hash_seed() -> None:
    """Set and dict order change with PYTHONHASHSEED between processes; nothing we output may."""
    answers = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", EVERY_NOTICE, str(FIXTURES)], env=env, cwd=PROJECT,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        answers.add(run.stdout.strip())
    [answer] = answers
    assert int(answer.split()[1]) > 50  # every fixture notice took part


def test_the_lexicons_anchors_let_almost_every_real_sentence_skip_the_regexes() -> None:
    """Each phrase's anchor is a literal tested before any regex; a common one ("work ") once sent
    every English sentence through the regexes and halved the scoring speed."""
    from matching.classify import SENTENCE, _has_anchor
    from matching.rules import rules
    from radar.lab.labelled import notices_by_sector

    sentences = [s for split in ("training", "evaluation") for _, words, _ in notices_by_sector(split)
                 for s in SENTENCE.split(words) if s.strip()]  # fmt: skip
    assert len(sentences) > 500
    passing = sum(_has_anchor(s, rules().anchors) for s in sentences)
    assert passing / len(sentences) <= 0.01, f"{passing} of {len(sentences)} real sentences hold an anchor"
