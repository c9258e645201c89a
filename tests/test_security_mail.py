"""Digests and mail headers hold against hostile tender data (issue 13, items 2, 8 and 14)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from matching.classify import classify
from matching.subscriptions import Subscriber
from notifications.digest import DigestLinks, clear_block_cache, render_digest
from notifications.senders.base import Message
from notifications.senders.outbox import OutboxSender
from notifications.senders.smtp import SmtpSender
from radar.pipeline import collect
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import Assessed, open_store

from .fakes.smtp import fake_smtp

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
        # the subscriber's own links are still there, once per tender and kind (relevant yes / no, watch)
        assert "https://radar.example/feedback?token=FEEDBACK-SECRET&" in body.replace("&amp;", "&")
        assert "https://radar.example/watch?token=FEEDBACK-SECRET&" in body.replace("&amp;", "&")
        assert body.count("FEEDBACK-SECRET") == 3


# A real token is long: the header passes 78 characters, where the old code RFC 2047-encoded it.
UNSUBSCRIBE = "https://radar.example/unsubscribe?token=unsubscribe." + "a" * 40 + ".1790000000." + "b" * 43


def one_click_message() -> Message:
    return Message(key="d-1", to="kontakt@example.org", subject="1 ny upphandling för Kooperativet",
                   html="<p>Hej</p>", text="Hej", from_email="alerts@example.org", from_name="Social Tender Radar",
                   headers={"List-Unsubscribe": f"<{UNSUBSCRIBE}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip


def raw_headers(data: bytes) -> list[bytes]:
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return head.replace(b"\n ", b" ").replace(b"\n\t", b" ").split(b"\n")


def test_one_click_headers_are_written_raw_in_the_outbox(tmp_path: Path) -> None:
    path = Path(OutboxSender(tmp_path).send(one_click_message()))
    lines = raw_headers(path.read_bytes())
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>".encode() in lines
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert b"=?utf-8?" not in b"\n".join(line for line in lines if line.startswith(b"List-"))


def test_one_click_headers_are_written_raw_over_smtp() -> None:
    with fake_smtp() as server:
        SmtpSender(f"smtp://127.0.0.1:{server.port}").send(one_click_message())
    ((_, _, data),) = server.messages
    lines = raw_headers(data)
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>".encode() in lines
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines


def test_a_link_with_a_line_break_cannot_add_lines_to_the_text_digest() -> None:
    clear_block_cache()
    url = "https://evil.example/a\nDeadline: 2099-01-01\r\nRead the notice: https://evil.example/b"
    evil = Tender(source="x", notice_id="1", title="Lokalvård", url=url)
    text = render_digest(subscriber(), [assessed(evil)]).text
    assert not any(
        line.startswith(("Deadline: 2099", "Read the notice: https://evil.example/b")) for line in text.split("\n")
    )
    assert "Deadline: not given" in text


def test_bidi_overrides_go_and_a_huge_title_is_capped() -> None:
    clear_block_cache()
    evil = Tender(source="x", notice_id="1", title="Städning \u202egnidnätS\u202c" + "å" * 200_000,
                  buyer_name="Mora\u2066 kommun\u2069")  # fmt: skip
    d = render_digest(subscriber(), [assessed(evil)])
    for body in (d.html, d.text):
        assert not any(ch in body for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
        assert "Mora kommun" in body
    assert len(d.text) < 5_000 and len(d.html) < 10_000


def test_the_classifier_reads_a_capped_length_of_a_huge_description() -> None:
    reserved = "Upphandlingen är reserverad enligt 4 kap. 18 § LOU. "
    filler = "Lokalvård av kommunens lokaler. " * 160_000  # about 5 MB of words
    early = classify(Tender(source="x", notice_id="1", description=reserved + filler))
    late = classify(Tender(source="x", notice_id="2", description=filler + reserved))
    assert any(r["code"] == "text_reserved" for r in early.reasons)
    assert not any(r["code"] == "text_reserved" for r in late.reasons)  # beyond the cap: not read


HOSTILE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Invented feed</title>
<item><title>St\u00e4dning \u202egnidn\u00e4tS\u202c av skolor</title>
<link>https://evil.example/a&#10;Deadline: 2099-01-01</link>
<guid>hostile-1</guid><description>Lokalv\u00e5rd.</description></item>
</channel></rss>
"""


def test_a_hostile_feed_item_is_stored_clean(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(HOSTILE_FEED, encoding="utf-8")  # the title has a right-to-left override
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: hostile, kind: feed, path: {tmp_path / 'feed.xml'}}}\n"
    )
    settings = replace(settings, sources_file=tmp_path / "sources.yaml")
    store = open_store(settings)
    collect("hostile", store, settings, workers=1)
    [item] = store.assessed(min_score=0.0, open_on=None)
    assert item.tender.title == "Städning gnidnätS av skolor"
    assert item.tender.url is not None and "\n" not in item.tender.url and " " not in item.tender.url
