"""Sending the digests that are due, exactly once: never twice, never lost.

Each digest is taken for a run by a compare-and-set in the store (``Store.claim_digest``), so
two runs at once never both send it. A digest that may already be at the provider (a run died
after calling it, or its answer was lost or was an error that can follow acceptance) is looked
up before it is sent again; "not there" is trusted only once the provider lists messages
(``LISTING_DELAY``). A lookup that cannot answer is retried on later runs for ``LOOKUP_WINDOW``;
then the digest is "unknown": shown by ``tender-radar status`` and an operator alert, never sent
again silently, never dropped. A recipient the mail server refuses for good is suppressed and
the operator told; the others keep their copy.

Every acceptance is journalled on this machine (fsync'd) before the store records it, and the
journal is read before any digest is sent or looked up (``notifications.senders.journal``): a
store that fails right after the provider accepted causes no resend, also over SMTP, which
cannot be asked. A provider that does not answer within its timeout ends the sending for this
run: the digests after it stay queued for the next run (``deferred``), so a silent provider
costs one timeout a run, not one a digest.

A tender whose deadline has passed by the time its digest is sent is left out of it (a daily
digest waits for its hour); a digest left with nothing is not sent. Only the demo's setting
``TENDER_RADAR_INCLUDE_EXPIRED`` lets such tenders through, and the digest marks each one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matching.subscriptions import Subscriber
from notifications.alerts import send_alert
from notifications.digest import render_digest, still_open
from notifications.messages import digest_links, digest_message, unsubscribe_url
from notifications.senders.base import LookupUnavailableError, PartlyRefusedError, Sender, SendError
from notifications.senders.journal import AcceptanceJournal, JournalledSender
from tenders.config import Settings
from tenders.store import LOOKUP_WINDOW, Store, utcnow
from tenders.store.records import Digest

log = logging.getLogger("tender_radar")


@dataclass
class _Run:
    sent: int = 0
    failed: int = 0  # not taken, retried at the next run
    held: int = 0  # refused in a way a retry cannot fix: kept for an operator (status --release-held)
    recovered: int = 0
    suppressed: int = 0
    unsure: int = 0
    unknown: int = 0
    partial: int = 0
    expired: int = 0  # digests not sent: every tender in them had passed its deadline
    taken_elsewhere: int = 0
    deferred: int = 0  # due, left queued for the next run: the provider stopped answering or asked for a pause
    resent: int = 0  # may have been at the provider and sent again (same Message-ID): perhaps twice
    errors: list[str] = field(default_factory=list)
    operator: list[str] = field(default_factory=list)  # what an operator must hear about
    lookups_paused: bool = False
    sending_paused: bool = False
    paused_by: str = ""  # why sending stopped, for the run's summary


def send_due(
    store: Store, subscribers: list[Subscriber], sender: Sender, settings: Settings, *, now: datetime | None = None
) -> dict[str, Any]:
    """Send every digest whose time has come, exactly once (see the module's docstring)."""
    by_key = {s.key: s for s in subscribers}
    run = _Run()
    if not isinstance(sender, JournalledSender):
        sender = JournalledSender(sender, AcceptanceJournal(settings.journal_file))
    suppressed_why = store.suppression_check()
    due = store.due_digests(now)
    for position, digest in enumerate(due):
        if run.sending_paused:  # the provider asked for a pause or stopped answering: the rest waits
            run.deferred = len(due) - position
            run.errors.append(f"{run.deferred} digest(s) left queued for the next run: {sender.name} {run.paused_by}")
            break
        subscriber = by_key.get(digest.subscriber)
        if subscriber is None:  # removed from the subscribers since it was queued: keep it, send nothing
            continue
        maybe_there = digest.status in ("unsure", "sending")
        if maybe_there and run.lookups_paused:
            continue
        addresses = [a.strip() for a in digest.email.split(",") if a.strip()]
        reasons = {a: suppressed_why(a) for a in addresses}
        to = ", ".join(a for a in addresses if not reasons[a])
        if not to and not maybe_there:  # every address unsubscribed, bounced, refused or erased
            store.mark_suppressed(digest.id, "; ".join(sorted({r for r in reasons.values() if r})))
            run.suppressed += 1
            continue
        if not store.claim_digest(digest.id, digest.status, now):
            run.taken_elsewhere += 1  # another run has it (or it changed since we looked)
            continue
        if maybe_there and _found_at_provider(store, sender, digest, run, now):
            continue
        if not to:
            store.mark_suppressed(digest.id, "; ".join(sorted({r for r in reasons.values() if r})))
            run.suppressed += 1
            continue
        sent_before = run.sent
        _send_one(store, sender, settings, subscriber, digest, to, run, now)
        if maybe_there and run.sent > sent_before:  # not found (SMTP cannot tell): sent again, same Message-ID
            run.resent += 1
            log.warning("digest %s may have arrived already: sent again with the same Message-ID", digest.id)
    if run.operator:
        send_alert(f"{len(run.operator)} digest(s) need a look", "\n".join(run.operator), settings)
    return {
        "sent": run.sent,
        "failed": run.failed,
        "held": run.held,
        "recovered": run.recovered,
        "suppressed": run.suppressed,
        "unsure": run.unsure,
        "unknown": run.unknown,
        "partial": run.partial,
        "expired": run.expired,
        "taken_elsewhere": run.taken_elsewhere,
        "deferred": run.deferred,
        "resent": run.resent,
        "errors": run.errors,
        "sender": sender.name,
    }


def _found_at_provider(store: Store, sender: Sender, digest: Digest, run: _Run, now: datetime | None) -> bool:
    """Ask the provider about a digest that may be there. True when the question is settled for this run
    (found and recorded, or left unsure or unknown); False when it is certainly not there: send it."""
    since = digest.unsure_since or digest.attempted_at or utcnow()
    try:
        ref = sender.find(digest.id)
    except LookupUnavailableError as exc:
        run.lookups_paused = run.lookups_paused or exc.rate_limited or exc.timed_out
        if exc.permanent or (now or utcnow()) - since >= LOOKUP_WINDOW:
            store.digest_unknown(digest.id, f"cannot tell whether the provider has it: {exc}")
            run.unknown += 1
            run.operator.append(
                f"digest {digest.id} to {digest.subscriber}: unknown whether it was sent ({exc}). It is not sent"
                " again by itself: check the provider's activity log, then `tender-radar status --unknown-sent`"
                " or `--resend-unknown`."
            )
        else:
            store.digest_unsure(digest.id, f"lookup failed, asked again next run: {exc}")
            run.unsure += 1
        log.warning("lookup of digest %s: %s", digest.id, exc)
        return True
    if ref:
        store.mark_digest(digest.id, sent=True, provider_ref=ref)
        run.recovered += 1
        return True
    return False


def _send_one(
    store: Store,
    sender: Sender,
    settings: Settings,
    subscriber: Subscriber,
    digest: Digest,
    to: str,
    run: _Run,
    now: datetime | None,
) -> None:
    today = (now or utcnow()).date()
    items = store.assessed_by_ids(digest.tender_ids)
    if not settings.include_expired:
        items = still_open(items, today)
        if not items:
            store.mark_suppressed(digest.id, "not sent: the deadline of every tender in it has passed")
            run.expired += 1
            return
    try:
        unsubscribe = unsubscribe_url(settings, subscriber.key)
        rendered = render_digest(
            subscriber,
            items,
            unsubscribe,
            updated=frozenset(digest.updated_ids or ()),
            today=today,
            links=digest_links(settings, subscriber.key),
            max_items=settings.digest_max,
        )
        message = digest_message(settings, digest.id, to, rendered, unsubscribe)
        ref = sender.send(message)
    except PartlyRefusedError as refused:
        _partly_refused(store, digest, to, refused, run)
        return
    except SendError as exc:
        run.errors.append(f"digest {digest.id} to {digest.subscriber}: {exc}")
        run.sending_paused = exc.rate_limited or exc.timed_out
        if run.sending_paused:
            run.paused_by = "did not answer in time" if exc.timed_out else "asked for a pause (rate limit)"
        store.mark_digest(digest.id, sent=False, error=str(exc), retryable=exc.retryable, maybe_sent=exc.maybe_sent)
        if exc.maybe_sent:
            run.unsure += 1
        elif exc.retryable:
            run.failed += 1
        else:
            run.held += 1
        if not exc.retryable:
            run.operator.append(f"digest {digest.id} to {digest.subscriber} is held: {exc}")
        log.error("send failed: %s", exc)
        return
    except Exception as exc:  # no digest may be left "sending" for ever
        # Unplanned: the provider may or may not have it. Held for an operator, not retried blindly.
        run.held += 1
        run.errors.append(f"digest {digest.id} to {digest.subscriber}: unexpected {type(exc).__name__}: {exc}")
        store.mark_digest(digest.id, sent=False, error=f"{type(exc).__name__}: {exc}", retryable=False)
        run.operator.append(f"digest {digest.id} to {digest.subscriber} is held: unexpected {type(exc).__name__}")
        log.exception("send failed unexpectedly for digest %s", digest.id)
        return
    store.mark_digest(digest.id, sent=True, provider_ref=ref)
    run.sent += 1


def _partly_refused(store: Store, digest: Digest, to: str, refused: PartlyRefusedError, run: _Run) -> None:
    """Suppress the addresses refused for good and tell the operator; only those refused for now get it again."""
    for address, (code, text) in refused.permanent().items():
        store.suppress(address, "refused", f"{code} {text}")
        run.operator.append(f"{address} refused by the mail server ({code} {text}): suppressed, digest {digest.id}")
    accepted = [a for a in (x.strip() for x in to.split(",")) if a and a not in refused.refused]
    again = ", ".join(refused.temporary())
    run.errors.append(f"digest {digest.id} to {digest.subscriber}: {refused}")
    if refused.reference is None:  # nobody took it
        if again:
            store.digest_partly_refused(digest.id, None, f"nobody took it: {refused}", retry_to=again)
            run.failed += 1
        else:  # refused for good everywhere: held, not tried at every run
            store.mark_digest(digest.id, sent=False, error=f"every recipient refused: {refused}", retryable=False)
            run.held += 1
            run.operator.append(f"digest {digest.id} to {digest.subscriber} is held: every recipient refused")
        return
    note = f"delivered to {', '.join(accepted)}; {refused}"
    store.digest_partly_refused(digest.id, refused.reference, note, retry_to=again or None)
    run.partial += 1
