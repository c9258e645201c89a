"""The pipeline steps as plain functions, for the DAGs and the CLI: only the steps live here.

Each step is idempotent: run it twice and the second run finds nothing to do.
collect (sources side by side) -> classify_new -> match_and_queue -> deliver (``radar.delivery``'s
digests, then the buyers' reminders). The features (buyers, reports) and the web app stand beside
or above it and never import it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from matching.classify import classifier_version
from matching.feedback import refine
from matching.subscriptions import Subscriber, match_all
from notifications.alerts import send_alert
from notifications.senders.configured import for_settings
from radar.delivery import send_due
from radar.judging import judge
from radar.side_by_side import Job, Turns, side_by_side
from radar.subscribers import active_subscribers
from scrapers.errors import ParseError, SourceDeadlineError, SourceError
from scrapers.notices import Document, Unit, unit_documents
from scrapers.sources import Source, load_sources
from tenders.codes import load_tables
from tenders.config import Settings, load_settings
from tenders.hygiene import clean
from tenders.model import Tender
from tenders.parallel import ordered_map
from tenders.store import BATCH, Store, UpsertResult, Verdict, open_store, utcnow

__all__ = [  # the steps, and the one error a scheduler must tell apart
    "SourceError", "alert_operators", "classify_new", "collect", "deliver", "match_and_queue",
    "open_store", "previous_year", "queue_digests", "run_once", "send_digests", "source_names", "sources",
]  # fmt: skip

log = logging.getLogger("tender_radar")
SOURCES_AT_ONCE = 4  # sources read side by side in one run (the collect DAG runs as many tasks at once)


@dataclass
class CollectResult:
    source: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0  # units (files, packages, feeds) unchanged since the last run, not read again
    linked: int = 0  # new notices of a procedure already known from another notice or source
    labels: dict[str, int] = field(default_factory=dict)  # the new and changed tenders, by label
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Progress:
    """A source's run so far, kept where its late answer finds it if it is abandoned."""

    started: datetime
    result: CollectResult
    upserted: UpsertResult


def sources(settings: Settings | None = None) -> list[Source]:
    settings = settings or load_settings()
    return load_sources(settings.sources_file)


def source_names(settings: Settings | None = None) -> list[str]:
    return [s.name for s in sources(settings)]


Outcome = tuple[str, list[tuple[Tender, Verdict, str]] | ParseError]


def _parse_and_judge(group: list[tuple[Source, Document]]) -> list[Outcome]:
    """Runs in a worker process: read, parse, classify and hash; only the results travel back."""
    out: list[Outcome] = []
    for source, document in group:
        try:
            tenders = [clean(t) for t in source.parse(document.read())]  # a stranger's text, made safe once
            out.append((document.unit, [(t, judge(t), t.content_hash()) for t in tenders]))
        except ParseError as exc:
            out.append((document.unit, exc))
    return out


