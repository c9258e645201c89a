"""Digests and pages name places, not bare NUTS codes."""

from __future__ import annotations

from types import SimpleNamespace

from notifications.digest import place_names


def places(*codes: str, language: str = "sv") -> str:
    return place_names(SimpleNamespace(all_nuts=list(codes), buyer_nuts=None, buyer_country=None), language)


def test_swedish_regions_by_their_label_and_other_places_by_their_country() -> None:
    assert places("SE312") == "Dalarnas län (SE312)"
    assert places("FR105") == "Frankrike (FR105)"  # no all-EU NUTS list is bundled: the country at least
    assert places("FR105", language="en") == "France (FR105)"
    assert places("EL303", "UKI32", language="en") == "Greece (EL303), United Kingdom (UKI32)"
    assert places("XX999") == "XX999"  # nothing to say about an unknown code but the code
