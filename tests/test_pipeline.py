"""The whole pipeline once and again: every match delivered once, failures retried, not lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from matching.subscriptions import Subscriber, load_subscribers
from notifications.readable import day_text
from notifications.senders.base import Message, SendError
from notifications.senders.configured import for_settings
from radar.delivery import send_due
from radar.pipeline import classify_new, collect, match_and_queue, run_once, sources
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import open_store, utcnow

from .conftest import outbox
from .helpers.store_rows import standing_rows


def test_reserved_contracts_go_out_at_once_and_a_rerun_sends_nothing(settings: Settings) -> None:
    first = run_once(settings)
    assert sum(c["new"] for c in first["collected"]) == 14  # 11 notices and 3 awards
    # The two "instant" subscribers get their reserved contracts now; the rest waits for 07:00.
    assert first["delivered"]["sent"] == 2 and first["delivered"]["failed"] == 0
    assert first["delivered"]["waiting"] == 3
    messages = outbox(settings.outbox_dir)
    assert sorted(messages) == ["kontakt@falu-aterbruk.example.org", "watch@nordic-wise.example.org"]
    eu = messages["watch@nordic-wise.example.org"]
    assert "Marché de service pour l'élaboration" in eu
    assert "Reserved participation (BT-71): Participation is reserved to sheltered workshops" in eu
    assert "Grönyteskötsel" not in messages["kontakt@falu-aterbruk.example.org"]  # not reserved: in the daily digest

    second = run_once(settings)
    assert all(c["new"] == 0 and c["changed"] == 0 for c in second["collected"])
    assert second["queued"]["digests_queued"] == 0 and second["delivered"]["sent"] == 0
    assert len(outbox(settings.outbox_dir)) == 2


def test_the_demo_shows_real_notices_and_marked_examples_never_sdk_dummies(settings: Settings) -> None:
    """``make demo``: the TED samples are copies of real notices in data/notices (the eForms SDK's dummy
    notices stay in the tests); the Swedish feeds are invented and each of their tenders says so; the
    real notices' deadlines have passed, and each is marked (the demo's TENDER_RADAR_INCLUDE_EXPIRED=1)."""
    project = Path(__file__).resolve().parent.parent
    for sample in sorted((project / "data/samples/ted").glob("*.xml")):
        folder, _, name = sample.name.partition("_")
        original = project / "data/notices" / folder / name.replace("_", "/")
        assert folder in ("ted-real", "eforms-real") and original.read_bytes() == sample.read_bytes(), sample.name
    run_once(settings)
    send_due(open_store(settings), load_subscribers(settings.subscribers_file), for_settings(settings), settings,
             now=utcnow() + timedelta(days=8))  # fmt: skip
    mails = outbox(settings.outbox_dir)
    everyone = "\n".join(mails.values())
    for dummy in ("At the End of the Tunnel", "Procurement Title", "Procurement title", "ZenithNova", "BWP"):
        assert dummy not in everyone
    watch = mails["watch@nordic-wise.example.org"]
    reserved = watch[watch.index("== Marché de service") :]
    assert reserved.index("Deadline passed") < reserved.index("Deadline: 22 March 2019 at 15:00 (passed)")
    falun = mails["kontakt@falu-aterbruk.example.org"]
    for title in ("Lokalvård i Falu kommuns förskolor", "Grönyteskötsel och snöröjning, Borlänge"):
        block = falun[falun.index(f"== {title}") :]
        assert block.split("\n")[2] == "Påhittat exempel, inte en verklig upphandling."  # right under the title


def test_a_region_subscriber_gets_only_their_region(settings: Settings) -> None:
    run_once(settings)
    store = open_store(settings)
    subs = load_subscribers(settings.subscribers_file)
    send_due(store, subs, for_settings(settings), settings, now=utcnow() + timedelta(days=8))  # every digest due
    falun = outbox(settings.outbox_dir)["kontakt@falu-aterbruk.example.org"]
    assert "Lokalvård i Falu kommuns förskolor" in falun
    assert "Gävle" not in falun and "Marché" not in falun
    assert "Ombyggnad av riksväg 70" not in falun  # unlikely, below the subscriber's minimum
    gavle = outbox(settings.outbox_dir)["info@gavle-stadkafe.example.org"]
    assert "Kafédrift i Gävle stadsbibliotek" in gavle and "Licenser" not in gavle


class Flaky:
    """Fails the first ``failures`` sends, then delivers; remembers what it delivered."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[Message] = []

    def find(self, key: str) -> str | None:
        return next((f"ref-{i + 1}" for i, m in enumerate(self.delivered) if m.key == key), None)

    def send(self, message: Message) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise SendError("503 from provider", retryable=True)
        self.delivered.append(message)
        return f"ref-{len(self.delivered)}"


