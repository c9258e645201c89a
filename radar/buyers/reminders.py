"""Messages around a buyer's notice, through the buyers' outbox, each exactly once.

- To every enterprise interested in a planned procurement: "it is advertised now", as soon
  as the buyer opens it or an advertisement with its Upphandlings-ID is linked to it.
- To every enterprise interested in a notice: "the deadline is in 7 days".
- A buyer's market-dialogue invitation (or request for information) about its notice, to the
  interested enterprises that agreed to be contacted (they shared their contact with it),
  with the buyer as Reply-To.

Each message is claimed once per (kind, enterprise, notice) before it is sent; sending marks
it "sending" first and, after a crash, asks the provider before sending again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from html import escape
from typing import Any

from notifications.digest import one_line
from notifications.readable import when_text
from notifications.senders.base import Message, Sender, SendError
from radar.buyers.interest import enterprise
from radar.buyers.notices import BuyerError, owned
from radar.subscribers import active_subscribers
from radar.watching import queue_watch_messages
from radar.wording import words
from tenders.config import Settings
from tenders.model import Tender
from tenders.store import Store, address_hash, utcnow
from tenders.store.buyers import BuyerOrg, BuyerStore

log = logging.getLogger("tender_radar")
DEADLINE_DAYS = 7
INVITATION_MAX = 5000
# Dialogue invitations per planned notice: enough for a market dialogue (a meeting, a follow-up, a
# change of date), not a mailing list a buyer's stolen token could turn on the enterprises.
INVITATIONS_PER_NOTICE = 5


def _linked(store: Store, tender: Tender) -> list[Tender]:
    """The other notices of the same procedure (an advertisement linked by its Upphandlings-ID)."""
    out = []
    for listing in store.listings(tender.id):
        if listing.tender_id != tender.id and (other := store.get(listing.tender_id)) is not None:
            out.append(other)
    return out


def advertisement(store: Store, tender: Tender) -> Tender | None:
    """The advertised form of a planned procurement: itself once opened, or a linked competition notice."""
    if tender.status == "open" and tender.notice_type == "competition":
        return tender
    linked = [t for t in _linked(store, tender) if t.notice_type == "competition" and t.status != "withdrawn"]
    return linked[-1] if linked else None


def deadline_of(store: Store, tender: Tender) -> str | None:
    """The deadline as the procedure stands: an advertisement or change notice linked to it may move it."""
    later = [t.deadline for t in _linked(store, tender) if t.notice_type in ("competition", "change") and t.deadline]
    return later[-1] if later else tender.deadline


def queue_reminders(settings: Settings, store: Store, now: datetime | None = None) -> dict[str, int]:
    """Claim every reminder due now; each (kind, enterprise, notice) only once, ever."""
    today = (now or utcnow()).date()
    buyers = BuyerStore(store)
    counts = {"advertised": 0, "deadline": 0}
    people: dict[str, Any] = {}
    languages = _languages(settings, store)
    for notice in buyers.notices():
        if notice.status == "withdrawn":
            continue
        tender = store.get(notice.tender_id)
        interested = buyers.interest(notice.tender_id) if tender else []
        if tender is None or not interested:
            continue
        advertised = advertisement(store, tender) if _was_planned(store, tender) else None
        deadline = deadline_of(store, tender)
        days = _days_left(deadline, today)
        for row in interested:
            if row.subscriber not in people:
                people[row.subscriber] = enterprise(settings, store, row.subscriber)
            who = people[row.subscriber]
            if who is None:  # unsubscribed since: no more mail
                continue
            language = languages.get(row.subscriber, "sv")
            if advertised is not None and (days is None or days >= 0):  # never about a deadline gone by
                counts["advertised"] += _queue(settings, buyers, "advertised", row.subscriber, who, tender, language,
                                               link=advertised.url, deadline=deadline)  # fmt: skip
            if days is not None and 0 <= days <= DEADLINE_DAYS:
                counts["deadline"] += _queue(settings, buyers, "deadline", row.subscriber, who, tender, language,
                                             deadline=deadline, days=days)  # fmt: skip
    return counts


def _was_planned(store: Store, tender: Tender) -> bool:
    """A planned procurement, now or before the buyer opened it."""
    if tender.status == "planned":
        return True
    return any(version["data"].get("status") == "planned" for version in store.history(tender.id))


def _days_left(deadline: str | None, today: date) -> int | None:
    if not deadline:
        return None
    try:
        return (date.fromisoformat(deadline[:10]) - today).days
    except ValueError:
        return None


def _languages(settings: Settings, store: Store) -> dict[str, str]:
    from radar.subscribers import active_subscribers

    return {s.key: s.language for s in active_subscribers(settings, store)}


def _queue(settings: Settings, buyers: BuyerStore, kind: str, key: str, who: Any, tender: Tender, language: str, *,
           link: str | None = None, deadline: str | None = None, days: int | None = None,
           text: str = "", reply_to: str | None = None) -> int:  # fmt: skip
    t = words(language)
    values = {
        "title": one_line(tender.title or tender.id),
        "buyer": one_line(tender.buyer_name or ""),
        "org": one_line(who.organisation),
        "deadline": when_text(deadline, language) or t.gettext("not given"),
        "days": days or 0,
        "link": link or f"{settings.base_url}/tenders/{tender.id}?lang={language}",
        "text": text,
    }
    subject, body = _words(kind.split(":", 1)[0], language, values)
    body += "\n\n" + t.gettext("You get this email because %(org)s showed interest in the procurement on "
                                "Social Tender Radar.") % values  # fmt: skip
    queued = buyers.queue_message(kind, key, tender.id, email=who.email, subject=subject, body=body, reply_to=reply_to)
    return 1 if queued else 0


def _words(name: str, language: str, values: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of an ``advertised`` or ``deadline`` reminder or an ``invitation``."""
    t, days = words(language), int(values["days"])
    if name == "advertised":
        subject = t.gettext("Advertised now: %(title)s")
        body = (
            t.gettext("%(buyer)s has now advertised the procurement %(org)s showed interest in:")
            + "\n\n%(title)s\n"
            + t.gettext("Deadline: %(deadline)s")
            + "\n%(link)s"
        )
    elif name == "deadline":
        subject = t.ngettext("Deadline in %(days)d day: %(title)s", "Deadline in %(days)d days: %(title)s", days)
        body = t.ngettext(
            "The deadline for %(title)s (%(buyer)s) is %(deadline)s, in %(days)d day.",
            "The deadline for %(title)s (%(buyer)s) is %(deadline)s, in %(days)d days.",
            days,
        )
        body += "\n%(link)s"
    else:
        subject = t.gettext("Invitation from %(buyer)s: %(title)s")
        body = (
            t.gettext("%(buyer)s invites you to a dialogue about the planned procurement %(title)s:")
            + "\n\n%(text)s\n\n"
            + t.gettext("Reply to this email to reach %(buyer)s.")
            + "\n%(link)s"
        )
    return subject % values, body % values  # fmt: skip


