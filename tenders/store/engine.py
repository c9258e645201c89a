"""The engine, sessions and migrations (with the lock that lets many processes open a fresh database)."""

from __future__ import annotations

import fcntl
import functools
import time
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

from tenders.private import private_file
from tenders.redact import redacted

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK_KEY = 7_242_424_242  # any constant: PostgreSQL advisory lock for migrations
BATCH = 500


class StoreBase:
    """Holds the engine; the concern modules add their queries on top of it."""

    def __init__(self, url: str, *, wait: float = 0.0) -> None:
        self.url = url
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                private_file(Path(parsed.database))  # SQLite gives its WAL the database file's mode
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10}
        self.engine: Engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() != "sqlite":
            event.listen(self.engine, "do_connect", functools.partial(_connect_with_retry, url, wait))
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
        with private_file(Path(f"{database}.migrate-lock")).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


class DatabaseUnavailable(Exception):  # ruff: ignore[error-suffix-on-exception-name] - what the operator reads: "database ... unavailable"
    """The database did not answer within the settings' wait; the message names it (password hidden)."""


def _connect_with_retry(url: str, wait: float, dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect, and while the server refuses or is away retry with backoff (0.5 s doubling to 8 s)
    for ``wait`` seconds in all; then one error naming the database and the last answer."""
    deadline = time.monotonic() + wait
    pause = 0.5
    while True:
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = " ".join(str(exc).split())
                raise DatabaseUnavailable(
                    f"database {redacted(url)} unavailable (retried for {wait:g} s): {reason}"
                ) from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, 8.0)


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
