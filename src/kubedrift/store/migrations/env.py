"""Alembic environment: migrate the connection kubedrift.store.migrate hands over.

There is no alembic.ini and no URL here: the caller owns the connection, its transaction
and its lock, so `transactional_ddl` is on for both backends (SQLite's DDL is transactional
once SQLAlchemy, not the sqlite3 module, begins transactions).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from alembic import context
from sqlalchemy import Connection

from kubedrift.store.schema import metadata

# Made by raw DDL in migration 0006 and absent from the metadata on purpose (SQLAlchemy has
# no FTS5 tables or GIN operator classes): autogenerate must not propose dropping them.
# `findings_text*`: the FTS5 table and its shadow tables (_data, _idx, _docsize, _config).
_TEXT_SEARCH = ("findings_text", "ix_findings_text_trgm")


def include_name(name: str | None, kind: str, parents: MutableMapping[Any, str | None]) -> bool:
    """Leave the free-text search objects of migration 0006 out of comparisons."""
    return not (name or "").startswith(_TEXT_SEARCH)


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
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
