"""One language per mail and document (issue 27, item 5): every kind of mail the radar sends, the
calendar feed and the October report (HTML, PDF and its mail), rendered in Swedish and in English,
holds no word of the other language, no code where a name belongs, and counts with the right plural.

"A word of the other language" is a word of five letters or more that the gettext catalogues use
in that language only (Swedish from the sv catalogues' translations, English from their message
ids). What a mail quotes from its data (titles, buyers, organisations, places, quotes from a
notice, the statistics' own names) is taken out before looking. Tenders and organisations here are
invented; the statistics are the CC0 sample in tests/fixtures/uhm-2021.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from matching.subscriptions import Subscriber, typical_sectors
from notifications.digest import DigestLinks, render_digest
from notifications.messages import confirmation_message
from radar.buyers import reminders
from radar.buyers.interest import Enterprise
from radar.reports.mailing import _message as report_mail
from radar.reports.october import build_report
from radar.reports.render import render_html
from radar.reports.statistics import import_export
from radar.watching import _queue as queue_watch
from radar.watching import calendar_feed, watch
from tenders import clock
from tenders.config import Settings, load_settings
from tenders.model import Tender
from tenders.results import Assessed, Listing
from tenders.store import Store, open_store
from tenders.store.buyers import BuyerStore

from .conftest import FIXTURES, PROJECT

CATALOGUES = (PROJECT / "notifications" / "locale", PROJECT / "radar" / "locale")
LANGUAGES = ("sv", "en")
KNOWN_SLIPS = ("(competition)", "(planning)", "dalarna-demo-feed", "notices are not kept", "notiser sparas inte")
UHM = FIXTURES / "uhm-2021"
HOFORS = "2120002296"  # Hofors kommun's real organisation number (tenders/data/municipalities.csv)
TODAY = date(2026, 12, 5)
ORG = "Kooperativet Exempel (invented)"


def _tokens(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]{5,}", re.sub(r"%\(\w+\)[sd]", " ", text))}


def _catalogue_words() -> dict[str, set[str]]:
    """Each language's words that the other language's side of the catalogues never uses."""
    english: set[str] = set()
    swedish: set[str] = set()
    for folder in CATALOGUES:
        with (folder / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            for message in read_po(handle):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                english |= set().union(*(_tokens(str(i)) for i in ids))
                swedish |= set().union(*(_tokens(str(s or "")) for s in strings))
    return {"sv": english - swedish, "en": swedish - english}


FOREIGN = _catalogue_words()


def foreign_words(text: str, language: str, data: Iterable[str] = ()) -> list[str]:
    """The other language's words in ``text`` once tags, links, addresses and quoted data are out."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style.*?</style>", " ", text)))
    plain = re.sub(r"https?://\S+|\S+@\S+", " ", plain)
    plain = " ".join(plain.split())
    for value in sorted({" ".join(v.split()) for v in data if v and len(v.strip()) > 2}, key=len, reverse=True):
        plain = plain.replace(value, " ")
    return sorted(_tokens(plain) & FOREIGN[language])


def assert_one_language(text: str, language: str, data: Iterable[str] = ()) -> None:
    assert [slip for slip in KNOWN_SLIPS if slip in text] == []
    assert foreign_words(text, language, data) == [], text


def test_the_catalogues_give_each_language_words_of_its_own() -> None:
    assert {"deadline", "procurement", "withdrawn", "interested"} <= FOREIGN["sv"]
    assert {"upphandlingar", "anbudsdag", "återkallad", "intresse"} <= FOREIGN["en"]
    assert foreign_words("Sista anbudsdag: 1 mars", "en") == ["anbudsdag", "sista"]  # the check sees a slip


# -- the digest -----------------------------------------------------------------------------------


def _reason(code: str, **kw: Any) -> dict[str, Any]:
    return {"code": code, "weight": 1.0, **kw}


