"""The one verdict every tender gets, from every source and every buyer: the classifier's
judgement with the version that made it (a new version re-judges what is stored)."""

from __future__ import annotations

from matching.classify import classifier_version, classify
from tenders.model import Tender
from tenders.results import Verdict


def judge(tender: Tender) -> Verdict:
    a = classify(tender)
    return Verdict(score=a.score, label=a.label, reasons=a.reasons, version=classifier_version(), sectors=a.sectors)
