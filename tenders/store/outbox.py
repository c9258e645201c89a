"""The delivery outbox: which tender went to whom, and digests from queued to sent (exactly once)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from tenders.results import Assessed
from tenders.store.engine import StoreBase
from tenders.store.records import Digest, record
from tenders.store.tables import DELIVERED, DeliveryRow, DigestRow, utcnow

STALE_SENDING = timedelta(minutes=10)  # a digest "sending" this long belongs to a run that died
# Our assumptions, not the provider's promises (see the README's delivery section): SendGrid's Email
# Activity API lists a message some minutes after accepting it, so "not there" is trusted only this
# long after the attempt; a lookup that cannot answer is retried for a day, then left to the operator.
LISTING_DELAY = timedelta(minutes=15)
LOOKUP_WINDOW = timedelta(hours=24)
TAKE_OVER = max(STALE_SENDING, LISTING_DELAY)  # a dead run's digest: stale, and long enough for a lookup


class OutboxMixin(StoreBase):
    # -- deliveries ----------------------------------------------------------------------

    def delivered(self, subscriber: str) -> dict[str, str]:
        """The tenders claimed for this subscriber, with their content hash when claimed."""
        with self.session() as session:
            rows = session.execute(
                select(DeliveryRow.tender_id, DeliveryRow.content_hash).where(DeliveryRow.subscriber == subscriber)
            )
            return {tender_id: digest for tender_id, digest in rows}

    def delivered_all(self) -> dict[str, dict[str, str]]:
        """``delivered`` for every subscriber at once: one query, not one per subscriber."""
        out: dict[str, dict[str, str]] = {}
        with self.session() as session:
            for subscriber, tender_id, digest in session.execute(
                select(DeliveryRow.subscriber, DeliveryRow.tender_id, DeliveryRow.content_hash)
            ):
                out.setdefault(subscriber, {})[tender_id] = digest
        return out

    def delivered_ids(self, subscriber: str) -> set[str]:
        return set(self.delivered(subscriber))

    def queue_digest(
        self,
        subscriber: str,
        email: str,
        language: str,
        items: Sequence[Assessed],
        due_at: datetime | None = None,
    ) -> str | None:
        """Claim these tenders for this subscriber in a digest due at ``due_at`` (None: now).

        One transaction. A tender already claimed by an earlier digest is left out; the
        rest join the subscriber's digest already queued for the same time, or a new one.
        Returns the digest's id, or None when nothing was left to claim.
        """
        now = utcnow()
        with self.session() as session, session.begin():
            claimed = {
                row.tender_id: row
                for row in session.scalars(
                    select(DeliveryRow).where(
                        DeliveryRow.subscriber == subscriber,
                        DeliveryRow.tender_id.in_([i.tender.id for i in items]),
                    )
                )
            }
            unsent = {
                d.id
                for d in session.scalars(
                    select(DigestRow).where(
                        DigestRow.id.in_({row.digest_id for row in claimed.values()}),
                        DigestRow.status.not_in(DELIVERED),
                    )
                )
            }
            fresh: list[Assessed] = []
            changed: list[Assessed] = []
            for item in items:
                row = claimed.get(item.tender.id)
                if row is None:
                    fresh.append(item)
                elif row.content_hash != item.content_hash:
                    row.content_hash = item.content_hash
                    if row.digest_id not in unsent:  # still queued: that digest shows the new content anyway
                        changed.append(item)
            if not fresh and not changed:
                return None
            digest = session.scalars(
                select(DigestRow).where(
                    DigestRow.subscriber == subscriber,
                    DigestRow.status == "queued",
                    DigestRow.due_at == due_at if due_at is not None else DigestRow.due_at.is_(None),
                )
            ).first()
            if digest is None:
                digest = DigestRow(
                    id=str(uuid.uuid4()),
                    subscriber=subscriber,
                    email=email,
                    language=language,
                    tender_ids=[],
                    status="queued",
                    attempts=0,
                    created_at=now,
                    due_at=due_at,
                )
                session.add(digest)
                session.flush()
            digest.tender_ids = [*digest.tender_ids, *(i.tender.id for i in fresh + changed)]
            digest.updated_ids = [*(digest.updated_ids or []), *(i.tender.id for i in changed)]
            for item in changed:
                claimed[item.tender.id].digest_id = digest.id
            for item in fresh:
                session.add(
                    DeliveryRow(
                        subscriber=subscriber,
                        tender_id=item.tender.id,
                        content_hash=item.content_hash,
                        digest_id=digest.id,
                        created_at=now,
                    )
                )
            return digest.id

    def due_digests(self, now: datetime | None = None) -> list[Digest]:
        """Digests whose time has come, failed ones to retry (a failed send is never dropped), ones
        that may be at the provider once a lookup can tell (``LISTING_DELAY``), and ones left
        "sending" by a run that died (``TAKE_OVER``: stale, and old enough for a lookup)."""
        now = now or utcnow()
        with self.session() as session:
            return [
                record(Digest, row)
                for row in session.scalars(
                    select(DigestRow)
                    .where(
                        (DigestRow.status == "failed")
                        | ((DigestRow.status == "queued") & (DigestRow.due_at.is_(None) | (DigestRow.due_at <= now)))
                        | ((DigestRow.status == "sending") & (DigestRow.attempted_at < now - TAKE_OVER))
                        | ((DigestRow.status == "unsure") & (DigestRow.unsure_since <= now - LISTING_DELAY))
                    )
                    .order_by(DigestRow.created_at)
                )
            ]

    # -- delivery state: taking a digest is a compare-and-set -----------------------------------

    def claim_digest(self, digest_id: str, seen: str, now: datetime | None = None) -> bool:
        """Take the digest for this run if it is still as the run saw it; True for the one run that wins.

        One ``UPDATE ... WHERE status = seen`` committed before the provider is asked or called, and
        judged by its row count: of two runs at once (Airflow and ``tender-radar run``, or two
        machines) only one gets the digest, on SQLite and PostgreSQL alike. A digest that may be
        at the provider is taken only once a lookup can be trusted; one left "sending" only once
        its run is stale, and it becomes unsure from that run's attempt.
        """
        now = now or utcnow()
        condition = DigestRow.status == seen
        values: dict[str, Any] = {"status": "sending", "attempted_at": now, "attempts": DigestRow.attempts + 1}
        if seen == "sending":
            condition &= DigestRow.attempted_at < now - TAKE_OVER
            values["unsure_since"] = DigestRow.attempted_at
        elif seen == "unsure":
            condition &= DigestRow.unsure_since <= now - LISTING_DELAY
        elif seen not in ("queued", "failed"):
            return False
        with self.engine.begin() as connection:
            result = connection.execute(update(DigestRow).where(DigestRow.id == digest_id, condition).values(values))
            return int(result.rowcount) == 1

    def digest_unsure(self, digest_id: str, error: str, since: datetime | None = None) -> None:
        """The provider may have it (an answer lost, a lookup that could not tell): ask it before resending."""
        self._set_digest(digest_id, status="unsure", last_error=error, unsure_since=since)

    def digest_unknown(self, digest_id: str, error: str) -> None:
        """Whether the provider has it could not be found out in ``LOOKUP_WINDOW``: the operator decides."""
        self._set_digest(digest_id, status="unknown", last_error=error)

    def digest_partly_refused(self, digest_id: str, provider_ref: str | None, note: str, retry_to: str | None) -> None:
        """Some recipients have it. ``retry_to``: the addresses refused for now, which alone get it again."""
        if retry_to:
            self._set_digest(digest_id, status="failed", email=retry_to, last_error=note, provider_ref=provider_ref)
        else:
            self._set_digest(digest_id, status="partial", last_error=note, provider_ref=provider_ref, sent_at=utcnow())

    def resolve_unknown(self, *, resend: bool) -> int:
        """The operator's answer for every unknown digest: send it again, or it was sent."""
        with self.session() as session, session.begin():
            rows = list(session.scalars(select(DigestRow).where(DigestRow.status == "unknown")))
            for row in rows:
                if resend:
                    row.status = "failed"
                else:
                    row.status, row.sent_at = "sent", utcnow()
            return len(rows)

    def _set_digest(self, digest_id: str, **values: Any) -> None:
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                for name, value in values.items():
                    if value is not None or name == "last_error":
                        setattr(row, name, value)

    def waiting_digests(self) -> list[Digest]:
        """Queued digests not yet due: they wait for their subscriber's time."""
        query = select(DigestRow).where(DigestRow.status == "queued", DigestRow.due_at.is_not(None))
        with self.session() as session:
            return [record(Digest, row) for row in session.scalars(query.order_by(DigestRow.due_at))]

    def mark_digest(
        self,
        digest_id: str,
        *,
        sent: bool,
        provider_ref: str | None = None,
        error: str | None = None,
        retryable: bool = True,
        maybe_sent: bool = False,
    ) -> None:
        """Record the outcome. A failure a retry cannot fix (the provider refused the request
        itself) is held for an operator instead of being retried every hour; one after which the
        provider may have the message is unsure, looked up before it is sent again."""
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is None:
                return
            if sent:
                row.status, row.sent_at, row.provider_ref, row.last_error = "sent", utcnow(), provider_ref, None
            elif maybe_sent:
                row.status, row.last_error, row.unsure_since = "unsure", error, row.attempted_at or utcnow()
            else:
                row.status, row.last_error = ("failed" if retryable else "held"), error

    def release_held(self) -> int:
        """Held digests back to the retry queue (after the cause was fixed)."""
        with self.session() as session, session.begin():
            held = list(session.scalars(select(DigestRow).where(DigestRow.status == "held")))
            for row in held:
                row.status = "failed"
            return len(held)

    def digests(self) -> list[Digest]:
        with self.session() as session:
            return [record(Digest, row) for row in session.scalars(select(DigestRow).order_by(DigestRow.created_at))]

    def mark_suppressed(self, digest_id: str, reason: str) -> None:
        with self.session() as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                row.status, row.last_error = "suppressed", reason