def digest_items() -> tuple[list[Assessed], list[str]]:
    """Open, planned, updated, uncertain, withdrawn, expired and invented tenders, with many reasons."""
    texts: list[str] = []

    def item(notice_id: str, title: str, reasons: list[dict[str, Any]] | None = None,
             sectors: tuple[dict[str, Any], ...] = (), also: tuple[Listing, ...] = (),
             **kw: Any) -> Assessed:  # fmt: skip
        score = kw.pop("score", 0.9)
        tender = Tender(source=kw.pop("source", "feed"), notice_id=notice_id, title=title, buyer_country="SE", **kw)
        texts.extend([title, str(kw.get("description") or ""), str(kw.get("buyer_name") or "")])
        texts.extend(str(r.get("quote") or "") for r in reasons or [])
        return Assessed(tender=tender, score=score, label="suitable", reasons=reasons or [], content_hash=notice_id,
                        sectors=sectors, also=also)  # fmt: skip

    quote = "skyddad anställning för personer långt från arbetsmarknaden"
    items = [
        item(
            "open",
            "Lokalvård i Hofors (påhittad)",
            buyer_org_id=HOFORS,
            deadline="2027-02-01T12:00:00+01:00",
            description="Städning av skolor.",
            estimated_value=1_500_000,
            currency="SEK",
            url="https://hofors.example.org/upphandling/1",
            documents_url="https://hofors.example.org/docs/1",
            reasons=[
                _reason("reserved_participation", value="res-ws"),
                _reason("reserved_execution"),
                _reason("text_employment", quote=quote, field="lots[1].description"),
                _reason("typical_sector", sector="cleaning", quote="Städning"),
                _reason("small_scale", value="500000 SEK"),
                _reason("divided_in_lots", value=3),
                _reason("text_model", label="suitable", probabilities={"suitable": 0.8}, quote="Städning"),
                _reason("vcse"),
                _reason("light_regime", value="85000000"),
                _reason("text_small", value="few", weight=0, quote="Städning"),
            ],
            also=(
                Listing("other", "ted", "competition", "https://ted.europa.eu/notice/1"),
                Listing("own", f"buyer:{HOFORS}", "competition", "https://radar.example.org/own"),
            ),
        ),
        item("soon", "Snöröjning i Mora (påhittad)", deadline="2026-12-08", nuts=["SE312"]),
        item("changed", "Tvätt för äldreboenden (påhittad)", deadline="2027-03-01", nuts=["SE312"]),
        item(
            "plan",
            "Städning av kommunens lokaler (påhittad)",
            source=f"buyer:{HOFORS}",
            notice_type="planning",
            status="planned",
            expected_publication="2027-03-01",
            buyer_org_id=HOFORS,
        ),
        item(
            "doubt",
            "Transport av fika (påhittad)",
            deadline="2027-01-20",
            sectors=({"sector": "catering", "by": "text", "probability": 0.3},),
        ),
        item("gone", "Fönsterputs (påhittad)", source=f"buyer:{HOFORS}", status="withdrawn", deadline="2027-01-10"),
        item("late", "Trädgårdsskötsel (påhittad)", deadline="2026-11-01", nuts=["SE313"]),
        item("extra", "Flyttjänster (påhittad)", deadline="2027-04-01", nuts=["SE312"], score=0.5),  # left out
    ]
    return items, [*texts, ORG]


def subscriber(language: str) -> Subscriber:
    return Subscriber(key="k", organisation=ORG, email="k@example.org", language=language, sector_uncertain=True,
                      cpv=typical_sectors()["catering"] + typical_sectors()["cleaning"])  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_part_of_a_digest_is_in_the_readers_language(language: str) -> None:
    items, data = digest_items()
    links = DigestLinks("https://radar.example.org", "feedback-token", "profile-token")
    d = render_digest(subscriber(language), items, "https://radar.example.org/unsubscribe?token=t",
                      updated=frozenset({"feed:changed"}), today=TODAY, links=links, max_items=7)  # fmt: skip
    for text in (d.subject, d.text, d.html):
        assert_one_language(text, language, data)
    words = {"sv": ("Osäker bransch", "Återkallade av köparen", "Planerade upphandlingar", "och 1 till",
                    "Ändrade sedan förra brevet", "Sista anbudsdag har passerat", "köparens egen annons",
                    "Reserverat deltagande (BT-71)", "(delkontrakt 1)", "1 februari 2027 kl. 12.00"),
             "en": ("Sector uncertain", "Withdrawn by the buyer", "Planned procurements", "and 1 more",
                    "Changed since we last wrote", "Deadline passed", "the buyer's own notice",
                    "Reserved participation (BT-71)", "(lot 1)", "1 February 2027 at 12:00")}[language]  # fmt: skip
    assert [w for w in words if w not in d.text] == []
    assert d.subject == {"sv": f"7 nya upphandlingar och 1 planerad för {ORG}",
                         "en": f"7 new tenders and 1 planned for {ORG}"}[language]  # fmt: skip