def collect(
    source: Source | str,
    store: Store,
    settings: Settings | None = None,
    *,
    workers: int | None = None,
    turns: Turns | None = None,
) -> CollectResult:
    """Read one source, parse and classify on every core, store tenders with their verdicts.

    Units whose fingerprint is unchanged are skipped. Errors are kept per document and the
    rest goes on; a unit with an error is read again next time. A source that could not be
    reached at all raises its SourceError once the run is recorded, so a scheduler can retry.
    Its requests stop at its deadline (``source_deadline``, else ``TENDER_RADAR_SOURCE_DEADLINE``).
    With ``turns`` (sources side by side) every write waits its turn and stops once it is abandoned.
    """
    settings = settings or load_settings()
    if isinstance(source, str):
        found = {s.name: s for s in sources(settings)}
        if source not in found:
            raise SourceError(source, "not declared in sources.yaml")
        source = found[source]
    source.start_clock(source.deadline(settings.source_deadline))
    writing = turns.write if turns is not None else contextlib.nullcontext
    started = utcnow()
    result = CollectResult(source=source.name)
    known = store.fingerprints(source.name)
    seen: dict[str, str] = {}
    failed: set[str] = set()

    unreachable: list[SourceError] = []

    def problem(error: ParseError | SourceError, unit: str | None = None) -> None:
        result.errors.append(str(error))
        log.warning("%s: %s", source.name, error)
        if unit is not None:
            failed.add(unit)

    def wanted(unit: Unit) -> bool:
        if known.get(unit.key) == unit.fingerprint:
            result.skipped += 1
            return False
        seen[unit.key] = unit.fingerprint
        return True

    def documents() -> Iterator[tuple[Source, Document]]:
        try:
            for unit_key, document in unit_documents(source.units(known), wanted):
                if isinstance(document, ParseError):
                    problem(document, unit_key)
                else:
                    yield source, document
        except SourceError as exc:
            problem(exc)
            unreachable.append(exc)

    upserted = UpsertResult()
    batch: list[Tender] = []
    verdicts: dict[str, Verdict] = {}
    hashes: dict[str, str] = {}

    if turns is not None:
        turns.progress = _Progress(started, result, upserted)  # what a late answer reports as stored

    def store_batch() -> None:
        with writing():
            done = store.upsert(batch, verdicts, hashes)
        for tender_id in (*done.new, *done.changed):
            label = verdicts[tender_id].label
            result.labels[label] = result.labels.get(label, 0) + 1
        upserted.add(done)

    classifier_version()  # the rules, the text model and the code tables load here, once: forked workers
    load_tables()  # inherit them (each worker loading its own was 12% of their samples)
    for unit_key, outcome in ordered_map(_parse_and_judge, documents(), workers=workers or settings.workers):
        if isinstance(outcome, ParseError):
            problem(outcome, unit_key)
            continue
        for tender, verdict, digest in outcome:
            if tender.id in hashes:  # the same notice twice: store the first with its own verdict and hash
                store_batch()
                batch, verdicts, hashes = [], {}, {}
            batch.append(tender)
            verdicts[tender.id] = verdict
            hashes[tender.id] = digest
        if len(batch) >= BATCH:
            store_batch()
            batch, verdicts, hashes = [], {}, {}
    if batch:
        store_batch()
    stored = {k: v for k, v in seen.items() if k not in failed}
    with writing():
        store.save_fingerprints(source.name, stored)
        try:
            source.after_store(stored)  # e.g. mark alert e-mails read, now that their tenders are stored
        except SourceError as exc:
            problem(exc)
        _count(result, upserted)
        store.record_run(source.name, started, upserted, result.errors, skipped=result.skipped)
        if turns is not None:
            turns.finished = True
    if unreachable:
        unreachable[0].collected = result  # what was stored before the source failed still counts
        raise unreachable[0]
    return result


def _count(result: CollectResult, upserted: UpsertResult) -> None:
    result.new, result.changed, result.unchanged = len(upserted.new), len(upserted.changed), upserted.unchanged
    result.linked = upserted.linked


def collect_side_by_side(settings: Settings, store: Store, listed: list[Source]) -> list[CollectResult]:
    """Every source at once (``SOURCES_AT_ONCE``), each within its own deadline: one that hangs holds up
    neither the others nor the run. One still running at its deadline is abandoned and recorded as failed,
    naming the deadline; what it stored stays and its units are read again next run."""

    def job(source: Source) -> Job[CollectResult]:
        seconds = source.deadline(settings.source_deadline)

        def work(turns: Turns) -> CollectResult:
            try:
                return collect(source, store, settings, turns=turns)
            except SourceError as exc:  # recorded in the source's run; the other sources go on
                partial = exc.collected if isinstance(exc.collected, CollectResult) else None
                return partial or CollectResult(source=source.name, errors=[str(exc)])

        return Job(source.name, seconds, work, _late(source.name, seconds, store))

    return side_by_side([job(source) for source in listed], at_once=SOURCES_AT_ONCE)


def _late(name: str, seconds: float, store: Store) -> Callable[[Turns], CollectResult]:
    def late(turns: Turns) -> CollectResult:
        done = turns.progress if isinstance(turns.progress, _Progress) else None  # None: abandoned before reading
        if done is not None and turns.finished:  # it ended in the same instant: its own record stands
            return done.result
        error = SourceDeadlineError(name, seconds, ": abandoned while still running")
        log.warning("%s", error)
        progress = done or _Progress(utcnow(), CollectResult(source=name), UpsertResult())
        progress.result.errors.append(str(error))
        _count(progress.result, progress.upserted)
        store.record_run(name, progress.started, progress.upserted, progress.result.errors,
                         skipped=progress.result.skipped)  # fmt: skip
        return progress.result

    return late


def classify_new(store: Store) -> dict[str, int]:
    """Classify every tender not yet judged by this classifier version (or changed since)."""
    version = classifier_version()
    counts = {"classified": 0, "suitable": 0, "possible": 0, "unlikely": 0}
    while batch := store.unassessed(version):
        verdicts = [(tender, judge(tender)) for tender in batch]
        for _, verdict in verdicts:
            counts[verdict.label] += 1
        store.save_verdicts(verdicts)
        counts["classified"] += len(batch)
    return counts


