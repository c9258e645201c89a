"""Digests and mail headers hold against hostile tender data (issue 13, items 2, 8 and 14)."""

from __future__ import annotations

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import DigestLinks, clear_block_cache, render_digest
from tenders.model import Tender
from tenders.store import Assessed

LINKS = DigestLinks("https://radar.example", "FEEDBACK-SECRET", "PROFILE-SECRET")  # invented values


def assessed(t: Tender) -> Assessed:
    a = classify(t)
    return Assessed(tender=t, score=a.score, label=a.label, reasons=a.reasons, content_hash=t.content_hash())


def subscriber() -> Subscriber:
    return Subscriber(key="k", organisation="Kooperativet", email="k@example.org", language="en")


def test_a_feed_link_holding_the_token_mark_does_not_receive_the_token() -> None:
    clear_block_cache()
    evil = Tender(
        source="x",
        notice_id="1",
        title="Lokalvård %%TR_FEEDBACK%% %%TR_BASE%%",
        url="https://evil.example/c?t=%%TR_FEEDBACK%%&b=%%TR_BASE%%",
        buyer_name="%%TR_FEEDBACK%%",
    )
    d = render_digest(subscriber(), [assessed(evil)], links=LINKS)
    for body in (d.html, d.text):
        assert "evil.example/c?t=FEEDBACK-SECRET" not in body
        assert "https://evil.example/c?t=%%TR_FEEDBACK%%" in body.replace("&amp;", "&")
        # the subscriber's own links are still there, once per tender and kind
        assert "https://radar.example/feedback?token=FEEDBACK-SECRET&" in body.replace("&amp;", "&")
        assert body.count("FEEDBACK-SECRET") == 2
