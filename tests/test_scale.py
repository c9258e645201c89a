"""What the words say of a job's size, and whether it buys goods: read from the text, shown as
evidence, and deciding between "suitable" and "possible" for typical work (issue 14)."""

from __future__ import annotations

import pytest

from matching.classify import classify
from matching.rules import rules
from matching.scale import goods, read
from notifications.digest import reason_text
from tenders.model import Tender


def signs(text: str) -> set[tuple[str, str]]:
    r = rules()
    sentences = [("title", text)]
    found = read(sentences, r.eur_rates, r.small_eur, r.large_eur) + [s for s in [goods(sentences)] if s]
    return {(s.kind, s.what) for s in found}


def judged(text: str) -> tuple[str, set[str]]:
    verdict = classify(Tender(source="t", notice_id="1", title=text))
    return verdict.label, {r["code"] for r in verdict.reasons}


@pytest.mark.parametrize(("text", "sign"), [
    ("Lokalvård av kommunhuset i Storuman. Direktupphandling.", ("small", "direct award")),
    ("Caretaker services for the village hall, ten hours per week.", ("small", "hours a week")),
    ("Vaktmästeri, tio timmar i veckan", ("small", "hours a week")),
    ("Skötsel av rabatter i stadsparken, maj–september.", ("small", "a season or a few weeks")),
    ("Fasadtvätt av förskolan Solrosen i Rättvik", ("small", "one site")),
    ("Städning, värde ca 300 000 kr per år", ("small", "a low value")),
    ("Collection from textile banks, approx. £30,000", ("small", "a low value")),
    ("Städning av en skola, cirka 900 kvm", ("small", "a small floor area")),
    ("Städning av Hallsbergs kommuns lokaler, totalt ca 45 000 kvm.", ("large", "a large floor area")),
    ("Highway resurfacing programme, GBP 40 million", ("large", "a high value")),
    ("Ramavtal om 120 miljoner kronor", ("large", "a high value")),
    ("Fastighetsskötsel för bostadsbolagets bestånd, ca 4 000 lägenheter", ("large", "many dwellings")),
    ("Skötsel av parker och grönytor, 2027–2031", ("large", "many years")),
    ("Ramavtal städtjänster för kommunens samtliga fastigheter", ("large", "every site")),
    ("Grounds maintenance of all housing estates", ("large", "every site")),
    ("Tvättmaskiner och torktumlare till kommunens gruppbostäder", ("goods", "a supply of goods")),
    ("Spolbil för högtryckstvätt av avloppsledningar", ("goods", "a supply of goods")),
    ("Supply of commercial dishwashers to school kitchens", ("goods", "a supply of goods")),
    ("Köp av åkbara skurmaskiner till lokalvårdsenheten", ("goods", "a supply of goods")),
    ("Purchase of ride-on floor scrubber machines for leisure services", ("goods", "a supply of goods")),
])  # fmt: skip
def test_the_words_show_the_size_or_the_goods(text: str, sign: tuple[str, str]) -> None:
    assert sign in signs(text)


@pytest.mark.parametrize("text", [
    "Reparation av tvättmaskiner på boendet",  # a service to goods, named before them
    "Matleverans med bil till hemtjänsten",  # the car comes after a preposition: how, not what
    "Tryckeri- och kopieringstjänster samt exponeringsprodukter",  # services first
    "Mobil kärltvätt",  # the phrase's head is the washing, not "mobil"
    "Matlådor och dagligvaror till brukare inom hemtjänsten",  # meals first
    "Lokalvård 2027–2029",  # three calendar years: the usual two plus an option, not a large job
    "Städning av 12 000 kvadratmeter",  # a large area is not small...
])  # fmt: skip
def test_what_is_not_that_sign(text: str) -> None:
    found = signs(text)
    assert ("goods", "a supply of goods") not in found
    assert ("large", "many years") not in found
    assert ("small", "a small floor area") not in found


def test_twelve_thousand_square_metres_is_large() -> None:
    assert ("large", "a large floor area") in signs("Städning av 12 000 kvadratmeter")


def test_typical_work_is_suitable_when_small_and_possible_when_large_or_bare() -> None:
    small, small_codes = judged("Tvätt av gardiner på två särskilda boenden i Borlänge, direktupphandling.")
    assert small == "suitable" and "text_small" in small_codes
    large, large_codes = judged("Skötsel av parker och grönytor i Göteborgs Stad, område Nordost, 2027–2031.")
    assert large == "possible" and "text_large" in large_codes
    assert judged("Fönsterputs")[0] == "possible"  # a bare name of the work shows no size
    assert judged("Fönsterputs 2027–2029, Vänersborgs kommun")[0] == "possible"  # nor does its buyer


def test_goods_named_like_typical_work_are_unlikely() -> None:
    label, codes = judged("Köp av åkbara skurmaskiner till lokalvårdsenheten, Nyköpings kommun.")
    assert label == "unlikely" and "text_goods" in codes


def test_goods_or_works_with_social_requirements_are_worth_a_look() -> None:
    label, codes = judged("Ramavtal för livsmedel till kommunens kök. Socialt hållbar upphandling med krav på "
                          "arbetsrättsliga villkor i leverantörskedjan.")  # fmt: skip
    assert label == "possible" and "text_goods" in codes


def test_an_employment_clause_in_construction_or_it_is_possible_not_suitable() -> None:
    for text in ("Construction of a new leisure centre. Social value: the contractor shall create employment "
                 "opportunities for local people.",
                 "New ERP system; the supplier will provide apprenticeships for disadvantaged people.",
                 "Nybyggnation av Gränbyskolan i Uppsala. Entreprenören ska erbjuda minst fem praktikplatser till "
                 "personer som står långt från arbetsmarknaden."):  # fmt: skip
        assert judged(text)[0] == "possible", text
    # the same clause with typical work stays suitable
    assert judged("Städtjänster med sysselsättningskrav: minst en person som varit arbetslös i mer än ett år "
                  "ska anställas.")[0] == "suitable"  # fmt: skip


def test_a_digest_names_the_sign_in_the_subscribers_language() -> None:
    verdict = classify(Tender(source="t", notice_id="1", title="Tvätt av gardiner på boendet i Borlänge, "
                                                                  "direktupphandling."))  # fmt: skip
    sv = [reason_text(r, "sv") for r in verdict.reasons]
    en = [reason_text(r, "en") for r in verdict.reasons]
    assert any(line.startswith("Texten visar ett litet uppdrag (direktupphandling)") for line in sv), sv
    assert any(line.startswith("The text shows a small job (direct award)") for line in en), en
    # the verdict came from the words, past the models' odds: no odds are printed beside it
    assert not any("%" in line for line in sv if line.startswith("Texten bedöms som")), sv
