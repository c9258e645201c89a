"""Digests and pages name places, never bare NUTS codes."""

from __future__ import annotations

from types import SimpleNamespace

from notifications.digest import place_names


def places(*codes: str, language: str = "sv") -> str:
    return place_names(SimpleNamespace(all_nuts=list(codes), buyer_nuts=None, buyer_country=None), language)


def test_swedish_regions_by_their_label_and_other_places_by_their_country() -> None:
    assert places("SE312") == "Dalarnas län"
    assert places("FR105") == "Frankrike"  # no all-EU NUTS list is bundled: the country at least
    assert places("FR105", language="en") == "France"
    assert places("EL303", "UKI32", language="en") == "Greece, United Kingdom"
    assert places("FR105", "FR106") == "Frankrike"  # each name once
    assert places("XX999") == ""  # an unknown code says nothing to a reader: the digest shows "anges inte"