def invite(settings: Settings, store: Store, org: BuyerOrg, tender_id: str, text: str, actor: str) -> int:
    """Queue a dialogue invitation about the organisation's notice to the enterprises that agreed to be
    contacted; returns how many. Raises BuyerError for a notice not its own, no text, or no Reply-To."""
    tender = owned(store, org, tender_id)
    if tender.status != "planned":  # market dialogue comes before the call: once it is open, all bidders hear the same
        raise BuyerError("a dialogue invitation is only for a planned procurement, not an advertised or withdrawn one")
    text = text.strip()
    if not text:
        raise BuyerError("the invitation needs a text")
    if len(text) > INVITATION_MAX:
        raise BuyerError(f"the invitation takes at most {INVITATION_MAX} characters")
    if not org.contact_email:
        raise BuyerError(f"{org.name} has no contact address for replies (tender-radar buyer add ... --email)")
    buyers = BuyerStore(store)
    number = buyers.claim_invitation(tender.id, actor, INVITATIONS_PER_NOTICE)
    if number is None:
        raise BuyerError(f"a planned procurement takes at most {INVITATIONS_PER_NOTICE} dialogue invitations; "
                         f"{INVITATIONS_PER_NOTICE} have been sent about this one")  # fmt: skip
    kind = f"invitation:{number}"  # claimed by this post alone: (kind, enterprise, notice) goes out once
    sent = 0
    languages = _languages(settings, store)
    for row in buyers.interest(tender.id):
        who = enterprise(settings, store, row.subscriber) if row.share_contact else None
        if who is None:
            continue
        language = languages.get(row.subscriber, "sv")
        sent += _queue(settings, buyers, kind, row.subscriber, who, tender, language, text=text,
                       reply_to=org.contact_email)  # fmt: skip
    buyers.audit(actor, org.org_number, "invite", tender.id, {"number": number, "recipients": sent})
    return sent


def send_buyer_messages(
    settings: Settings, store: Store, sender: Sender, now: datetime | None = None
) -> dict[str, Any]:
    """Send every queued reminder and invitation exactly once (suppressed addresses get nothing)."""
    buyers = BuyerStore(store)
    blocked = store.suppressed()
    sent = failed = recovered = suppressed = 0
    errors: list[str] = []
    for row in buyers.due_messages(now):
        if blocked.get(row.email.lower()) or blocked.get(address_hash(row.email)):
            buyers.mark_message(row.id, "suppressed", error="the address is suppressed")
            suppressed += 1
            continue
        try:
            if row.attempts and (ref := sender.find(row.id)):
                buyers.mark_message(row.id, "sent", provider_ref=ref)
                recovered += 1
                continue
            message = Message(
                key=row.id, to=row.email, subject=row.subject, text=row.body,
                html="<p>" + escape(row.body).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>",
                from_email=settings.from_email, from_name=settings.from_name,
                categories=(row.kind.split(":", 1)[0],), reply_to=row.reply_to,
            )  # fmt: skip
            buyers.begin_message(row.id)
            ref = sender.send(message)
        except SendError as exc:
            failed += 1
            errors.append(f"message {row.id} to {row.subscriber}: {exc}")
            buyers.mark_message(row.id, "failed" if exc.retryable else "held", error=str(exc))
            log.error("buyer message failed: %s", exc)
            continue
        buyers.mark_message(row.id, "sent", provider_ref=ref)
        sent += 1
    return {"sent": sent, "failed": failed, "recovered": recovered, "suppressed": suppressed, "errors": errors}


def remind(settings: Settings, store: Store, sender: Sender) -> dict[str, Any]:
    """The step the pipeline runs after the digests: claim what is due (the buyers' reminders and the
    watched tenders' messages, ``radar.watching``), then send the outbox."""
    watched = queue_watch_messages(settings, store, active_subscribers(settings, store))
    return {**queue_reminders(settings, store), **watched, **send_buyer_messages(settings, store, sender)}
