"""A subscriber watches a tender, from any source: reminders 7 days and 1 day before its deadline,
and a word when it changes (a change notice or corrigendum linked to the procedure, a buyer's edit,
a new deadline), is withdrawn or is awarded. Each once, through the buyers' outbox, which claims
(kind, subscriber, tender) before anything is sent; ``radar.buyers.reminders.remind`` runs it.

The calendar feed (RFC 5545) holds the watched deadlines and the planned advertising dates of
watched planned procurements.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from icalendar import Calendar, Event

from matching.subscriptions import Subscriber
from notifications.digest import one_line
from notifications.readable import buyer_name, when_text
from notifications.tokens import feedback_token
from radar.wording import words
from tenders import clock
from tenders.config import Settings
from tenders.results import Assessed
from tenders.store import Store
from tenders.store.buyers import BuyerStore

REMINDERS = (("7d", 7, 2), ("1d", 1, 0))  # (kind, days before, the fewest days left it is still sent at)


class WatchError(ValueError):
    """A tender that cannot be watched: unknown, or not a subscriber."""


@dataclass(frozen=True, slots=True)
class Standing:
    """A procedure as it stands now: its hash (any change to it changes this) and its state."""

    item: Assessed
    digest: str
    state: str  # open | withdrawn | awarded


def standing(store: Store, tender_id: str) -> Standing | None:
    """The watched tender as its procedure stands: the deadline a linked notice moved, its notices."""
    found = store.assessed_by_ids([tender_id])
    if not found:
        return None
    item = found[0]
    listings = store.listings(tender_id)
    notices = ",".join(sorted(f"{x.tender_id}:{x.notice_type}" for x in listings))
    digest = hashlib.sha256(f"{item.content_hash}|{item.tender.deadline}|{notices}".encode()).hexdigest()
    others = (store.get(x.tender_id) for x in listings if x.tender_id != tender_id)
    if item.tender.status == "withdrawn" or any(o is not None and o.status == "withdrawn" for o in others):
        state = "withdrawn"
    elif item.tender.notice_type == "result" or any(x.notice_type == "result" for x in listings):
        state = "awarded"
    else:
        state = "open"
    return Standing(item, digest, state)


def watch(store: Store, key: str, tender_id: str) -> bool:
    """Start watching as the tender stands now; False if watched already. WatchError if unknown."""
    now = standing(store, tender_id)
    if now is None:
        raise WatchError("no such tender")
    return store.watch(key, tender_id, now.digest, now.state)


def queue_watch_messages(settings: Settings, store: Store, subscribers: list[Subscriber],
                         now: datetime | None = None) -> dict[str, int]:  # fmt: skip
    """Claim every watch message due now, each (kind, subscriber, tender) once, ever; a changed
    watched tender the subscriber had in a digest also goes into its next digest as changed."""
    now = now or clock.utcnow()
    today = now.date()
    people = {s.key: s for s in subscribers}
    buyers = BuyerStore(store)
    counts = {"watch_reminders": 0, "watch_changes": 0}
    for w in store.watches():
        who = people.get(w.subscriber)
        if who is None or w.told_state != "open":  # unsubscribed, or told it is over
            continue
        now_ = standing(store, w.tender_id)
        if now_ is None:
            continue
        if now_.state != "open":
            counts["watch_changes"] += _queue(settings, buyers, now_.state, who, now_.item)
            store.watch_told(w.subscriber, w.tender_id, now_.digest, now_.state)
            continue
        if now_.digest != w.told_hash:
            counts["watch_changes"] += _queue(settings, buyers, f"changed:{now_.digest[:16]}", who, now_.item)
            store.watch_told(w.subscriber, w.tender_id, now_.digest, now_.state)
            _into_digest(store, who, now_.item, now)
        deadline = now_.item.tender.deadline
        days = _days_left(deadline, today)
        interested = buyers.interest_of(w.tender_id, w.subscriber) is not None  # told 7 days before already
        for kind, before, fewest in REMINDERS:
            if kind == "7d" and interested:
                continue
            if deadline and days is not None and fewest <= days <= before:
                counts["watch_reminders"] += _queue(settings, buyers, f"{kind}:{deadline[:10]}", who, now_.item,
                                                    days=days)  # fmt: skip
    return counts


def _into_digest(store: Store, who: Subscriber, item: Assessed, now: datetime) -> None:
    """A watched tender that changed is never silently dropped from the digest: if the subscriber
    had it in one, its next digest shows it as changed even when its profile no longer matches it
    (a tender the matching step queued already is claimed at this hash, and nothing is added)."""
    if item.tender.id in store.delivered(who.key):
        store.queue_digest(who.key, who.addresses, who.language, [item], who.next_slot(now))


def _days_left(deadline: str | None, today: date) -> int | None:
    try:
        return (date.fromisoformat(deadline[:10]) - today).days if deadline else None
    except ValueError:
        return None


def _queue(settings: Settings, buyers: BuyerStore, kind: str, who: Subscriber, item: Assessed, *,
           days: int | None = None) -> int:  # fmt: skip
    language = who.language
    t = words(language)
    tender = item.tender
    base = settings.base_url.rstrip("/")
    stop = feedback_token(settings.secret_key(), who.key)
    values: dict[str, Any] = {
        "title": one_line(tender.title or tender.id),
        "buyer": one_line(buyer_name(tender) or "") or t.gettext("buyer not given"),
        "org": one_line(who.organisation),
        "deadline": when_text(tender.deadline, language) or t.gettext("not given"),
        "link": f"{base}/tenders/{tender.id}?lang={language}",
        "stop": f"{base}/watch?" + urlencode({"token": stop, "tender": tender.id, "lang": language}),
    }
    subject, body = _words(kind.split(":", 1)[0], language, values, days or 0)
    body += "\n\n" + t.gettext("You get this email because %(org)s watches the procurement on Social Tender Radar. "
                                "Stop watching: %(stop)s") % values  # fmt: skip
    queued = buyers.queue_message(f"watch-{kind}", who.key, tender.id, email=who.addresses, subject=subject, body=body)
    return 1 if queued else 0


def _words(name: str, language: str, values: dict[str, Any], days: int) -> tuple[str, str]:
    """A watch message's subject and body: a reminder (``7d``, ``1d``), ``changed``, ``withdrawn`` or ``awarded``."""
    t = words(language)
    if name in ("7d", "1d"):
        subject = (t.ngettext("Deadline in %(days)d day: %(title)s", "Deadline in %(days)d days: %(title)s", days)
                   if name == "7d" else t.gettext("Deadline tomorrow: %(title)s"))  # fmt: skip
        body = t.gettext("The deadline for %(title)s (%(buyer)s) is %(deadline)s.")
    elif name == "changed":
        subject = t.gettext("Changed: %(title)s")
        body = (
            t.gettext(
                "The procurement %(title)s (%(buyer)s) that %(org)s watches has changed: a change notice, "
                "a corrigendum or the buyer's own edit."
            )
            + "\n"
            + t.gettext("Deadline: %(deadline)s")
        )
    elif name == "withdrawn":
        subject = t.gettext("Withdrawn: %(title)s")
        body = t.gettext("The procurement %(title)s (%(buyer)s) that %(org)s watches has been withdrawn.")
    else:
        subject = t.gettext("Awarded: %(title)s")
        body = t.gettext("The procurement %(title)s (%(buyer)s) that %(org)s watches has been awarded.")
    filled = {**values, "days": days}
    return subject % filled, body % filled + "\n" + str(values["link"])


