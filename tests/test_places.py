"""Swedish places and organisation numbers: one table and one check for every caller."""

from __future__ import annotations

from radar.reports.register import parse_register
from tenders.orgnr import digits, luhn_ok, valid
from tenders.places import county_named, county_of_municipality, municipality_of


def test_organisation_numbers_in_every_written_form() -> None:
    assert valid("556036-0793") and valid("5560360793") and valid("16556036-0793")
    assert not valid("556036-0794") and not valid("55603-0793") and not valid("abc")
    assert digits("SE5560360793") == digits("556036-0793") == "5560360793"
    assert luhn_ok("2120000142") and not luhn_ok("212000-0142")


def test_a_municipality_in_the_genitive_is_found_with_its_county() -> None:
    assert municipality_of("Falu kommun") == ("Falun", "SE312")
    assert municipality_of("Malung-Sälens kommun") == ("Malung-Sälen", "SE312")
    assert municipality_of("Region Dalarna") is None
    assert county_of_municipality("Falu kommun") == county_of_municipality("Falun") == "SE312"
    assert county_named("Dalarnas län") == county_named("Dalarna") == "SE312"


def test_the_register_and_the_subscriptions_use_the_same_rules() -> None:
    from matching.subscriptions import region_code, valid_org_number

    rows = parse_register("namn;organisationsnummer;kommun\nExempel AB;556036-0793;Falu\n")  # invented row
    assert rows[0]["org_number"] == "5560360793" and rows[0]["county"] == "SE312"
    assert valid_org_number("556036-0793") and region_code("Falu kommun") == "SE312"
