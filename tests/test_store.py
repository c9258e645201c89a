"""The store on SQLite and on the real PostgreSQL: idempotent upsert, history, outbox."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta

from scrapers.notices import iter_path
from tenders.model import Tender
from tenders.store import Store, Verdict, new_schema, utcnow

from .conftest import FIXTURES


def real_tenders() -> list[Tender]:
    return [t for t in iter_path(FIXTURES / "eforms-real") if isinstance(t, Tender)]


def test_same_input_twice_creates_nothing_new(store: Store) -> None:
    tenders = real_tenders()
    first = store.upsert(tenders)
    second = store.upsert(tenders)
    assert len(first.new) == len(tenders) == 18
    assert second.new == [] and second.changed == [] and second.unchanged == 18
    assert store.count() == 18


def test_a_changed_notice_updates_and_keeps_the_earlier_version(store: Store) -> None:
    original = real_tenders()[0]
    store.upsert([original])
    changed = replace(original, deadline="2030-01-31T12:00:00+01:00")
    result = store.upsert([changed])
    assert result.changed == [original.id]
    assert store.get(original.id) == changed
    history = store.history(original.id)
    assert len(history) == 1
    assert history[0]["version"] == 1
    assert history[0]["data"]["deadline"] == original.deadline


def test_the_same_notice_twice_in_one_batch_counts_as_new_then_changed(store: Store) -> None:
    a = real_tenders()[0]
    b = replace(a, title="Corrected title")
    result = store.upsert([a, b])
    assert result.new == [a.id] and result.changed == [a.id]
    stored = store.get(a.id)
    assert stored is not None and stored.title == "Corrected title"


def test_round_trip_keeps_every_field(store: Store) -> None:
    for tender in real_tenders():
        store.upsert([tender])
        assert store.get(tender.id) == tender


def test_a_failed_batch_leaves_no_half_written_tender(store: Store) -> None:
    tenders = real_tenders()[:3]
    store.upsert(tenders[:1])

    def broken():
        yield tenders[1]
        raise RuntimeError("the feed died mid-way")

    with contextlib.suppress(RuntimeError):
        store.upsert(broken())
    assert store.count() == 1  # the batch in flight was never committed; the earlier one is intact
    assert store.get(tenders[0].id) == tenders[0]


def test_a_digest_claims_its_tenders_once(store: Store) -> None:
    tenders = real_tenders()[:2]
    store.upsert(tenders)
    store.save_verdicts([(t, Verdict(0.9, "suitable", [], "v1")) for t in tenders])
    items = list(store.assessed())
    first = store.queue_digest("s1", "s1@example.org", "sv", items)
    again = store.queue_digest("s1", "s1@example.org", "sv", items)
    other = store.queue_digest("s2", "s2@example.org", "en", items)
    assert first and other and again is None
    assert store.delivered_ids("s1") == {t.id for t in tenders}
    assert [d.status for d in store.due_digests()] == ["queued", "queued"]
    now = utcnow()
    assert store.claim_digest(first, "queued", now) and not store.claim_digest(first, "queued", now)  # one winner
    store.mark_digest(first, sent=False, error="connection refused")
    assert store.claim_digest(other, "queued", now)  # ... and the process dies before it records the outcome
    due = store.due_digests(now)
    assert [(d.id, d.status, d.attempts) for d in due] == [(first, "failed", 1)]  # "sending" is not stale yet
    # Taken over only when stale and old enough for the provider to list it (15 minutes).
    assert not store.claim_digest(other, "sending", now + timedelta(minutes=11))
    assert [d.id for d in store.due_digests(now + timedelta(minutes=11))] == [first]
    later = [(d.id, d.status) for d in store.due_digests(now + timedelta(minutes=16))]
    assert later == [(first, "failed"), (other, "sending")]
    assert store.claim_digest(other, "sending", now + timedelta(minutes=16))  # taken over from the dead run ...
    [taken] = [d for d in store.digests() if d.id == other]
    assert taken.unsure_since == now and taken.attempts == 2  # ... as unsure since the dead run's attempt
    store.mark_digest(other, sent=True, provider_ref="abc")
    assert [d.id for d in store.due_digests(now + timedelta(minutes=16))] == [first]


def test_a_digest_that_may_be_at_the_provider_waits_until_a_lookup_can_tell(store: Store) -> None:
    tenders = real_tenders()[:1]
    store.upsert(tenders)
    store.save_verdicts([(t, Verdict(0.9, "suitable", [], "v1")) for t in tenders])
    digest = store.queue_digest("s1", "s1@example.org", "sv", list(store.assessed()))
    assert digest
    now = utcnow()
    assert store.claim_digest(digest, "queued", now)
    store.mark_digest(digest, sent=False, error="answer lost", maybe_sent=True)
    assert [d.status for d in store.digests()] == ["unsure"]
    assert store.due_digests(now + timedelta(minutes=14)) == []  # the provider may not list it yet
    assert not store.claim_digest(digest, "unsure", now + timedelta(minutes=14))
    assert [d.id for d in store.due_digests(now + timedelta(minutes=15))] == [digest]
    assert store.claim_digest(digest, "unsure", now + timedelta(minutes=15))
    store.digest_unknown(digest, "lookup refused (403)")
    assert store.due_digests(now + timedelta(days=30)) == []  # unknown: never sent again by itself
    assert store.digest_counts() == {"unknown": 1}
    assert store.resolve_unknown(resend=True) == 1 and [d.status for d in store.digests()] == ["failed"]


def test_unassessed_finds_new_changed_and_outdated(store: Store) -> None:
    t = real_tenders()[0]
    store.upsert([t])
    assert [x.id for x in store.unassessed("v1")] == [t.id]
    store.save_verdicts([(t, Verdict(0.5, "possible", [], "v1"))])
    assert store.unassessed("v1") == []
    assert [x.id for x in store.unassessed("v2")] == [t.id]  # a new classifier re-judges
    store.upsert([replace(t, title="changed")])
    assert [x.id for x in store.unassessed("v1")] == [t.id]


def _migrate(url: str) -> None:
    Store(url).migrate()


def test_many_processes_can_open_a_fresh_database_at_once(store: Store) -> None:
    """Parallel Airflow tasks open the store at the same moment; none may fail on the schema."""
    import multiprocessing

    if store.url.startswith("sqlite"):
        url = store.url.replace("store.sqlite", "fresh.sqlite")
    else:  # a fresh schema on the same server
        url = new_schema(store.url.partition("?")[0], "fresh")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.map(_migrate, [url] * 4)
    assert Store(url).count() == 0


def test_a_field_added_to_the_model_later_does_not_change_stored_hashes() -> None:
    t = real_tenders()[0]
    data = t.to_dict()
    assert "vcse" in data and data["vcse"] is None
    without = {k: v for k, v in data.items() if k != "vcse"}  # the same notice as stored before the field existed
    from tenders.model import content_hash

    assert content_hash(without) == content_hash(data)
    assert content_hash({**data, "vcse": True}) != content_hash(data)


def test_the_migrations_form_one_line_that_builds_what_the_models_describe(store: Store) -> None:
    """Branches merged with their own migrations must be chained: one head, and the migrated schema
    (every table and column, e.g. the national statistics and the coordinators' email) equals the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from tenders.store import MIGRATIONS, Base

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())
    assert all(not isinstance(r.down_revision, tuple) for r in revisions)  # no merge points: a straight line
    from sqlalchemy import inspect

    import tenders.store.buyers
    import tenders.store.watches
    from tenders.store.search import BESIDE_THE_MODELS

    assert tenders.store.buyers and tenders.store.watches  # their models too, whatever ran before

    beside = BESIDE_THE_MODELS[store.engine.dialect.name]

    def modelled(_object: object, name: str | None, _type: str, _reflected: bool, _other: object) -> bool:
        return name not in beside

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": modelled})
        assert compare_metadata(context, Base.metadata) == []
        schema = inspect(connection)
        named = (
            "SELECT name FROM sqlite_master"
            if store.engine.dialect.name == "sqlite"
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'tenders'"
        )  # expression indexes too
        found = {*schema.get_table_names(), *(c["name"] for c in schema.get_columns("tenders")),
                 *connection.exec_driver_sql(named).scalars()}  # fmt: skip
    assert beside <= found  # what the migration builds beside the models is there
