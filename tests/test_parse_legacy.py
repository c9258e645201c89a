"""Legacy TED XML (R2.0.9) parses field by field, and agrees with its eForms conversion."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, parse_one

AGREE = ("id", "notice_type", "title", "description", "language", "buyer_name", "buyer_country", "nuts",
         "cpv_main", "cpv_additional", "published", "reserved_participation", "reserved_execution")  # fmt: skip


def test_reserved_contract_for_sheltered_workshops() -> None:
    t = parse_one("ted-real/legacy/19-090974-001-EXP.xml")
    assert t.id == "ted:091489-2019"
    assert t.notice_type == "competition"
    assert t.language == "fr"
    assert t.buyer_name == "EPS Paul Guiraud"
    assert t.buyer_country == "FR"
    assert t.cpv_main == "55321000"
    assert t.nuts == ["FR105"]
    assert t.published == "2019-02-26"
    assert t.deadline == "2019-03-22T15:00:00"  # legacy TED gives no time zone; none is added
    # RESTRICTED_SHELTERED_WORKSHOP, RESERVED_ORGANISATIONS_SERVICE_MISSION, RESTRICTED_SHELTERED_PROGRAM
    assert t.reserved_participation == ["res-ws", "res-pub-ser"]
    assert t.reserved_execution is True
    assert [lot.id for lot in t.lots] == ["LOT-0000"]
    assert t.lots[0].reserved_participation == ["res-ws", "res-pub-ser"]


def test_reserved_notice_reads_the_same_in_both_formats() -> None:
    legacy = parse_one("ted-real/legacy/19-090974-001-EXP.xml").to_dict()
    eforms = parse_one("ted-real/eforms/19-090974-001-EXP.xml").to_dict()
    for name in AGREE:
        assert legacy[name] == eforms[name], name
    assert legacy["deadline"] == eforms["deadline"][:19]


@pytest.mark.parametrize("path", sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml")), ids=lambda p: p.name)
def test_every_legacy_notice_agrees_with_its_conversion(path) -> None:
    legacy = parse_one(f"ted-real/legacy/{path.name}")
    eforms = parse_one(f"ted-real/eforms/{path.name}")
    assert legacy.id == eforms.id
    assert legacy.cpv_main == eforms.cpv_main
    assert legacy.buyer_country == eforms.buyer_country
    assert legacy.reserved_participation == eforms.reserved_participation
    assert legacy.title == eforms.title
    assert legacy.winners == eforms.winners  # who won: what award tracking counts


def test_result_notices_name_their_winners_with_organisation_numbers() -> None:
    paths = sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml"))
    results = [t for t in (parse_one(f"ted-real/legacy/{p.name}") for p in paths) if t.notice_type == "result"]
    unawarded = [t.notice_id for t in results if not t.winners]
    assert len(results) == 19 and unawarded == ["108473-2019"]  # a design contest whose prize was not awarded
    assert {"org_id": "39876221100298", "name": "Eiffage route mediterranée (mandataire)"} in next(
        t.winners for t in results if t.notice_id == "404080-2018"
    )


def test_contract_award_notice_type_and_value() -> None:
    types = {parse_one(f"ted-real/legacy/{p.name}").notice_type for p in (FIXTURES / "ted-real/legacy").glob("*.xml")}
    assert {"competition", "result", "planning"} <= types


@pytest.mark.parametrize("path", sorted((FIXTURES / "ted-real" / "legacy").glob("*.xml")), ids=lambda p: p.name)
def test_cutting_the_translations_changes_nothing_parsed(path) -> None:
    from lxml import etree

    from scrapers.notices import without_translations
    from scrapers.ted_legacy import parse_ted_legacy

    data = path.read_bytes()
    cut = without_translations(data)
    assert len(cut) < len(data)
    assert parse_ted_legacy(etree.fromstring(cut)) == parse_ted_legacy(etree.fromstring(data))
