"""The store: typed tables, Alembic migrations, an idempotent upsert that keeps history.

Everything reads and writes tenders, assessments and deliveries through ``Store``;
nothing else writes SQL. SQLite and PostgreSQL behave the same. One module per concern
(catalogue, outbox, subscribers, ingest, dashboard, statistics); ``Store`` is composed from them so
callers keep one object.
"""

from __future__ import annotations

from tenders.results import Assessed as Assessed
from tenders.results import Listing as Listing
from tenders.results import Verdict as Verdict
from tenders.store.catalogue import UpsertResult as UpsertResult
from tenders.store.composed import Store as Store
from tenders.store.engine import BATCH as BATCH
from tenders.store.engine import MIGRATION_LOCK_KEY as MIGRATION_LOCK_KEY
from tenders.store.engine import MIGRATIONS as MIGRATIONS
from tenders.store.engine import DatabaseUnavailable as DatabaseUnavailable
from tenders.store.engine import drop_schema as drop_schema
from tenders.store.engine import new_schema as new_schema
from tenders.store.ingest import SourceHealth as SourceHealth
from tenders.store.opening import open_store as open_store
from tenders.store.outbox import LISTING_DELAY as LISTING_DELAY
from tenders.store.outbox import LOOKUP_WINDOW as LOOKUP_WINDOW
from tenders.store.outbox import STALE_SENDING as STALE_SENDING
from tenders.store.outbox import TAKE_OVER as TAKE_OVER
from tenders.store.statistics import STATISTICS as STATISTICS
from tenders.store.subscribers import address_hash as address_hash
from tenders.store.tables import DELIVERED as DELIVERED
from tenders.store.tables import Base as Base
from tenders.store.tables import CoordinatorRow as CoordinatorRow
from tenders.store.tables import DeliveryRow as DeliveryRow
from tenders.store.tables import DigestRow as DigestRow
from tenders.store.tables import DocumentRow as DocumentRow
from tenders.store.tables import EnterpriseRow as EnterpriseRow
from tenders.store.tables import FeedbackRow as FeedbackRow
from tenders.store.tables import NationalContractRow as NationalContractRow
from tenders.store.tables import NationalProcurementRow as NationalProcurementRow
from tenders.store.tables import NationalValueRow as NationalValueRow
from tenders.store.tables import PipelineRunRow as PipelineRunRow
from tenders.store.tables import ReportMailingRow as ReportMailingRow
from tenders.store.tables import SourceRunRow as SourceRunRow
from tenders.store.tables import SubscriberRow as SubscriberRow
from tenders.store.tables import SuppressionRow as SuppressionRow
from tenders.store.tables import TenderHistoryRow as TenderHistoryRow
from tenders.store.tables import TenderRow as TenderRow
from tenders.store.tables import utcnow as utcnow
