"""Result notices: the winners are the tenderers of the settled contracts, not everyone a lot
result lists (a lot result references unsuccessful tenders too)."""

from __future__ import annotations

from scrapers.notices import parse_document

from .conftest import FIXTURES

NOTICE = (FIXTURES / "eforms-real" / "2023-OJS165-00522031.xml").read_bytes()


def test_an_unsuccessful_tender_listed_in_the_lot_result_is_no_winner() -> None:
    (before,) = parse_document(NOTICE, "notice")
    # A second tender on the lot, by another organisation, listed in the lot result but in no contract.
    listed = b"<efac:LotTender>\n                        <cbc:ID>TEN-0001</cbc:ID>\n"
    assert NOTICE.index(listed) < NOTICE.index(b"</efac:LotResult>")  # the first is the lot result's
    notice = NOTICE.replace(listed, b"<efac:LotTender><cbc:ID>TEN-0002</cbc:ID></efac:LotTender>" + listed, 1)
    notice = notice.replace(
        b"<efac:SettledContract>\n                     <cbc:ID>CON-0001</cbc:ID>",
        b"<efac:LotTender><cbc:ID>TEN-0002</cbc:ID><efac:TenderingParty><cbc:ID>TPA-0002</cbc:ID>"
        b"</efac:TenderingParty></efac:LotTender><efac:TenderingParty><cbc:ID>TPA-0002</cbc:ID><efac:Tenderer>"
        b"<cbc:ID>ORG-0001</cbc:ID></efac:Tenderer></efac:TenderingParty>"
        b"<efac:SettledContract>\n                     <cbc:ID>CON-0001</cbc:ID>",
    )
    (after,) = parse_document(notice, "notice")
    assert after.winners == before.winners and len(after.winners) == 1
    assert after.winners == [{"org_id": "LU23519355", "name": "Templab Luxembourg sàrl"}]  # not ORG-0001 (JRC)
