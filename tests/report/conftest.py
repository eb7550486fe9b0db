"""Report fixtures: a store on SQLite or PostgreSQL (the store tests' throwaway server), and
the folder where browser screenshots are kept as test artefacts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubedrift.store import SqlStore
from store.conftest import database, postgres_server

__all__ = ["postgres_server"]

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants (as tests/store/conftest.py does for its own)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("sql_store") == "postgres":
            item.add_marker("postgres")


@pytest.fixture(params=["sqlite", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """An empty store in a SQLite file or a new PostgreSQL database."""
    with database(request.param, request, tmp_path) as url, SqlStore.open(url) as opened:
        yield opened


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """`tmp/artefacts/report` of the checkout (or $KUBEDRIFT_ARTEFACTS/report): screenshots
    and reports a person can open after the run; kept, not cleaned."""
    base = Path(os.environ.get("KUBEDRIFT_ARTEFACTS", ROOT / "tmp" / "artefacts"))
    folder = base / "report"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