@pytest.mark.parametrize(("counts", "sv", "en"), [
    ((1, 0), "1 ny upphandling för", "1 new tender for"),
    ((2, 0), "2 nya upphandlingar för", "2 new tenders for"),
    ((0, 1), "1 planerad upphandling för", "1 planned procurement for"),
    ((0, 3), "3 planerade upphandlingar för", "3 planned procurements for"),
    ((1, 2), "1 ny upphandling och 2 planerade för", "1 new tender and 2 planned for"),
])  # fmt: skip
def test_a_digests_subject_counts_with_the_right_plural(counts: tuple[int, int], sv: str, en: str) -> None:
    items, _ = digest_items()
    current = [i for i in items if i.tender.notice_id in ("soon", "changed", "extra")][: counts[0]]
    plans = [
        Assessed(
            tender=Tender(
                source=f"buyer:{HOFORS}", notice_id=f"p{n}", title=f"Plan {n}", status="planned", notice_type="planning"
            ),
            score=0.9,
            label="suitable",
            reasons=[],
            content_hash=f"p{n}",
        )
        for n in range(counts[1])
    ]
    for language, expected in (("sv", sv), ("en", en)):
        assert render_digest(subscriber(language), current + plans, today=TODAY).subject == f"{expected} {ORG}"


# -- the other mails ------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
    return load_settings({"TENDER_RADAR_HOME": str(tmp_path), "TENDER_RADAR_SECRET": "one-language-" + "x" * 24,
                          "TENDER_RADAR_BASE_URL": "https://radar.example.org"})  # fmt: skip


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings)
    yield store
    store.engine.dispose()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_confirmation_mails_are_in_one_language(settings: Settings, language: str) -> None:
    who = subscriber(language)
    for message in (confirmation_message(settings, who), confirmation_message(settings, who, proposal="p-1")):
        for text in (message.subject, message.text, message.html):
            assert_one_language(text, language, [ORG])


WATCHED = "Städning av badhus (påhittad)"
BUYER = "Hofors kommun"


def watched(store: Store) -> Assessed:
    deadline = (clock.today() + timedelta(days=7)).isoformat()
    tender = Tender(source="feed", notice_id="w1", title=WATCHED, buyer_name=BUYER, buyer_org_id=HOFORS,
                    buyer_country="SE", deadline=deadline, status="planned")  # fmt: skip
    store.upsert([tender])
    found = store.assessed_by_ids([tender.id])
    return found[0] if found else Assessed(tender=tender, score=0.9, label="suitable", reasons=[], content_hash="w")


