"""The store as the settings name it, migrated: what every command, page and task starts from."""

from __future__ import annotations

from tenders.config import Settings, load_settings
from tenders.store.composed import Store


def open_store(settings: Settings | None = None) -> Store:
    """The configured database, waited for (``TENDER_RADAR_DATABASE_WAIT``) and brought to the newest schema."""
    settings = settings or load_settings()
    store = Store(settings.database_url, wait=settings.database_wait)
    store.migrate()
    return store
