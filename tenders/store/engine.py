"""The engine, sessions and migrations (with the lock that lets many processes open a fresh database)."""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK_KEY = 7_242_424_242  # any constant: PostgreSQL advisory lock for migrations
BATCH = 500


class StoreBase:
    """Holds the engine; the concern modules add their queries on top of it."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to call every run, from many processes).

        Parallel tasks open the store at the same moment; without a lock two of them would
        both create the tables of a fresh database, and one would fail.
        """
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def _migration_lock(self) -> Generator[None, None, None]:
        database = make_url(self.url).database
        if make_url(self.url).get_backend_name() != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def new_schema(base_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL schema; returns a URL that works in it (for tests and benchmarks)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base_url}?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    """Drop the schema a ``new_schema`` URL points at, with everything in it."""
    base, _, schema = url.partition("?options=-csearch_path%3D")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