# -- the calendar feed -----------------------------------------------------------------------------


def calendar_feed(settings: Settings, store: Store, key: str, organisation: str, language: str) -> bytes:
    """The subscriber's watched deadlines and planned advertising dates, as an iCalendar file."""
    t = words(language)
    base = settings.base_url.rstrip("/")
    cal = Calendar()
    cal.add("prodid", "-//Social Tender Radar//watched tenders//" + language.upper())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", t.gettext("Watched tenders – %(org)s") % {"org": one_line(organisation)})
    stamp = clock.aware_utcnow().replace(microsecond=0)
    host = base.split("://", 1)[-1].split("/", 1)[0] or "social-tender-radar"
    for w in store.watches(key):
        now = standing(store, w.tender_id)
        if now is None or now.state == "withdrawn":
            continue
        tender = now.item.tender
        title = one_line(tender.title or tender.id)
        link = f"{base}/tenders/{tender.id}?lang={language}"
        dates = [("deadline", tender.deadline, t.gettext("Deadline: %(title)s"))]
        if tender.status == "planned":
            dates.append(("planned", tender.expected_publication, t.gettext("Expected to be advertised: %(title)s")))
        for what, when, summary in dates:
            if not when or (start := _when(when)) is None:
                continue
            event = Event()
            uid = hashlib.sha256(f"{key}|{tender.id}|{what}".encode()).hexdigest()[:32]
            event.add("uid", f"{uid}@{host}")
            event.add("dtstamp", stamp)
            event.add("summary", summary % {"title": title})
            event.add("url", link)
            event.add("description", f"{tender.buyer_name or ''}\n{link}".strip())
            event.add("dtstart", start)
            if not isinstance(start, datetime):  # an instant needs no end (RFC 5545 3.6.1); a day ends the next
                event.add("dtend", start + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    return bytes(cal.to_ical())


def _when(value: str) -> date | datetime | None:
    """A day (an all-day event) or, when the notice gives the hour, that instant."""
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.date()  # UTC needs no VTIMEZONE
