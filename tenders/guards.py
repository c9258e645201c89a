"""What the web app remembers to defend itself, kept in the store so that every worker and a
restart see the same: throttled events (sign-ups, failed logins) and recently seen webhook events.

Subjects (addresses, client IPs, user names) are stored as SHA-256 hashes: enough to count
them, not to read them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from tenders.store import Base, Store, utcnow

WEBHOOK_MEMORY = timedelta(days=2)  # event ids are remembered this long (timestamps older are refused anyway)


class ThrottleRow(Base):
    """One event that counts against a limit: a confirmation sent, a failed login."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_kind_subject_at", "kind", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime)


class WebhookEventRow(Base):
    """A provider event already taken: a replay of the same event id is ignored."""

    __tablename__ = "webhook_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


def subject_hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def recent(store: Store, kind: str, subject: str, within: timedelta, now: datetime | None = None) -> int:
    """How many ``kind`` events for ``subject`` in the last ``within``."""
    since = (now or utcnow()) - within
    with store.session() as session:
        found = session.scalar(
            select(func.count())
            .select_from(ThrottleRow)
            .where(ThrottleRow.kind == kind, ThrottleRow.subject == subject_hash(subject), ThrottleRow.at >= since)
        )
    return int(found or 0)


def note(store: Store, kind: str, subject: str, now: datetime | None = None) -> None:
    """Count one ``kind`` event for ``subject``; events older than a day are dropped on the way."""
    now = now or utcnow()
    with store.session() as session, session.begin():
        session.add(ThrottleRow(kind=kind, subject=subject_hash(subject), at=now))
        session.execute(delete(ThrottleRow).where(ThrottleRow.kind == kind, ThrottleRow.at < now - timedelta(days=1)))


def take(store: Store, kind: str, subject: str, limit: int, within: timedelta) -> bool:
    """True (and counted) if ``subject`` has had fewer than ``limit`` ``kind`` events in ``within``."""
    if recent(store, kind, subject, within) >= limit:
        return False
    note(store, kind, subject)
    return True


def forget(store: Store, kind: str, subject: str) -> None:
    with store.session() as session, session.begin():
        session.execute(
            delete(ThrottleRow).where(ThrottleRow.kind == kind, ThrottleRow.subject == subject_hash(subject))
        )


def first_seen(store: Store, event_ids: Iterable[str], now: datetime | None = None) -> set[str]:
    """The ids among ``event_ids`` not seen before, now remembered; the rest are replays."""
    now = now or utcnow()
    wanted = {e[:200] for e in event_ids if e}
    if not wanted:
        return set()
    with store.session() as session, session.begin():
        session.execute(delete(WebhookEventRow).where(WebhookEventRow.seen_at < now - WEBHOOK_MEMORY))
        known = set(session.scalars(select(WebhookEventRow.event_id).where(WebhookEventRow.event_id.in_(wanted))))
        new = wanted - known
        session.add_all(WebhookEventRow(event_id=e, seen_at=now) for e in sorted(new))
    return new
