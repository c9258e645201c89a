"""Alembic environment: migrations run on the connection the Store hands over."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the Store always passes one
    raise RuntimeError("run migrations through tenders.store.Store.migrate()")
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
