"""Schema migrations with Alembic, shipped in the package and run from code (no alembic.ini).

`upgrade_to_head(engine)` runs in one write transaction (both backends have transactional
DDL), under a lock, so two processes opening a new store at once migrate it once: SQLite's
`BEGIN IMMEDIATE` serializes them, PostgreSQL takes a transaction-scoped advisory lock.

A new revision, after changing schema.py (from a checkout, against a store at head):

    from alembic import command
    from kubedrift.store.migrate import alembic_config
    with engine.begin() as conn:
        command.revision(alembic_config(conn), "what changed", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from kubedrift.store.engine import writing

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x6B64_7374  # "kdst": the advisory lock id of kubedrift's migrations


def alembic_config(connection: Connection) -> Config:
    """An Alembic config whose env.py migrates `connection` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision this kubedrift ships."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to the newest revision, once even with concurrent callers."""
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        if current_revision(connection) != head_revision():
            command.upgrade(alembic_config(connection), "head")
