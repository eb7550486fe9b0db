"""Alembic environment: migrate the connection kubedrift.store.migrate hands over.

There is no alembic.ini and no URL here: the caller owns the connection, its transaction
and its lock, so `transactional_ddl` is on for both backends (SQLite's DDL is transactional
once SQLAlchemy, not the sqlite3 module, begins transactions).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kubedrift.store.schema import metadata


def run_migrations() -> None:
    """Run the pending revisions (or compare, for autogenerate) on the given connection."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection) or context.is_offline_mode():
        raise RuntimeError("run kubedrift's migrations through kubedrift.store.migrate")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        transactional_ddl=True,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