def test_a_failed_send_is_retried_on_the_next_run_and_never_doubled(settings: Settings) -> None:
    store = open_store(settings)
    for source in sources(settings):
        collect(source, store, settings)
    classify_new(store)
    subs = [Subscriber(key="all", organisation="All", email="all@example.org", min_score=0.3)]
    assert match_and_queue(store, subs, include_expired=True)["digests_queued"] == 1
    sender = Flaky(failures=1)
    later = utcnow() + timedelta(days=2)
    assert send_due(store, subs, sender, settings, now=later)["failed"] == 1
    assert match_and_queue(store, subs, include_expired=True)["digests_queued"] == 0  # claimed, not re-queued
    assert send_due(store, subs, sender, settings, now=later)["sent"] == 1
    assert send_due(store, subs, sender, settings, now=later)["sent"] == 0
    (delivered,) = sender.delivered
    assert "/tenders/ted:091489-2019?lang=sv" in delivered.text and "Marché de service" in delivered.text


def test_expired_tenders_are_not_alerted_by_default(settings: Settings) -> None:
    settings = replace(settings, include_expired=False)
    run_once(settings)
    subs = load_subscribers(settings.subscribers_file)
    send_due(open_store(settings), subs, for_settings(settings), settings, now=utcnow() + timedelta(days=8))
    everyone = "\n".join(outbox(settings.outbox_dir).values())
    assert "Marché de service" not in everyone  # its deadline was in 2019
    assert "Lokalvård i Falu kommuns förskolor" in everyone  # no deadline given: kept


def test_a_tender_whose_deadline_passes_while_its_digest_waits_is_not_sent(settings: Settings) -> None:
    from radar.judging import judge

    settings = replace(settings, include_expired=False)  # a real run: only the demo lets expired tenders through
    store = open_store(settings)
    now = utcnow()
    gone = Tender(source="x", notice_id="gone", title="Städning av trapphus (påhittat exempel)", nuts=["SE312"],
                  deadline=f"{now + timedelta(days=1):%Y-%m-%d}")  # fmt: skip
    kept = Tender(source="x", notice_id="kept", title="Fönsterputs (påhittat exempel)", nuts=["SE312"],
                  deadline=f"{now + timedelta(days=60):%Y-%m-%d}")  # fmt: skip
    store.upsert([gone, kept], {gone.id: judge(gone), kept.id: judge(kept)})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0, frequency="weekly")]
    assert match_and_queue(store, subs, now=now)["tenders_matched"] == 2  # both open when queued
    sender = Flaky(failures=0)
    send_due(store, subs, sender, settings, now=now + timedelta(days=8))  # the weekly digest's Monday
    (mail,) = sender.delivered
    assert "Fönsterputs" in mail.text and "Städning av trapphus" not in mail.text
    assert mail.subject == "1 ny upphandling för S"

    alone = Tender(source="x", notice_id="alone", title="Snöröjning (påhittat exempel)", nuts=["SE312"],
                   deadline=f"{now + timedelta(days=9):%Y-%m-%d}")  # fmt: skip
    store.upsert([alone], {alone.id: judge(alone)})
    match_and_queue(store, subs, now=now + timedelta(days=8))
    result = send_due(store, subs, sender, settings, now=now + timedelta(days=20))
    assert result["sent"] == 0 and result["expired"] == 1 and len(sender.delivered) == 1  # nothing left to send


