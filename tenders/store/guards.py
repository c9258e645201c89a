"""What the web app remembers to defend itself, in the store so that every worker and a restart
see the same: throttled events (confirmations, sign-ups, failed logins), webhook events already
taken, and login sessions (so that logging out revokes).

Throttled subjects (addresses, client IPs, user names) are stored as SHA-256 hashes: enough to
count them, not to read them back.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from tenders.store.engine import StoreBase
from tenders.store.tables import SessionRow, ThrottleRow, WebhookEventRow, utcnow

WEBHOOK_MEMORY = timedelta(days=2)  # event ids are remembered this long (older timestamps are refused anyway)
THROTTLE_MEMORY = timedelta(days=1)  # no limit looks further back


def subject_hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


class GuardsMixin(StoreBase):
    # -- throttles ---------------------------------------------------------------------------

    def throttle_count(self, kind: str, subject: str, within: timedelta, now: datetime | None = None) -> int:
        """How many ``kind`` events for ``subject`` in the last ``within``."""
        since = (now or utcnow()) - within
        with self.session() as session:
            found = session.scalar(
                select(func.count())
                .select_from(ThrottleRow)
                .where(ThrottleRow.kind == kind, ThrottleRow.subject == subject_hash(subject), ThrottleRow.at >= since)
            )
        return int(found or 0)

    def throttle_note(self, kind: str, subject: str, now: datetime | None = None) -> None:
        """Count one ``kind`` event for ``subject``; events older than a day are dropped on the way."""
        now = now or utcnow()
        with self.session() as session, session.begin():
            session.add(ThrottleRow(kind=kind, subject=subject_hash(subject), at=now))
            session.execute(delete(ThrottleRow).where(ThrottleRow.kind == kind, ThrottleRow.at < now - THROTTLE_MEMORY))

    def throttle_take(self, kind: str, subject: str, limit: int, within: timedelta) -> bool:
        """True (and counted) if ``subject`` had fewer than ``limit`` ``kind`` events in ``within``."""
        if self.throttle_count(kind, subject, within) >= limit:
            return False
        self.throttle_note(kind, subject)
        return True

    def throttle_forget(self, kind: str, subject: str) -> None:
        hashed = subject_hash(subject)
        with self.session() as session, session.begin():
            session.execute(delete(ThrottleRow).where(ThrottleRow.kind == kind, ThrottleRow.subject == hashed))

    # -- webhook events ------------------------------------------------------------------------

    def first_seen_events(self, event_ids: Iterable[str], now: datetime | None = None) -> set[str]:
        """The ids among ``event_ids`` not seen before, now remembered; the rest are replays."""
        now = now or utcnow()
        wanted = {e[:200] for e in event_ids if e}
        if not wanted:
            return set()
        with self.session() as session, session.begin():
            session.execute(delete(WebhookEventRow).where(WebhookEventRow.seen_at < now - WEBHOOK_MEMORY))
            known = set(session.scalars(select(WebhookEventRow.event_id).where(WebhookEventRow.event_id.in_(wanted))))
            new = wanted - known
            session.add_all(WebhookEventRow(event_id=e, seen_at=now) for e in sorted(new))
        return new

    # -- login sessions ------------------------------------------------------------------------

    def open_session(self, username: str, valid_for: timedelta) -> str:
        """A new session for ``username``; returns the random value for the cookie (kept here only hashed)."""
        value = secrets.token_urlsafe(32)
        now = utcnow()
        with self.session() as session, session.begin():
            session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
            session.add(
                SessionRow(id=_session_id(value), username=username, created_at=now, expires_at=now + valid_for)
            )
        return value

    def session_user(self, value: str) -> str | None:
        """The user name of a live session, or None (unknown, logged out, or expired)."""
        with self.session() as session:
            row = session.get(SessionRow, _session_id(value))
        return row.username if row is not None and row.expires_at > utcnow() else None

    def close_session(self, value: str) -> None:
        with self.session() as session, session.begin():
            session.execute(delete(SessionRow).where(SessionRow.id == _session_id(value)))


def _session_id(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