def queued(store: Store) -> list[tuple[str, str, str]]:
    return [(m.kind, m.subject, m.body) for m in BuyerStore(store).due_messages()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_watch_mails_and_the_calendar_are_in_one_language(settings: Settings, store: Store, language: str) -> None:
    item, who = watched(store), subscriber(language)
    buyers = BuyerStore(store)
    for kind, days in (("7d:x", 7), ("1d:x", 1), ("changed:x", None), ("withdrawn", None), ("awarded", None)):
        assert queue_watch(settings, buyers, kind, who, item, days=days) == 1
    mails = queued(store)
    assert len(mails) == 5
    for _, subject, body in mails:
        assert_one_language(subject + "\n" + body, language, [WATCHED, BUYER, ORG])
    subjects = {kind: subject for kind, subject, _ in mails}
    nameless = Tender(source="feed", notice_id="w2", title=WATCHED, buyer_org_id=HOFORS, buyer_country="SE")
    store.upsert([nameless])
    assert queue_watch(settings, buyers, "awarded", who, Assessed(tender=nameless, score=0.9, label="suitable",
                                                                  reasons=[], content_hash="w2")) == 1  # fmt: skip
    named = [b for _, _, b in queued(store) if nameless.id in b]
    assert len(named) == 1 and f"{WATCHED} (Hofors kommun)" in named[0]  # a buyer given by number, named
    assert subjects["watch-7d:x"].startswith({"sv": "Sista anbudsdag om 7 dagar", "en": "Deadline in 7 days"}[language])
    watch(store, who.key, item.tender.id)
    feed = calendar_feed(settings, store, who.key, ORG, language).decode().replace("\r\n ", "")
    shown = [line.split(":", 1)[1] for line in feed.splitlines() if line.startswith(("SUMMARY", "DESCRIPTION", "X-WR"))]
    assert_one_language("\n".join(shown).replace("\\n", "\n"), language, [WATCHED, BUYER, ORG])
    assert {"sv": "SUMMARY:Sista anbudsdag: ", "en": "SUMMARY:Deadline: "}[language] + WATCHED in feed


@pytest.mark.parametrize("language", LANGUAGES)
def test_buyer_reminders_and_invitations_are_in_one_language(settings: Settings, store: Store,
                                                             language: str) -> None:  # fmt: skip
    item = watched(store)
    buyers = BuyerStore(store)
    who = Enterprise("k", ORG, "k@example.org", None, None, ())
    deadline = item.tender.deadline
    invitation = "Välkommen till ett möte om städningen (påhittat)."
    for kind, days in (("advertised", None), ("deadline", 1), ("deadline:7", 7), ("invitation:1", None)):
        reminders._queue(settings, buyers, kind, "k", who, item.tender, language, deadline=deadline, days=days,
                         text=invitation, link="https://radar.example.org/t")  # fmt: skip
    mails = queued(store)
    assert len(mails) == 4
    for _, subject, body in mails:
        assert_one_language(subject + "\n" + body, language, [WATCHED, BUYER, ORG, invitation])
    subjects = {kind: subject for kind, subject, _ in mails}
    assert subjects["deadline"].startswith({"sv": "Sista anbudsdag om 1 dag:", "en": "Deadline in 1 day:"}[language])
    assert subjects["deadline:7"].startswith({"sv": "Sista anbudsdag om 7 dagar:",
                                              "en": "Deadline in 7 days:"}[language])  # fmt: skip


# -- the October report ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def statistics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('uhm') / 'store.sqlite'}")
    store.migrate()
    for name in ("procurements-2021.xlsx", "contracted-suppliers-2021-dalarna-gavleborg.xlsx",
                 "contracted-value-2021-dalarna-gavleborg.xlsx"):  # fmt: skip
        assert import_export(store, UHM / name).problems == []
    yield store
    store.engine.dispose()


def report_data(report: Any) -> list[str]:
    """Every name the report quotes from its data (places, sectors as the statistics name them, titles,
    suppliers, the credit line the statistics' terms prescribe), and the chart's shortened labels."""
    out: list[str] = []
    if isinstance(report, dict):
        for key, value in report.items():
            if key in ("by_municipality", "by_sector", "coverage") and isinstance(value, dict):
                out += [str(k) for k in value] + [str(k)[:38] for k in value]
            out += report_data(value)
    elif isinstance(report, list):
        for value in report:
            out += report_data(value)
    elif isinstance(report, str):
        out.append(report)
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_october_report_its_pdf_and_its_mail_are_in_one_language(statistics: Store, language: str,
                                                                     tmp_path: Path) -> None:  # fmt: skip
    assert shutil.which("pdftotext"), "make system-deps installs poppler-utils"
    settings = load_settings({"TENDER_RADAR_HOME": str(tmp_path)})
    report = build_report(statistics, "SE312", 2021)
    data = report_data(report)
    assert_one_language(render_html(report, language), language, data)

    mail = report_mail(statistics, settings, "SE312", 2021, "k", [("anna@example.org", language)])
    assert_one_language(mail.subject + "\n" + mail.text + "\n" + mail.html, language, data)
    assert mail.subject == {"sv": "Oktoberavstämningen 2021: Dalarnas län",
                            "en": "The October check-in 2021: Dalarnas län"}[language]  # fmt: skip
    (attachment,) = mail.attachments
    pdf = tmp_path / attachment.filename
    pdf.write_bytes(attachment.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert_one_language(text, language, data)
    method = " ".join(text[text.rindex({"sv": "Metod", "en": "Method"}[language]) :].split())
    assert {"sv": "Upphandlingsmyndighetens statistikdatabas", "en": "Upphandlingsmyndigheten's statistics"}[
        language] in method  # fmt: skip
    assert {"sv": "annonserade upphandlingar: 2021", "en": "advertised procurements: 2021"}[language] in method
    assert "contracts:" not in method and "values:" not in method  # the exports by name, not by code


# -- the catalogues are complete ------------------------------------------------------------------


def used_messages(folder: Path) -> set[str]:
    """The message ids the code and templates use, extracted as ``make translations`` does (its babel.cfg)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (folder / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(str(folder), method_map, options_map)
    return {message[0] if isinstance(message, tuple) else message for _, _, message, _, _ in found}


@pytest.mark.parametrize("folder", ["notifications", "radar"])
def test_the_swedish_catalogue_translates_every_message_used(folder: str) -> None:
    used = used_messages(PROJECT / folder)
    assert len(used) > 50
    with (PROJECT / folder / "locale" / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated, misfilled = {}, []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        translated[msgid] = not message.fuzzy and all(str(s or "").strip() for s in strings)
        wanted = set(re.findall(r"%(?:\(\w+\))?[sd%]", str(msgid)))  # a translation fills in what its message does
        misfilled += [msgid for string in strings if set(re.findall(r"%(?:\(\w+\))?[sd%]", str(string))) != wanted]
    assert sorted(m for m in used if not translated.get(m)) == []
    assert misfilled == []