def test_the_digest_cap_is_a_setting(settings: Settings) -> None:
    from radar.judging import judge

    settings = replace(settings, digest_max=1)
    store = open_store(settings)
    tenders = [Tender(source="x", notice_id=str(i), title=f"Lokalvård {i} (påhittat exempel)", nuts=["SE312"])
               for i in range(3)]  # fmt: skip
    store.upsert(tenders, {t.id: judge(t) for t in tenders})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0, frequency="daily")]
    match_and_queue(store, subs)
    sender = Flaky(failures=0)
    send_due(store, subs, sender, settings, now=utcnow() + timedelta(days=2))
    (mail,) = sender.delivered
    assert mail.subject == "3 nya upphandlingar för S" and mail.text.count("== Lokalvård") == 1
    assert "och 2 till: http://localhost:8000/my-tenders?token=" in mail.text


def test_a_broken_notice_is_reported_and_the_rest_are_stored(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "notices"
    folder.mkdir()
    good = Path(__file__).parent / "fixtures/ted-real/legacy/19-090974-001-EXP.xml"
    (folder / "a.xml").write_bytes(good.read_bytes())
    (folder / "b.xml").write_bytes(good.read_bytes()[:500])
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - {{name: local, kind: ted_files, path: {folder}}}\n")
    s = replace(settings, sources_file=tmp_path / "sources.yaml")
    store = open_store(s)
    result = collect("local", store, s)
    assert result.new == 1
    assert len(result.errors) == 1 and "b.xml: broken XML" in result.errors[0]


def test_a_rerun_skips_unchanged_files_and_reads_a_touched_one(settings: Settings, tmp_path: Path) -> None:
    import os
    import shutil

    folder = tmp_path / "notices"
    shutil.copytree(Path(__file__).parent / "fixtures/eforms-real", folder)
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - {{name: local, kind: ted_files, path: {folder}}}\n")
    s = replace(settings, sources_file=tmp_path / "sources.yaml")
    store = open_store(s)
    first = collect("local", store, s)
    assert (first.new, first.skipped) == (18, 0)
    again = collect("local", store, s)
    assert (again.new, again.unchanged, again.skipped) == (0, 0, 18)  # nothing was even read
    touched = sorted(folder.glob("*.xml"))[0]
    os.utime(touched, ns=(1, 1))
    third = collect("local", store, s)
    assert (third.unchanged, third.skipped) == (1, 17)


def test_parallel_and_serial_ingest_store_the_same(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: all, kind: ted_files, path: {Path(__file__).parent / 'fixtures/ted-real'}}}\n"
    )
    results = []
    for workers in (1, 2):
        s = replace(
            settings, sources_file=tmp_path / "sources.yaml", database_url=f"sqlite:///{tmp_path}/w{workers}.db"
        )
        store = open_store(s)
        collect("all", store, s, workers=workers)
        results.append([(a.tender.to_dict(), a.score, a.label, a.reasons) for a in store.assessed()])
    assert len(results[0]) == 34  # 68 files, each notice twice (legacy and eForms) under one id
    assert results[0] == results[1]


