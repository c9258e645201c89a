"""eForms notices parse into the tender model, field by field, against real files."""

from __future__ import annotations

import pytest

from .conftest import parse_one


def test_real_contract_notice_with_25_lots() -> None:
    t = parse_one("eforms-real/2024-OJS198-00612681.xml")
    assert t.id == "ted:00612681-2024"
    assert t.notice_type == "competition"
    assert t.procedure_id == "a2702fb0-fdfb-4f0e-b234-3f0c2734813b"
    assert t.language == "nl"
    assert t.title and t.title.startswith("OPENBARE PROCEDURE VOOR DE APOTHEEKDIENSTEN")
    assert t.buyer_name == "FOD Justitie"  # the buyer's name in the notice's own language
    assert t.buyer_org_id == "0308357753_10841"
    assert t.buyer_country == "BE"
    assert t.cpv_main == "85149000"
    assert t.published == "2024-10-10"
    assert t.deadline == "2024-11-18T10:00:00+01:00"
    assert t.url == "https://ted.europa.eu/en/notice/-/detail/00612681-2024"
    assert len(t.lots) == 25
    assert t.lots[0].id == "LOT-0001" and "Lantin" in (t.lots[0].title or "")
    # Every lot says "none" / "no": nothing is reserved, and that is known (False), not unknown (None).
    assert t.reserved_participation == []
    assert t.reserved_execution is False
    assert "BE100" in t.nuts


def test_social_notice_reserved_execution_and_social_objectives() -> None:
    t = parse_one("eforms-sdk/cn-social_25.xml")
    assert t.notice_id == "cf9697c2-e280-4e78-beb1-e481f8c97468"  # unpublished: BT-701
    assert t.published is None and t.url is None  # not published, so neither is invented
    assert t.buyer_country == "GR"
    assert t.estimated_value == pytest.approx(1231) and t.currency == "BWP"
    assert t.reserved_participation == []  # BT-71 "none" is not a reservation
    assert t.reserved_execution is True
    assert t.social_objectives == ["opp", "acc-all"]
    assert t.lots[0].social_objectives == ["opp", "acc-all"]
    assert t.deadline == "2023-08-11T15:00:00+03:00"


def test_prior_information_notice_keeps_its_parts_as_lots() -> None:
    t = parse_one("eforms-sdk/pin-only_24.xml")
    assert t.notice_type == "planning"
    assert [lot.id for lot in t.lots] == ["PAR-0000"]
    assert t.cpv_main == "72000000"
    assert t.estimated_value == pytest.approx(100000) and t.currency == "EUR"


def test_result_notice_from_a_prefixed_root_element() -> None:
    t = parse_one("eforms-real/2023-OJS167-00524889.xml")  # <urn:ContractAwardNotice ...>
    assert t.notice_type == "result"
    assert t.buyer_name == "Commissione europea, Centro comune di ricerca (JRC)"
    assert t.buyer_country == "IT"
    assert t.published == "2023-08-31"
    assert t.cpv_main == "80500000"
    assert "80510000" in t.cpv_additional and "80500000" not in t.cpv_additional


def test_reserved_participation_codes_from_sdk_examples() -> None:
    found = {}
    for rel in ("eforms-sdk/pin-cfc-social_24.xml", "eforms-sdk/pin-rtl_81.xml", "eforms-sdk/cn_24_maximal.xml"):
        found[rel] = parse_one(rel)
    assert any("res-ws" in t.reserved_participation for t in found.values())
    assert any("res-pub-ser" in t.reserved_participation for t in found.values())
    for t in found.values():
        # Procedure-level codes are exactly the union of the lots' codes.
        assert set(t.reserved_participation) == {c for lot in t.lots for c in lot.reserved_participation}


def test_strategic_procurement_is_read_per_lot() -> None:
    t = parse_one("eforms-sdk/cn_24_maximal.xml")
    assert "env-imp" in t.strategic_procurement
    assert any("env-imp" in lot.strategic_procurement for lot in t.lots)
