"""The pipeline steps as plain functions; the DAGs and the CLI call these and nothing else.

Each step is idempotent: run it twice and the second run finds nothing to do.
collect -> classify_new -> match_and_queue -> send_due.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from matching.classify import classifier_version, classify
from matching.subscriptions import Subscriber, load_subscribers
from notifications.digest import render_digest
from notifications.senders.base import Message, Sender, SendError
from notifications.senders.outbox import OutboxSender
from notifications.senders.sendgrid import SendGridSender
from scrapers.errors import ParseError, SourceError
from scrapers.sources import Source, load_sources
from tenders.config import Settings, load_settings
from tenders.store import Store, UpsertResult, utcnow

log = logging.getLogger("tender_radar")


@dataclass
class CollectResult:
    source: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_store(settings: Settings | None = None) -> Store:
    settings = settings or load_settings()
    store = Store(settings.database_url)
    store.migrate()
    return store


def sources(settings: Settings | None = None) -> list[Source]:
    settings = settings or load_settings()
    return load_sources(settings.sources_file)


def source_names(settings: Settings | None = None) -> list[str]:
    return [s.name for s in sources(settings)]


def collect(source: Source | str, store: Store, settings: Settings | None = None) -> CollectResult:
    """Fetch one source and upsert what parses; errors are kept per notice, the rest goes on."""
    if isinstance(source, str):
        found = {s.name: s for s in sources(settings)}
        if source not in found:
            raise SourceError(source, "not declared in sources.yaml")
        source = found[source]
    started = utcnow()
    result = CollectResult(source=source.name)
    errors: list[str] = []

    def parsed() -> Any:
        try:
            for item in source.tenders():
                if isinstance(item, ParseError):
                    errors.append(str(item))
                    log.warning("%s: %s", source.name, item)
                else:
                    yield item
        except SourceError as exc:
            errors.append(str(exc))
            log.error("%s", exc)

    upserted: UpsertResult = store.upsert(parsed())
    result.new, result.changed, result.unchanged = len(upserted.new), len(upserted.changed), upserted.unchanged
    result.errors = errors
    store.record_run(source.name, started, upserted, errors)
    return result


def classify_new(store: Store) -> dict[str, int]:
    """Classify every tender that is new, changed, or was judged by an older classifier."""
    version = classifier_version()
    counts = {"classified": 0, "suitable": 0, "possible": 0, "unlikely": 0}
    while True:
        batch = store.unassessed(version)
        if not batch:
            return counts
        results = []
        for tender in batch:
            assessment = classify(tender)
            results.append((tender, assessment.score, assessment.label, assessment.reasons))
            counts[assessment.label] += 1
        store.save_assessments(results, version)
        counts["classified"] += len(batch)


def match_and_queue(store: Store, subscribers: list[Subscriber], *, include_expired: bool = False) -> dict[str, int]:
    """Queue one digest per subscriber with the matching tenders they have not had yet.

    Result notices are for coordinators, not alerts; a tender whose deadline has passed
    is of no use to a bidder, unless ``include_expired`` (the demo's old sample notices).
    """
    queued = matched = 0
    today = utcnow().date().isoformat()
    candidates = [
        a for a in store.assessed(min_score=min((s.min_score for s in subscribers), default=1.0))
        if a.tender.notice_type != "result" and (include_expired or (a.tender.deadline or "9999")[:10] >= today)
    ]  # fmt: skip
    for subscriber in subscribers:
        had = store.delivered_ids(subscriber.key)
        items = [
            a for a in candidates
            if a.tender.id not in had and subscriber.wants(a.tender, a.score)
        ]  # fmt: skip
        if items and store.queue_digest(subscriber.key, subscriber.email, subscriber.language, items):
            queued += 1
            matched += len(items)
    return {"digests_queued": queued, "tenders_matched": matched}


def make_sender(settings: Settings) -> Sender:
    if settings.sender == "sendgrid" and settings.sendgrid_api_key:
        return SendGridSender(settings.sendgrid_api_key, settings.sendgrid_host)
    return OutboxSender(settings.outbox_dir)


def send_due(store: Store, subscribers: list[Subscriber], sender: Sender, settings: Settings) -> dict[str, Any]:
    """Send every queued (or earlier failed) digest; record each outcome before the next."""
    by_key = {s.key: s for s in subscribers}
    sent = failed = 0
    errors: list[str] = []
    for digest in store.due_digests():
        subscriber = by_key.get(digest.subscriber)
        if subscriber is None:  # unsubscribed since it was queued: keep it, send nothing
            continue
        rendered = render_digest(subscriber, store.assessed_by_ids(digest.tender_ids))
        message = Message(
            key=digest.id,
            to=digest.email,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            from_email=settings.from_email,
            from_name=settings.from_name,
        )
        try:
            ref = sender.send(message)
        except SendError as exc:
            failed += 1
            errors.append(f"digest {digest.id} to {digest.subscriber}: {exc}")
            store.mark_digest(digest.id, sent=False, error=str(exc))
            log.error("send failed: %s", exc)
            continue
        store.mark_digest(digest.id, sent=True, provider_ref=ref)
        sent += 1
    return {"sent": sent, "failed": failed, "errors": errors, "sender": sender.name}


def run_once(settings: Settings | None = None) -> dict[str, Any]:
    """The whole pipeline once, without a scheduler."""
    settings = settings or load_settings()
    store = open_store(settings)
    collected = [collect(source, store, settings) for source in sources(settings)]
    classified = classify_new(store)
    subscribers = load_subscribers(settings.subscribers_file)
    queued = match_and_queue(store, subscribers, include_expired=settings.include_expired)
    delivered = send_due(store, subscribers, make_sender(settings), settings)
    return {
        "collected": [c.to_dict() for c in collected],
        "classified": classified,
        "queued": queued,
        "delivered": delivered,
        "outbox": str(settings.outbox_dir) if settings.sender == "outbox" else None,
    }
