"""Who the subscribers are: the operator's list and the confirmed sign-ups, one found by key, and
signing up (double opt-in). Every part of the application that needs subscribers asks here.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from matching.subscriptions import Subscriber, load_subscribers, parse_subscriber
from notifications.messages import confirmation_message
from notifications.senders.configured import for_settings
from tenders.config import Settings
from tenders.store import Store

log = logging.getLogger("tender_radar")

CONFIRMS_PER_ADDRESS = 3  # confirmation emails to one address in 24 hours


def active_subscribers(settings: Settings, store: Store) -> list[Subscriber]:
    """The operator's list (subscribers.yaml) and everyone who signed up and confirmed."""
    listed = load_subscribers(settings.subscribers_file) if settings.subscribers_file.exists() else []
    keys = {s.key for s in listed}
    confirmed = []
    for row in store.signed_up("active"):
        if row.key in keys:
            log.warning("subscriber %s is in both %s and the store; the file wins", row.key, settings.subscribers_file)
            continue
        confirmed.append(parse_subscriber(row.profile, f"stored subscriber {row.key}"))
    return listed + confirmed


def find_subscriber(settings: Settings, store: Store, key: str) -> Subscriber | None:
    """The subscriber with this key: from the operator's list, else signed up (any status)."""
    listed = load_subscribers(settings.subscribers_file) if settings.subscribers_file.exists() else []
    for sub in listed:
        if sub.key == key:
            return sub
    row = store.signed_up_row(key)
    return parse_subscriber(row.profile, row.key) if row is not None else None


def subscribe(settings: Settings, store: Store, profile: dict[str, Any]) -> Subscriber:
    """Sign up (pending) and send the confirmation link: double opt-in, nothing is sent before it.

    For an address that already has a sign-up (active, pending or ended; any case) the new profile
    is kept aside and only the link sent to that address applies it: a stranger cannot take over a
    profile, and the answer does not say whether the address was subscribed.
    """
    subscriber = parse_subscriber(profile, "sign-up")
    if not store.throttle_take("confirm-address", subscriber.email, CONFIRMS_PER_ADDRESS, timedelta(days=1)):
        # Said nowhere but here: the page answers the same, so nobody learns or floods an inbox.
        log.warning("sign-up %s: %d confirmations today already, none sent", subscriber.key, CONFIRMS_PER_ADDRESS)
        return subscriber
    stored = {**profile, "key": subscriber.key}
    if store.signed_up_row(subscriber.key) is None:
        store.sign_up(subscriber.key, subscriber.email, stored)
        message = confirmation_message(settings, subscriber)
    else:  # a subscription (in any case of the address) exists: nothing changes until its owner says so
        message = confirmation_message(
            settings, subscriber, store.propose_sign_up(subscriber.key, subscriber.email, stored)
        )
    for_settings(settings).send(message)
    return subscriber
