"""Tenders a subscriber watches, and its calendar feed's key (migration ``0019_watches``).

A watch remembers what the subscriber was last told: the procedure's hash and state ("open",
"withdrawn", "awarded") when it began watching or was last told of a change. The messages
themselves go through the buyers' outbox (``buyer_messages``), claimed once per (kind,
subscriber, tender); what a watch records here is only the starting point to compare with.

The calendar feed's address is signed with the subscriber's current calendar version: revoking it
bumps the version, and every address signed with an older one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tenders.store.engine import StoreBase
from tenders.store.tables import Base, utcnow


class WatchRow(Base):
    """One subscriber watching one tender (any source)."""

    __tablename__ = "watches"

    subscriber: Mapped[str] = mapped_column(String(200), primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    told_hash: Mapped[str] = mapped_column(String(64))  # the procedure as last told (or as first watched)
    told_state: Mapped[str] = mapped_column(String(12))  # open | withdrawn | awarded, as last told
    told_at: Mapped[datetime | None] = mapped_column(DateTime)  # when a change was last told


class CalendarKeyRow(Base):
    """The version a subscriber's calendar address is signed with; revoking bumps it."""

    __tablename__ = "calendar_keys"

    subscriber: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True, slots=True)
class Watch:
    subscriber: str
    tender_id: str
    created_at: datetime
    told_hash: str
    told_state: str


def _watch(row: WatchRow) -> Watch:
    return Watch(row.subscriber, row.tender_id, row.created_at, row.told_hash, row.told_state)


class WatchesMixin(StoreBase):
    # -- watches ---------------------------------------------------------------------------

    def watch(self, subscriber: str, tender_id: str, told_hash: str, told_state: str) -> bool:
        """Start watching; False when it was watched already (what it was told stays as it was)."""
        try:
            with self.session() as session, session.begin():
                if session.get(WatchRow, (subscriber, tender_id)) is not None:
                    return False
                session.add(WatchRow(subscriber=subscriber, tender_id=tender_id, created_at=utcnow(),
                                     told_hash=told_hash, told_state=told_state))  # fmt: skip
        except IntegrityError:  # the same click twice at once
            return False
        return True

    def unwatch(self, subscriber: str, tender_id: str) -> bool:
        with self.session() as session, session.begin():
            row = session.get(WatchRow, (subscriber, tender_id))
            if row is None:
                return False
            session.delete(row)
            return True

    def watching(self, subscriber: str, tender_id: str) -> bool:
        with self.session() as session:
            return session.get(WatchRow, (subscriber, tender_id)) is not None

    def watches(self, subscriber: str | None = None) -> list[Watch]:
        """Every watch (of one subscriber if given), oldest first."""
        query = select(WatchRow).order_by(WatchRow.created_at, WatchRow.subscriber, WatchRow.tender_id)
        if subscriber is not None:
            query = query.where(WatchRow.subscriber == subscriber)
        with self.session() as session:
            return [_watch(r) for r in session.scalars(query)]

    def watch_told(self, subscriber: str, tender_id: str, told_hash: str, told_state: str) -> None:
        """Record what the subscriber has now been told (after its message was claimed in the outbox)."""
        with self.session() as session, session.begin():
            row = session.get(WatchRow, (subscriber, tender_id))
            if row is not None:
                row.told_hash, row.told_state, row.told_at = told_hash, told_state, utcnow()

    # -- the calendar feed's key -------------------------------------------------------------

    def calendar_version(self, subscriber: str) -> int:
        with self.session() as session:
            row = session.get(CalendarKeyRow, subscriber)
            return row.version if row is not None else 1

    def revoke_calendar(self, subscriber: str) -> int:
        """Refuse every calendar address given out so far; the new version signs the next one."""
        with self.session() as session, session.begin():
            row = session.get(CalendarKeyRow, subscriber)
            if row is None:
                row = CalendarKeyRow(subscriber=subscriber, version=1)
                session.add(row)
            row.version, row.changed_at = row.version + 1, utcnow()
            return row.version
