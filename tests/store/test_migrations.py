"""Migrations: an empty database reaches head on both backends, and the models match them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from kubedrift.store import SqlStore, StoreError
from kubedrift.store.engine import create_store_engine, parse_url, writing
from kubedrift.store.migrate import alembic_config, current_revision, head_revision

from .builders import at, finding

TABLES = {
    "alembic_version",
    "clusters",
    "findings",
    "finding_changes",
    "settings",
    "actions",
    "suppressions",
}
INDEXES = {
    "uq_findings_key_episode",
    "uq_findings_open_key",
    "ix_findings_cluster_open",
    "ix_findings_cluster_first_seen",
    "ix_findings_cluster_object",
    "ix_findings_open_summary",
    "ix_findings_open_impact",
    "ix_findings_open_by_cluster",
    "ix_findings_first_seen",
    "ix_findings_resolved_at",
    "ix_findings_open_first_seen",
}
TEXT_SEARCH_TABLES = {  # SQLite's FTS5 table and its shadow tables (migration 0006)
    "findings_text",
    "findings_text_data",
    "findings_text_idx",
    "findings_text_docsize",
    "findings_text_config",
}
TEXT_SEARCH_INDEX = "ix_findings_text_trgm"  # PostgreSQL's pg_trgm GIN index (0006)


def test_an_empty_database_migrates_to_head(sql_url: str) -> None:
    with SqlStore.open(sql_url):
        pass
    engine = create_store_engine(parse_url(sql_url))
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision() == "0006"
            inspector = inspect(connection)
            sqlite = connection.dialect.name == "sqlite"
            tables = TABLES | (TEXT_SEARCH_TABLES if sqlite else set())
            indexes = INDEXES | (set() if sqlite else {TEXT_SEARCH_INDEX})
            assert set(inspector.get_table_names()) == tables
            assert {i["name"] for i in inspector.get_indexes("findings")} == indexes
    finally:
        engine.dispose()


def test_models_and_migrations_agree(sql_url: str) -> None:
    """`alembic check`: autogenerate finds nothing to add, drop or alter."""
    with SqlStore.open(sql_url):
        pass
    engine = create_store_engine(parse_url(sql_url))
    try:
        with writing(engine) as connection:
            command.check(alembic_config(connection))
    finally:
        engine.dispose()


def test_opening_again_keeps_the_timeline(sql_url: str) -> None:
    with SqlStore.open(sql_url) as store:
        store.record_scan("prod-a", [finding()], at=at(0))
    with SqlStore.open(sql_url) as store:
        assert [e.finding for e in store.open_findings()] == [finding()]


def test_downgrade_to_base_and_back(sql_url: str) -> None:
    with SqlStore.open(sql_url):
        pass
    engine = create_store_engine(parse_url(sql_url))
    try:
        with writing(engine) as connection:
            command.downgrade(alembic_config(connection), "base")
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
        with writing(engine) as connection:
            command.upgrade(alembic_config(connection), "head")
            assert current_revision(connection) == head_revision()
    finally:
        engine.dispose()


def test_a_database_from_a_newer_kubedrift_is_refused(sql_url: str) -> None:
    with SqlStore.open(sql_url):
        pass
    engine = create_engine(parse_url(sql_url))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="cannot migrate"):
        SqlStore.open(sql_url)
