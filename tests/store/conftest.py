"""Store fixtures: one store per test on each backend, and the throwaway PostgreSQL server.

`store` runs a test on the in-memory fake, a SQLite file and PostgreSQL; `sql_url` only on
the two databases (tests of transactions, processes and migrations). PostgreSQL tests are
marked `postgres`, so `-m "not postgres"` skips them and never starts the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kubedrift.store import MemoryStore, SqlStore, Store
from store.postgres import PostgresServer, pg_bin_dir, start_postgres


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (pyproject's list belongs to the whole project)."""
    config.addinivalue_line(
        "markers",
        "postgres: needs a throwaway PostgreSQL server (Debian's binaries: "
        "scripts/ensure-postgres.sh installs them)",
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and removed at the end."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL server binaries not found: run scripts/ensure-postgres.sh")
    server = start_postgres(bin_dir)
    try:
        yield server
    finally:
        server.stop()


SQL_BACKENDS = ["sqlite", "postgres"]
BACKENDS = ["memory", *SQL_BACKENDS]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants; a mark in the params would be evaluated at import,
    before `pytest_configure` registered it when collection starts from the root."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in (
            callspec.params.get("store"),
            callspec.params.get("sql_url"),
        ):
            item.add_marker("postgres")


@contextmanager
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on `backend` ("sqlite" or "postgres"), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'timeline.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=SQL_BACKENDS)
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new PostgreSQL database."""
    with database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store: the in-memory fake, a SQLite file or a PostgreSQL database."""
    if request.param == "memory":
        yield MemoryStore()
        return
    with database(request.param, request, tmp_path) as url, SqlStore.open(url) as opened:
        yield opened
