"""Where the procurement documents are: read from every kind of notice, shown in the digest and on the
tender page as "Upphandlingsdokument", and given by buyers in the API.

The notices are real (data/notices: an eForms notice with BT-15, legacy TED notices with URL_DOCUMENT);
the OCDS releases and the buyer's notice are invented (example.org)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching.subscriptions import everything
from notifications.digest import render_digest
from radar.buyers.notices import NoticeError, read_notice
from scrapers.notices import parse_document
from scrapers.ocds import parse_ocds
from tenders.model import Tender
from tenders.results import Assessed

from .conftest import PROJECT

NOTICES = PROJECT / "data" / "notices"


def parsed(path: Path) -> Tender:
    (tender,) = [t for t in parse_document(path.read_bytes(), "ted") if isinstance(t, Tender)]
    return tender


def test_eforms_bt15_and_legacy_url_document_are_read() -> None:
    assert parsed(NOTICES / "eforms-real" / "2024-OJS017-00047522.xml").documents_url == "https://www.achatpublic.com"
    assert parsed(NOTICES / "ted-real" / "legacy" / "19-090974-001-EXP.xml").documents_url == "http://www.klekoon.com"


def test_ocds_takes_the_bidding_documents_then_the_submission_platform() -> None:
    def release(tender: dict[str, object]) -> bytes:
        package = {"releases": [{"ocid": "ocds-x-1", "date": "2026-01-01", "tag": ["tender"], "tender": tender}]}
        return json.dumps(package).encode()

    both = release({"title": "t", "documents": [
        {"id": "1", "documentType": "tenderNotice", "url": "https://example.org/notice"},
        {"id": "2", "documentType": "biddingDocuments", "url": "https://example.org/docs"}]})  # fmt: skip
    (tender,) = parse_ocds(both, "both.json", "fts")
    assert tender.documents_url == "https://example.org/docs"
    (platform,) = parse_ocds(release({"submissionMethodDetails": "https://example.org/bid"}), "p.json", "fts")
    assert platform.documents_url == "https://example.org/bid"
    (words,) = parse_ocds(release({"submissionMethodDetails": "By post"}), "w.json", "fts")
    assert words.documents_url is None


def test_the_digest_links_the_documents_beside_the_notice() -> None:
    tender = Tender(source="ted", notice_id="1", title="Lokalvård", url="https://ted.example.org/1",
                    documents_url="https://example.org/docs")  # fmt: skip
    item = Assessed(tender=tender, score=0.7, label="suitable", reasons=[], content_hash="h")
    digest = render_digest(everything("sv"), [item])
    assert "Upphandlingsdokument: https://example.org/docs" in digest.text
    assert 'href="https://example.org/docs"' in digest.html


def test_a_buyer_gives_the_documents_address_and_only_a_web_address() -> None:
    notice = {"title": "Lokalvård i skolor", "status": "planned", "expected_publication": "2099-01-01"}
    assert read_notice({**notice, "documents_url": "https://example.org/docs"}).documents_url == (
        "https://example.org/docs"
    )
    with pytest.raises(NoticeError) as caught:
        read_notice({**notice, "documents_url": "javascript:alert(1)"})
    assert "documents_url" in caught.value.fields


def test_the_tender_page_links_the_documents(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from radar.judging import judge
    from radar.web.app import create_app
    from tenders.config import load_settings
    from tenders.store import open_store

    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path)})
    tender = Tender(source="x", notice_id="docs", title="Lokalvård (påhittat exempel)",
                    documents_url="https://example.org/docs")  # fmt: skip
    open_store(settings).upsert([tender], {tender.id: judge(tender)})
    page = TestClient(create_app(settings)).get("/tenders/x:docs?lang=sv")
    assert page.status_code == 200 and "Upphandlingsdokument" in page.text
    assert 'href="https://example.org/docs"' in page.text
