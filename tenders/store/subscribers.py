"""Subscribers who signed up themselves: consent, their own data, erasure, and suppressed addresses."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from tenders.store.engine import StoreBase
from tenders.store.records import SignUp, SignUpProposal, record
from tenders.store.tables import DeliveryRow, DigestRow, SignUpProposalRow, SubscriberRow, SuppressionRow, utcnow

PROPOSAL_VALID = timedelta(days=7)  # as long as a confirmation link works


class SubscribersMixin(StoreBase):
    # -- sign-ups ------------------------------------------------------------------------

    def sign_up(self, key: str, email: str, profile: dict[str, Any]) -> None:
        """A new (or renewed) sign-up, pending until its confirmation link is used."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                session.add(SubscriberRow(key=key, email=email, profile=profile, status="pending", created_at=utcnow()))
            elif row.status != "active":
                row.email, row.profile, row.status, row.unsubscribed_at = email, profile, "pending", None
            else:
                row.profile = profile

    def update_profile(self, key: str, profile: dict[str, Any]) -> bool:
        """A subscriber's own changes; the address and the consent stay as they were."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                return False
            row.profile = {**profile, "key": key}
            return True

    def confirm(self, key: str, ip: str | None) -> bool:
        """Record the confirmation (time and IP, the proof of consent); False if there is no such sign-up."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is None:
                return False
            if row.status != "active":
                row.status, row.confirmed_at, row.confirmed_ip = "active", utcnow(), ip
            return True

    def end_subscription(self, key: str) -> None:
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            if row is not None and row.status != "unsubscribed":
                row.status, row.unsubscribed_at = "unsubscribed", utcnow()

    def signed_up(self, status: str | None = None) -> list[SignUp]:
        with self.session() as session:
            query = select(SubscriberRow).order_by(SubscriberRow.created_at)
            if status:
                query = query.where(SubscriberRow.status == status)
            return [record(SignUp, row) for row in session.scalars(query)]

    def subscriber_data(self, key: str) -> dict[str, Any]:
        """Everything kept about one subscriber, for a data-access request."""
        with self.session() as session:
            row = session.get(SubscriberRow, key)
            digests = session.scalars(
                select(DigestRow).where(DigestRow.subscriber == key).order_by(DigestRow.created_at)
            )
            deliveries = session.scalars(select(DeliveryRow).where(DeliveryRow.subscriber == key))
            return {
                "key": key,
                "sign_up": None if row is None else {
                    "email": row.email, "profile": row.profile, "status": row.status,
                    "created_at": _iso(row.created_at), "confirmed_at": _iso(row.confirmed_at),
                    "confirmed_ip": row.confirmed_ip, "unsubscribed_at": _iso(row.unsubscribed_at),
                },
                "digests": [
                    {"id": d.id, "email": d.email, "status": d.status, "created_at": _iso(d.created_at),
                     "sent_at": _iso(d.sent_at), "tender_ids": d.tender_ids}
                    for d in digests
                ],
                "tenders_sent": sorted(d.tender_id for d in deliveries),
            }  # fmt: skip

    def erase_subscriber(self, key: str) -> bool:
        """Delete a subscriber's data; their address stays suppressed, kept only as a hash."""
        with self.session() as session, session.begin():
            row = session.get(SubscriberRow, key)
            addresses = {d.email for d in session.scalars(select(DigestRow).where(DigestRow.subscriber == key))}
            if row is not None:
                addresses.add(row.email)
            session.execute(delete(DeliveryRow).where(DeliveryRow.subscriber == key))
            session.execute(delete(DigestRow).where(DigestRow.subscriber == key))
            session.execute(delete(SubscriberRow).where(SubscriberRow.key == key))
            session.execute(delete(SignUpProposalRow).where(SignUpProposalRow.key == key))
            for address in addresses:
                session.execute(delete(SuppressionRow).where(SuppressionRow.address == address.lower()))
                hashed = address_hash(address)
                if session.get(SuppressionRow, hashed) is None:
                    session.add(SuppressionRow(address=hashed, reason="erased", detail=None, created_at=utcnow()))
            return row is not None or bool(addresses)

    # -- suppressions --------------------------------------------------------------------

    def suppress(self, address: str, reason: str, detail: str | None = None) -> bool:
        """Stop all email to ``address``; False if it was already suppressed (the first reason stays)."""
        with self.session() as session, session.begin():
            if session.get(SuppressionRow, address.strip().lower()) is not None:
                return False
            session.add(
                SuppressionRow(address=address.strip().lower(), reason=reason, detail=detail, created_at=utcnow())
            )
            return True

    def suppressed(self) -> dict[str, str]:
        """Suppressed addresses -> reason. Erased subscribers appear only as ``address_hash``es."""
        with self.session() as session:
            return dict(session.execute(select(SuppressionRow.address, SuppressionRow.reason)).all())

    def suppression_check(self) -> Callable[[str], str | None]:
        """One read of the suppressions; the check it returns gives an address's reason, or None.
        The one place that knows an erased address is kept only as its hash."""
        blocked = self.suppressed()

        def reason(address: str) -> str | None:
            return blocked.get(address.strip().lower()) or blocked.get(address_hash(address))

        return reason

    def is_suppressed(self, address: str) -> str | None:
        return self.suppression_check()(address)

    # -- sign-ups for an address that already has a subscription ------------------------------

    def propose_sign_up(self, key: str, email: str, profile: dict[str, Any]) -> str:
        """Keep a sign-up for an existing subscription aside, changing nothing; returns its id for
        the link sent to the address. Proposals older than ``PROPOSAL_VALID`` are dropped."""
        proposal = secrets.token_urlsafe(24)
        now = utcnow()
        with self.session() as session, session.begin():
            session.execute(delete(SignUpProposalRow).where(SignUpProposalRow.created_at < now - PROPOSAL_VALID))
            session.add(SignUpProposalRow(id=proposal, key=key, email=email, profile=profile, created_at=now))
        return proposal

    def sign_up_proposal(self, proposal: str) -> SignUpProposal | None:
        with self.session() as session:
            row = session.get(SignUpProposalRow, proposal)
            found = None if row is None else record(SignUpProposal, row)
        return found if found is not None and found.created_at >= utcnow() - PROPOSAL_VALID else None

    def apply_sign_up_proposal(self, proposal: str, ip: str | None) -> str | None:
        """The owner of the address confirmed: the proposed profile becomes the subscription (active,
        with this confirmation as the proof of consent). Returns the subscriber key, None if gone."""
        now = utcnow()
        with self.session() as session, session.begin():
            found = session.get(SignUpProposalRow, proposal)
            if found is None or found.created_at < now - PROPOSAL_VALID:
                return None
            row = session.get(SubscriberRow, found.key)
            if row is None:
                row = SubscriberRow(key=found.key, email=found.email, created_at=now)
                session.add(row)
            row.profile = {**found.profile, "email": row.email}  # the address stays as first confirmed
            row.status, row.confirmed_at, row.confirmed_ip, row.unsubscribed_at = "active", now, ip, None
            session.delete(found)
            return found.key

    def signed_up_row(self, key: str) -> SignUp | None:
        """The sign-up with this key, whatever its status."""
        with self.session() as session:
            row = session.get(SubscriberRow, key)
            return None if row is None else record(SignUp, row)


def address_hash(address: str) -> str:
    """How an erased subscriber's address is remembered: enough to refuse it, not to read it."""
    return "sha256:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
