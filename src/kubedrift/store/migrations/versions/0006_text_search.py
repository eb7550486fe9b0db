"""Free-text search index (SQLite FTS5 trigram, PostgreSQL pg_trgm) and statistics indexes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The dashboard's search (`FindingQuery.text`) is a case-insensitive substring of a finding's
name, namespace, path or message. A LIKE '%…%' reads every row (263 ms on SQLite, 193 ms
on PostgreSQL with 100,000 findings); a trigram index finds the rows holding every
three-character piece of the text instead.

- SQLite: `findings_text`, an FTS5 table with the trigram tokenizer (SQLite 3.34+,
  sqlite.org/fts5.html#the_trigram_tokenizer) over those four columns, an external-content
  table of `findings` (rowid = `findings.id`, nothing stored twice), kept in step by
  three triggers. The update trigger fires only when one of the four columns really
  changed: the writer's upsert sets `message` on every finding seen again, and rewriting
  the index for each would tax every scan. Without FTS5 or its trigram tokenizer (an
  older or reduced SQLite build) nothing is created and search stays a LIKE scan
  (`kubedrift.store.textsearch` checks which).
- PostgreSQL: the `pg_trgm` extension (trusted since PostgreSQL 13: a database owner may
  create it) and one GIN index `gin_trgm_ops` on the four columns, which ILIKE '%…%' uses
  (postgresql.org/docs/current/pgtrgm.html#PGTRGM-INDEX). When the extension is not
  installed or may not be created, nothing is created (in a savepoint, so the migration
  goes on) and search stays a sequential ILIKE.

`/api/v1/stats` (store/stats_sql.py) adds up open and resolved episodes in SQL; two
covering partial indexes let it read no table row (the rows carry the JSON values): a new
one of the open episodes in `first_seen` order (with cluster, severity, episode, and
`resolved_at`, without which SQLite does not count a partial index as covering, see 0005),
and 0005's `ix_findings_resolved_at` made again with `episode` and `severity` added.

Downgrade drops what upgrade made and restores 0005's index; the pg_trgm extension stays
(other schemas of the database may use it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "name, namespace, path, message"
NEW = "new.id, new.name, new.namespace, new.path, new.message"
OLD = "'delete', old.id, old.name, old.namespace, old.path, old.message"
CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in COLUMNS.split(", "))

SQLITE_UP = (
    "CREATE VIRTUAL TABLE findings_text USING fts5("
    f"{COLUMNS}, content='findings', content_rowid='id', tokenize='trigram')",
    "INSERT INTO findings_text(findings_text) VALUES ('rebuild')",
    "CREATE TRIGGER findings_text_insert AFTER INSERT ON findings BEGIN "
    f"INSERT INTO findings_text(rowid, {COLUMNS}) VALUES ({NEW}); END",
    "CREATE TRIGGER findings_text_delete AFTER DELETE ON findings BEGIN "
    f"INSERT INTO findings_text(findings_text, rowid, {COLUMNS}) VALUES ({OLD}); END",
    f"CREATE TRIGGER findings_text_update AFTER UPDATE OF {COLUMNS} ON findings "
    f"WHEN {CHANGED} BEGIN "
    f"INSERT INTO findings_text(findings_text, rowid, {COLUMNS}) VALUES ({OLD}); "
    f"INSERT INTO findings_text(rowid, {COLUMNS}) VALUES ({NEW}); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS findings_text_update",
    "DROP TRIGGER IF EXISTS findings_text_delete",
    "DROP TRIGGER IF EXISTS findings_text_insert",
    "DROP TABLE IF EXISTS findings_text",
)
PG_INDEX = "ix_findings_text_trgm"
PG_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {PG_INDEX} ON findings USING gin ("
    + ", ".join(f"{c} gin_trgm_ops" for c in COLUMNS.split(", "))
    + ")",
)


OPEN = sa.text("resolved_at IS NULL")
RESOLVED = sa.text("resolved_at IS NOT NULL")
RESOLVED_0005 = ["resolved_at", "first_seen", "cluster"]


def upgrade() -> None:
    """Create the statistics indexes, and the text index the backend supports (or none)."""
    op.create_index(
        "ix_findings_open_first_seen",
        "findings",
        ["first_seen", "cluster", "severity", "episode", "resolved_at"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    _resolved_index([*RESOLVED_0005, "episode", "severity"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if _sqlite_has_trigram(bind):
            _run(bind, SQLITE_UP)
    elif bind.dialect.name == "postgresql":
        _try(bind, PG_UP)


def downgrade() -> None:
    """Drop them (the pg_trgm extension stays); 0005's index as it was."""
    op.drop_index("ix_findings_open_first_seen", table_name="findings")
    _resolved_index(RESOLVED_0005)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _run(bind, SQLITE_DOWN)
    elif bind.dialect.name == "postgresql":
        _run(bind, (f"DROP INDEX IF EXISTS {PG_INDEX}",))


def _resolved_index(columns: list[str]) -> None:
    op.drop_index("ix_findings_resolved_at", table_name="findings")
    op.create_index(
        "ix_findings_resolved_at",
        "findings",
        columns,
        sqlite_where=RESOLVED,
        postgresql_where=RESOLVED,
    )


def _run(bind: sa.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        bind.exec_driver_sql(statement)


def _sqlite_has_trigram(bind: sa.Connection) -> bool:
    """Whether this SQLite has FTS5 and its trigram tokenizer: a probe table in `temp`."""
    return _try(
        bind,
        (
            "CREATE VIRTUAL TABLE temp.kubedrift_fts_probe USING fts5(x, tokenize='trigram')",
            "DROP TABLE temp.kubedrift_fts_probe",
        ),
    )


def _try(bind: sa.Connection, statements: Sequence[str]) -> bool:
    """Run `statements` in a savepoint; False (and nothing done) when the database refuses."""
    savepoint = bind.begin_nested()
    try:
        _run(bind, statements)
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
