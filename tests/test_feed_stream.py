"""A large feed is read as a stream of item batches: the same tenders as reading it whole, in a
fraction of the memory. The feeds here are invented (example.org)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import scrapers.feed as feed
from scrapers.errors import ParseError

from .conftest import PROJECT


def rss(n: int, language: str = "sv", extra: str = "") -> bytes:
    items = "".join(
        f"<item><title>Lokalvård {i} (invented)</title><link>https://example.org/t/{i}</link>"
        f'<guid isPermaLink="false">t-{i}</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0100</pubDate>'
        f"<dc:creator>Example</dc:creator><description><![CDATA[<p>Städning av <b>förskolor</b> {'x' * 900}</p>]]>"
        f"</description>{extra}</item>"
        for i in range(n)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    return f"{head}<channel><title>t</title><language>{language}</language>{items}</channel></rss>".encode()


def atom(n: int) -> bytes:
    entries = "".join(
        f"<entry><title>Fönsterputs {i} (invented)</title><id>urn:x:{i}</id><link href='https://example.org/a/{i}'/>"
        f"<updated>2026-11-23T08:00:00Z</updated><summary>{'y' * 900}</summary></entry>"
        for i in range(n)
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>t</title>{entries}</feed>'.encode()


@pytest.mark.parametrize("make", [rss, atom])
def test_a_large_feed_read_in_batches_gives_what_reading_it_whole_gives(make: object) -> None:
    data = make(2_600)  # type: ignore[operator]
    assert len(data) > feed.STREAM_FROM
    streamed = feed.parse_feed(data, "big.xml", "feed", nuts=["SE312"])
    whole = feed._parse(data, "big.xml", "feed", nuts=["SE312"], country=None, notice_type="other", buyer=None,
                        buyer_org_id=None)  # fmt: skip
    assert len(streamed) == 2_600 and streamed == whole


def test_a_large_feed_lxml_cannot_read_is_read_whole() -> None:
    data = rss(2_600, extra="<note>&nbsp;</note>")  # an HTML entity no XML declares: feedparser copes
    assert len(feed.parse_feed(data, "big.xml", "feed")) == 2_600


def test_a_large_feed_cut_off_is_refused_not_half_read() -> None:
    data = rss(2_600)
    with pytest.raises(ParseError, match="cut off"):
        feed.parse_feed(data[: len(data) * 2 // 3], "big.xml", "feed")


# Read whole, a 50 MB feed raised MemoryError in an address space of 350 MB; in batches, 300 MB is enough.
CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (330 << 20, 330 << 20))
from tests.test_feed_stream import rss
from scrapers.feed import parse_feed
data = rss(45_000)
print(len(data), len(parse_feed(data, "big.xml", "feed")))
"""


def test_a_50_mb_feed_is_read_within_a_bounded_address_space() -> None:
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=PROJECT, timeout=900,
                           check=False)  # fmt: skip
    assert child.returncode == 0, child.stderr[-1500:]
    size, tenders = map(int, child.stdout.split())
    assert size > 48_000_000 and tenders == 45_000
