"""``Store``: one object over every concern's queries, so call sites hold one thing."""

from __future__ import annotations

from tenders.store.catalogue import CatalogueMixin
from tenders.store.dashboard import DashboardMixin
from tenders.store.guards import GuardsMixin
from tenders.store.ingest import IngestMixin
from tenders.store.outbox import OutboxMixin
from tenders.store.statistics import StatisticsMixin
from tenders.store.subscribers import SubscribersMixin
from tenders.store.watches import WatchesMixin


class Store(
    CatalogueMixin,
    OutboxMixin,
    SubscribersMixin,
    IngestMixin,
    DashboardMixin,
    GuardsMixin,
    StatisticsMixin,
    WatchesMixin,
):
    """The one object callers hold: every concern's queries over one engine."""