def match_and_queue(
    store: Store, subscribers: list[Subscriber], *, include_expired: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Claim each subscriber's new matches for their next digest.

    A reserved contract for an "instant" subscriber goes in a digest due now; everything
    else joins the digest due at the subscriber's local hour (daily, or Mondays for weekly).
    Result notices are for coordinators, not alerts; a tender whose deadline has passed is
    of no use to a bidder, unless ``include_expired`` (the demo's old sample notices).
    """
    now = now or utcnow()
    queued = matched = 0
    candidates = store.assessed(
        min_score=min((s.min_score for s in subscribers), default=1.0),
        open_on=None if include_expired else now.date(),
        leave_out=("result",),
    )
    matches = match_all(subscribers, candidates)
    delivered = store.delivered_all()
    votes: dict[str, dict[str, bool]] = {}
    for vote in store.feedback():
        votes.setdefault(vote.subscriber, {})[vote.tender_id] = vote.relevant
    voted = {a.tender.id: a for a in store.assessed_by_ids(sorted({t for v in votes.values() for t in v}))}
    for subscriber in subscribers:
        had = delivered.get(subscriber.key, {})
        mine = refine(subscriber, matches[subscriber.key], votes.get(subscriber.key, {}), voted)
        items = [a for a in mine if had.get(a.tender.id) != a.content_hash]  # new or changed
        items = [a for a in items if a.tender.status != "withdrawn" or a.tender.id in had]  # told only if told before
        urgent = [a for a in items if subscriber.urgent(a.reasons)]
        later = [a for a in items if not subscriber.urgent(a.reasons)]
        for group, due in ((urgent, None), (later, subscriber.next_slot(now))):
            if group and store.queue_digest(subscriber.key, subscriber.addresses, subscriber.language, group, due):
                queued += 1
                matched += len(group)
    return {"digests_queued": queued, "tenders_matched": matched}


def run_once(settings: Settings | None = None) -> dict[str, Any]:
    """The whole pipeline once, without a scheduler."""
    settings = settings or load_settings()
    store = open_store(settings)
    run_id = store.open_pipeline_run(socket.gethostname(), os.getpid())  # a killed run leaves it open
    outcome = "failed"
    try:
        summary = _run_steps(settings, store)
        outcome = "done"
        return summary
    except BaseException as exc:
        outcome = f"failed: {type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        if not outcome.startswith(("failed: DatabaseUnavailable", "failed: OperationalError")):
            with contextlib.suppress(Exception):  # a database that is gone cannot record it: the run stays open
                store.close_pipeline_run(run_id, outcome)


def _run_steps(settings: Settings, store: Store) -> dict[str, Any]:
    collected = collect_side_by_side(settings, store, sources(settings))
    classified = classify_new(store)
    subscribers = active_subscribers(settings, store)
    queued = match_and_queue(store, subscribers, include_expired=settings.include_expired)
    delivered = deliver(settings, store, subscribers)
    waiting = store.waiting_digests()
    delivered["waiting"] = len(waiting)
    delivered["next_due"] = waiting[0].due_at.isoformat(timespec="minutes") if waiting and waiting[0].due_at else None
    return {
        "collected": [c.to_dict() for c in collected],
        "classified": classified,
        "queued": queued,
        "delivered": delivered,
        "outbox": str(settings.outbox_dir) if settings.sender == "outbox" else None,
    }


def queue_digests(settings: Settings | None = None) -> dict[str, int]:
    """The matching step on its own (the notify DAG's first task)."""
    settings = settings or load_settings()
    store = open_store(settings)
    return match_and_queue(store, active_subscribers(settings, store), include_expired=settings.include_expired)


def deliver(settings: Settings, store: Store, subscribers: list[Subscriber] | None = None) -> dict[str, Any]:
    """The sending step: the digests due, then the buyers' reminders and invitations, each exactly once."""
    from radar.buyers.reminders import remind  # the buyers' feature sits above the steps

    sender = for_settings(settings)
    if subscribers is None:
        subscribers = active_subscribers(settings, store)
    delivered = send_due(store, subscribers, sender, settings)
    delivered["buyers"] = remind(settings, store, sender)
    return delivered


def send_digests(settings: Settings | None = None) -> dict[str, Any]:
    """``deliver`` with its own settings and store (the notify DAG's second task)."""
    settings = settings or load_settings()
    return deliver(settings, open_store(settings))


def alert_operators(subject: str, text: str) -> None:
    """Mail the operators (a task that failed for good, a source gone quiet)."""
    send_alert(subject, text, load_settings())


def previous_year(when: datetime | None) -> int:
    """The year before a run's logical date; a run with none (Airflow 3's manual runs) asks the
    project clock, so that ``TENDER_RADAR_CLOCK_SHIFT_DAYS`` moves it too."""
    return (when.year if when is not None else utcnow().year) - 1
