"""The open tenders' search (``/tenders``, issue 27 item 1): a full-text index of each tender's
title, description and buyer name, kept in step by the database itself, so that no Python write
path has to remember it; and indexes for the list's two orders and its sector filter.

SQLite: an FTS5 table over a view of ``tenders`` (external content, so the text is not stored
twice), written by triggers on insert, update and delete; existing rows by FTS5's ``rebuild``.
PostgreSQL: a generated ``tsvector`` column (the Swedish and the English configuration, so both
"skolor" and "schools" find their stems) with a GIN index; ``sectors`` as ``jsonb`` in a GIN index.

Revision ID: 0020_search
Revises: 0019_watches
"""

from alembic import op

revision = "0020_search"
down_revision = "0019_watches"

# A procedure's head (no other notice stands for it), as tenders.store.search.HEADS says it: SQLite
# has no statistics, so a plain "canonical_id IS NULL" sent its planner to ix_tenders_canonical_id
# (an equality lookup, taken for a few rows) and a sort of every head.
HEADS = {"postgresql": "canonical_id IS NULL", "sqlite": "coalesce(canonical_id, '') = ''"}
OPEN = "{heads} AND notice_type IN ('competition', 'other')"  # tenders.store.search.OPEN_SQL
PLANNED = "{heads} AND notice_type = 'planning'"  # tenders.store.search.PLANNED_SQL
LIST_INDEXES = {
    "ix_tenders_open_score": f"(score DESC, id) WHERE {OPEN}",
    "ix_tenders_open_deadline": f"((coalesce(deadline, '9999-12-31')), id) WHERE {OPEN}",
    "ix_tenders_planned_score": f"(score DESC, id) WHERE {PLANNED}",
}


def _text(row: str) -> tuple[str, str]:
    """(title, body) of a tender row (``new`` or ``old`` in a trigger) as the index reads them."""
    return (f"coalesce({row}.title, '')",
            f"coalesce(json_extract({row}.data, '$.description'), '') || ' ' || "
            f"coalesce(json_extract({row}.data, '$.buyer_name'), '')")  # fmt: skip


def _sqlite_upgrade() -> None:
    title, body = _text("tenders")
    op.execute(f"CREATE VIEW tender_search_text (rid, title, body) AS SELECT rowid, {title}, {body} FROM tenders")
    op.execute("CREATE VIRTUAL TABLE tender_search USING fts5(title, body, content='tender_search_text', "
               "content_rowid='rid', tokenize='unicode61 remove_diacritics 0')")  # fmt: skip
    new_title, new_body = _text("new")
    old_title, old_body = _text("old")
    add = f"INSERT INTO tender_search (rowid, title, body) VALUES (new.rowid, {new_title}, {new_body});"
    drop = (f"INSERT INTO tender_search (tender_search, rowid, title, body) "
            f"VALUES ('delete', old.rowid, {old_title}, {old_body});")  # fmt: skip
    op.execute(f"CREATE TRIGGER tender_search_insert AFTER INSERT ON tenders BEGIN {add} END")
    op.execute(f"CREATE TRIGGER tender_search_delete AFTER DELETE ON tenders BEGIN {drop} END")
    op.execute(f"CREATE TRIGGER tender_search_update AFTER UPDATE OF title, data ON tenders BEGIN {drop} {add} END")
    op.execute("INSERT INTO tender_search (tender_search) VALUES ('rebuild')")


def _postgresql_upgrade() -> None:
    text = ("coalesce(title, '') || ' ' || coalesce(data ->> 'description', '') || ' ' || "
            "coalesce(data ->> 'buyer_name', '')")  # fmt: skip
    both = f"to_tsvector('swedish'::regconfig, {text}) || to_tsvector('english'::regconfig, {text})"
    op.execute(f"ALTER TABLE tenders ADD COLUMN search tsvector GENERATED ALWAYS AS ({both}) STORED")
    op.execute("CREATE INDEX ix_tenders_search ON tenders USING gin (search)")
    op.execute("CREATE INDEX ix_tenders_sectors ON tenders USING gin ((sectors::jsonb) jsonb_path_ops)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()
    heads = HEADS["postgresql" if op.get_bind().dialect.name == "postgresql" else "sqlite"]
    for name, columns in LIST_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON tenders {columns.format(heads=heads)}")


def downgrade() -> None:
    for name in LIST_INDEXES:
        op.execute(f"DROP INDEX {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tenders_sectors")
        op.execute("DROP INDEX ix_tenders_search")
        op.execute("ALTER TABLE tenders DROP COLUMN search")
        return
    for trigger in ("tender_search_update", "tender_search_delete", "tender_search_insert"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE tender_search")
    op.execute("DROP VIEW tender_search_text")