def test_a_changed_tender_comes_again_once_as_updated(settings: Settings) -> None:
    from radar.judging import judge

    store = open_store(settings)
    day = timedelta(days=1)
    now = utcnow()
    deadline, moved_to = f"{now + 60 * day:%Y-%m-%d}", f"{now + 90 * day:%Y-%m-%d}"  # open while the test runs
    t = Tender(source="x", notice_id="1", title="Lokalvård i Falun", nuts=["SE312"], deadline=deadline)
    store.upsert([t], {t.id: judge(t)})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0, frequency="daily")]
    sender = Flaky(failures=0)

    def cycle(when: datetime) -> int:
        match_and_queue(store, subs, now=when)
        return int(send_due(store, subs, sender, settings, now=when + day)["sent"])

    assert cycle(now) == 1
    assert cycle(now + 2 * day) == 0  # unchanged: not again
    moved = replace(t, deadline=moved_to)
    store.upsert([moved], {t.id: judge(moved)})
    assert cycle(now + 4 * day) == 1
    moved_day = day_text(date.fromisoformat(moved_to), "sv")  # "5 mars 2027", as the reader sees it
    assert "Ändrade sedan förra brevet" in sender.delivered[-1].text and moved_day in sender.delivered[-1].text
    assert cycle(now + 6 * day) == 0
    # A change while the tender waits in an unsent digest adds nothing: that digest shows the new content.
    t2 = Tender(source="x", notice_id="2", title="Tvätt", nuts=["SE312"], deadline=deadline)
    store.upsert([t2], {t2.id: judge(t2)})
    match_and_queue(store, subs, now=now + 8 * day)
    store.upsert([replace(t2, title="Tvätt och textil")], {t2.id: judge(replace(t2, title="Tvätt och textil"))})
    match_and_queue(store, subs, now=now + 8 * day)
    assert send_due(store, subs, sender, settings, now=now + 9 * day)["sent"] == 1
    assert "Tvätt och textil" in sender.delivered[-1].text and "Ändrade" not in sender.delivered[-1].text


def test_a_digest_the_provider_refuses_is_held_not_retried_every_hour(settings: Settings) -> None:
    from radar.judging import judge

    store = open_store(settings)
    t = Tender(source="x", notice_id="1", title="Lokalvård", nuts=["SE312"])
    store.upsert([t], {t.id: judge(t)})
    subs = [Subscriber(key="s", organisation="S", email="s@example.org", min_score=0.0, frequency="daily")]

    class Refusing:
        name = "refusing"
        calls = 0

        def find(self, key: str) -> str | None:
            return None

        def send(self, message: Message) -> str:
            Refusing.calls += 1
            raise SendError("SendGrid answered 400: the from address is not verified", retryable=False)

    later = utcnow() + timedelta(days=2)
    match_and_queue(store, subs)
    assert send_due(store, subs, Refusing(), settings, now=later)["held"] == 1  # held, not "failed"
    assert send_due(store, subs, Refusing(), settings, now=later)["held"] == 0 and Refusing.calls == 1
    assert [d.status for d in store.digests()] == ["held"]
    assert store.release_held() == 1
    assert send_due(store, subs, Flaky(failures=0), settings, now=later)["sent"] == 1  # fixed, released, sent once


def test_a_file_is_read_where_it_is_parsed_and_a_vanished_one_is_named(tmp_path: Path) -> None:
    from scrapers.errors import ParseError
    from scrapers.notices import iter_units, parse_document, walk

    good = Path(__file__).parent / "fixtures/ted-real/legacy/19-090974-001-EXP.xml"
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(good.read_bytes())
    units = list(iter_units(tmp_path))  # listed (size and mtime: the fingerprint), not read
    (tmp_path / "b.xml").unlink()
    parsed = list(walk(units, lambda doc: parse_document(doc.data, doc.origin)))
    assert len([p for p in parsed if isinstance(p, Tender)]) == 1
    errors = [str(p) for p in parsed if isinstance(p, ParseError)]
    assert len(errors) == 1 and "b.xml" in errors[0] and "cannot read" in errors[0]


def test_the_hash_a_worker_computes_is_the_stores_own(settings: Settings, tmp_path: Path) -> None:
    from tenders.model import content_hash

    fixtures = Path(__file__).parent / "fixtures/eforms-real"
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - {{name: local, kind: ted_files, path: {fixtures}}}\n")
    s = replace(settings, sources_file=tmp_path / "sources.yaml")
    store = open_store(s)
    assert collect("local", store, s, workers=2).new == 18
    rows = list(standing_rows(store))
    assert len(rows) == 18 and all(row.content_hash == content_hash(row.data) for row in rows)
    assert collect("local", store, s, workers=2).skipped == 18
