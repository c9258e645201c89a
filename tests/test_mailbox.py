"""Alert e-mails over IMAP, against a real Dovecot on a loopback port: one tender per listed
procurement, only from the listed senders, marked read only once stored; a huge or unreadable
message reported and flagged, never lost silently. Every message here is invented."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from imap_tools import MailBoxUnencrypted

from radar.pipeline import collect
from scrapers.errors import ParseError, SourceError
from scrapers.notices import Document
from scrapers.sources.mailbox import AlertMailbox
from tenders.config import Settings
from tenders.store import Store, open_store

from .fakes.imap import ALERT_HTML, ImapServer, deliver, dovecot, mail


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Generator[ImapServer]:
    with dovecot() as imap:
        monkeypatch.setenv("TENDER_RADAR_MAILBOX_USER", imap.user)
        monkeypatch.setenv("TENDER_RADAR_MAILBOX_PASSWORD", imap.password)
        yield imap


def flags(server: ImapServer) -> dict[str, set[str]]:
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        return {m.subject: set(m.flags) - {"\\Recent"} for m in box.fetch(mark_seen=False, headers_only=True)}


def configure(settings: Settings, tmp_path: Path, server: ImapServer, **extra: Any) -> Settings:
    entry = {"name": "alerts", "kind": "mailbox", "host": server.host, "port": server.port, "security": "none",
             "allow_private": True, "senders": ["bevakning@annonser.example.org", "@kommun.example.org"],
             "max_message_bytes": 20_000, "language": "sv", "country": "SE", **extra}  # fmt: skip
    (tmp_path / "s.yaml").write_text("sources:\n  - " + json.dumps(entry) + "\n")
    return replace(settings, sources_file=tmp_path / "s.yaml")


def test_alerts_become_tenders_and_only_stored_ones_are_marked_read(
    settings: Settings, tmp_path: Path, server: ImapServer
) -> None:
    deliver(
        server,
        mail("Bevakning <bevakning@annonser.example.org>", "2 nya upphandlingar", html=ALERT_HTML, text="Se HTML."),
        mail(
            "nyhetsbrev@kommun.example.org",
            "Förhandsinformation: arbetsmarknadstjänster",
            text="Kommunen planerar en upphandling av arbetsmarknadstjänster under våren.",
        ),
        mail("someone@evil.example", "Upphandling!", html='<a href="https://evil.example/x">Klicka</a>'),
        mail("bevakning@annonser.example.org", "Jättestort", text="x" * 40_000),
        mail("bevakning@annonser.example.org", "Trasig", html="<p>Lokalvård</p>", charset="x-no-such-charset"),
    )
    s = configure(settings, tmp_path, server)
    store = open_store(s)
    result = collect("alerts", store, s)
    assert result.new == 3 and len(result.errors) == 2
    assert any("Jättestort" in e and "max_message_bytes" in e for e in result.errors)
    assert any("Trasig" in e and "not a readable e-mail" in e for e in result.errors)
    tenders = {a.tender.title: a.tender for a in store.assessed()}
    cleaning = tenders["Lokalvård av förskolor"]
    assert cleaning.url == "https://annonser.example.org/annons/1001" and cleaning.buyer_name == "Exempelby kommun"
    assert cleaning.deadline == "2027-01-15" and tenders["Catering till äldreboenden"].deadline == "2027-02-15"
    assert "Förhandsinformation: arbetsmarknadstjänster" in tenders  # no link: the mail itself
    assert not any("inställningar" in t or "Avregistrera" in t for t in tenders if t)
    seen = flags(server)
    assert seen["2 nya upphandlingar"] == {"\\Seen"} and seen["Förhandsinformation: arbetsmarknadstjänster"] == {
        "\\Seen"
    }
    assert seen["Upphandling!"] == set()  # not from a listed sender: left alone
    assert seen["Jättestort"] == seen["Trasig"] == {"\\Seen", "\\Flagged"}  # reported once, flagged for a person
    again = collect("alerts", store, s)
    assert (again.new, again.errors) == (0, [])


def test_a_message_is_not_marked_read_when_its_tenders_were_not_stored(
    settings: Settings, tmp_path: Path, server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(server, mail("bevakning@annonser.example.org", "2 nya upphandlingar", html=ALERT_HTML))
    s = configure(settings, tmp_path, server)
    store = open_store(s)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Store, "upsert", fail)
    with pytest.raises(RuntimeError):
        collect("alerts", store, s)
    assert flags(server)["2 nya upphandlingar"] == set()
    monkeypatch.undo()
    monkeypatch.setenv("TENDER_RADAR_MAILBOX_USER", server.user)
    monkeypatch.setenv("TENDER_RADAR_MAILBOX_PASSWORD", server.password)
    assert collect("alerts", store, s).new == 2 and flags(server)["2 nya upphandlingar"] == {"\\Seen"}


def test_credentials_come_from_the_environment_and_a_refused_login_is_named(
    settings: Settings, tmp_path: Path, server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = configure(settings, tmp_path, server)
    monkeypatch.setenv("TENDER_RADAR_MAILBOX_PASSWORD", "wrong")
    with pytest.raises(SourceError, match="refused the login of 'alerts'"):
        collect("alerts", open_store(s), s)
    monkeypatch.delenv("TENDER_RADAR_MAILBOX_PASSWORD")
    with pytest.raises(SourceError, match="set TENDER_RADAR_MAILBOX_USER and TENDER_RADAR_MAILBOX_PASSWORD"):
        collect("alerts", open_store(s), s)
    s = configure(settings, tmp_path, server, allow_private=False)
    monkeypatch.setenv("TENDER_RADAR_MAILBOX_PASSWORD", server.password)
    with pytest.raises(SourceError, match="security: none sends the password in clear"):
        collect("alerts", open_store(s), s)


def nested_mail(levels: int, subject: str = "Djupt nästlad") -> bytes:
    """An alert whose text sits inside ``levels`` nested multipart/mixed parts (invented)."""
    head = (f"From: bevakning@annonser.example.org\r\nTo: alerts@radar.example.org\r\nSubject: {subject}\r\n"
            f"Date: Mon, 30 Nov 2026 07:00:00 +0100\r\nMessage-ID: <nested-{levels}@example.org>\r\n"
            "MIME-Version: 1.0\r\n")  # fmt: skip
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(levels))
    closing = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(levels)))
    body = "Content-Type: text/plain; charset=utf-8\r\n\r\nLokalvård av skolor.\r\n"
    return (head + opening + body + closing).encode()


def test_a_deeply_nested_message_is_flagged_and_the_others_are_still_read(
    settings: Settings, tmp_path: Path, server: ImapServer
) -> None:
    deliver(
        server,
        mail("bevakning@annonser.example.org", "2 nya upphandlingar", html=ALERT_HTML),
        nested_mail(250),  # 18 kB: once a RecursionError that stopped the source on every run
        nested_mail(3, "Tre nivåer"),  # an ordinary alert nests two to four
        mail("nyhetsbrev@kommun.example.org", "Förhandsinformation: städning", text="Kommunen planerar städning."),
    )
    s = configure(settings, tmp_path, server)
    store = open_store(s)
    result = collect("alerts", store, s)
    assert result.new == 4  # two from the alert, the three-level one, the newsletter
    assert len(result.errors) == 1 and "Djupt nästlad" in result.errors[0]
    assert "more than 100 MIME parts" in result.errors[0] and "flagged in the mailbox" in result.errors[0]
    assert store.recent_runs(1)[0].source == "alerts"  # the run is recorded
    seen = flags(server)
    assert seen["Djupt nästlad"] == {"\\Seen", "\\Flagged"}
    assert seen["2 nya upphandlingar"] == seen["Tre nivåer"] == seen["Förhandsinformation: städning"] == {"\\Seen"}
    again = collect("alerts", store, s)
    assert (again.new, again.errors) == (0, [])


@pytest.mark.parametrize(("levels", "reason"), [(21, "nested more than 20 deep"), (5_000, "more than 100 MIME parts")])
def test_parsing_a_deeply_nested_message_is_a_parse_error(levels: int, reason: str) -> None:
    source = AlertMailbox(name="alerts", options={"senders": ["@annonser.example.org"]})
    with pytest.raises(ParseError, match=reason):
        source.parse(Document(origin="imap://x/INBOX: message 1", data=nested_mail(levels), unit="msg:1"))
    (tender,) = source.parse(Document(origin="imap://x/INBOX: message 2", data=nested_mail(19), unit="msg:2"))
    assert tender.description == "Lokalvård av skolor."


def test_one_block_of_16000_links_is_read_link_by_link() -> None:
    # 1 MB in one <div>: each link's text around it was the whole block, read once per link (320 s)
    links = "".join(
        f'<a href="https://annonser.example.org/annons/{n}">Lokalvård {n}</a> '
        f"Sista anbudsdag 2027-01-{n % 28 + 1:02d}. "
        for n in range(16_000)
    )
    html = f"<html><body><div>{links}</div></body></html>"
    data = mail("bevakning@annonser.example.org", "16 000 upphandlingar", html=html)
    assert len(data) > 1_000_000
    source = AlertMailbox(name="alerts", options={"senders": ["@annonser.example.org"]})
    tenders = source.parse(Document(origin="imap://x/INBOX: message 1", data=data, unit="msg:1"))
    assert len(tenders) == 16_000
    by_url = {t.url: t for t in tenders}
    first, last = by_url["https://annonser.example.org/annons/0"], by_url["https://annonser.example.org/annons/15999"]
    assert (first.title, last.title) == ("Lokalvård 0", "Lokalvård 15999")
    # each link has the text from it to the next one: its own deadline, not the div's first one
    assert (first.deadline, last.deadline) == ("2027-01-01", "2027-01-12")
    assert last.description == "Lokalvård 15999 Sista anbudsdag 2027-01-12."
