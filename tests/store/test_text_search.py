"""Free-text search (migration 0006): the trigram indexes keep the meaning of the LIKE search.

The same scans are recorded in SQLite and in a real PostgreSQL; every search text must give
the same episodes on both, and on SQLite the same with its FTS5 table as without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kubedrift.model import Finding
from kubedrift.store import SqlStore
from kubedrift.store.browse import FindingBrowser, FindingQuery, Status
from kubedrift.store.engine import writing
from kubedrift.store.migrations.versions import __name__ as versions_package
from store.builders import at, finding, node_finding
from store.postgres import PostgresServer

TEXTS = (
    "PYTORCH",  # upper case of a lower-case name
    "Trainer",
    "ml",  # two characters: shorter than a trigram, LIKE over every row
    "a",
    "name=web/image",  # in a path
    "Driver-Version",  # in node paths
    "differs",  # in every message
    "rolled BACK by",  # in one changed message only
    "by hand",  # in the first message of that finding, gone after the change
    "%",
    "100%",  # a literal percent in a message
    "app_",  # `_` literal: no name has "app_"
    "under_score",
    '"quoted"',  # FTS5 query syntax, taken literally
    "NEAR(a b)",
    "web OR ml",
    "-job",
    "a*",
    "shop/web",  # namespace/name: spans two columns, matches nothing
    "zzz-not-there",
)


def _with_message(f: Finding, message: str) -> Finding:
    return dataclasses.replace(f, message=message)


def _scans() -> list[tuple[str, list[Finding], int]]:
    """Two clusters' scans: mixed case, wildcards and FTS5 syntax in names and messages."""
    trainer = finding("Trainer", namespace="ml")
    job = _with_message(finding("pytorch-job", namespace="ml"), 'replicas set "quoted" by hand')
    odd = [
        finding("under_score", namespace="batch"),
        _with_message(finding("quota", namespace="batch"), "usage at 100% of NEAR(a b) quota"),
        finding("web", namespace="shop", path="/spec/template/spec/containers/name=web/image"),
        node_finding("gpu-1", "a100", live="550.54.15"),
        node_finding("GPU-2", "h100", live="550.54.15"),
    ]
    first = [trainer, job, *odd]
    second = [_with_message(job, "replicas rolled back by argo"), *odd]  # trainer resolves
    return [
        ("prod-a", first, 0),
        ("prod-a", second, 30),
        ("prod-b", [finding(f"app-{i}", namespace="shop") for i in range(5)], 5),
    ]


def _fill(url: str) -> SqlStore:
    store = SqlStore.open(url)
    for cluster, found, minutes in _scans():
        store.record_scan(cluster, found, at=at(minutes))
    return store


def _matches(browser: FindingBrowser, text: str) -> list[tuple[str, str, int]]:
    """(cluster, name, episode) of every match, open and resolved, in page order."""
    page = browser.page(FindingQuery(text=text, status=Status.ALL, limit=500))
    assert page.total == len(page.items)
    return [(e.cluster, e.finding.object.name, e.episode) for e in page.items]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    with _fill(f"sqlite:///{tmp_path / 'timeline.db'}") as store:
        yield store


@pytest.fixture
def postgres_store(postgres_server: PostgresServer) -> Iterator[SqlStore]:
    name = postgres_server.create_database()
    try:
        with _fill(postgres_server.url(name)) as store:
            yield store
    finally:
        postgres_server.drop_database(name)


def _by_like(store: SqlStore) -> FindingBrowser:
    """A browser that does not use SQLite's trigram table (the search before 0006)."""
    browser = store.browse()
    browser._text_index = False
    return browser


def test_the_search_means_what_it_meant(sqlite_store: SqlStore) -> None:
    browse = sqlite_store.browse()
    assert _matches(browse, "PYTORCH") == [("prod-a", "pytorch-job", 1)]
    assert [n for _, n, _ in _matches(browse, "driver-version")] == ["GPU-2", "gpu-1"]
    assert [n for _, n, _ in _matches(browse, "rolled BACK by")] == ["pytorch-job"]
    assert _matches(browse, "by hand") == []  # the message changed: the index follows it
    assert [n for _, n, _ in _matches(browse, "100%")] == ["quota"]
    assert _matches(browse, "app_") == []
    assert _matches(browse, "shop/web") == []
    assert ("prod-a", "Trainer", 1) in _matches(browse, "trainer")  # resolved, still found


def test_sqlite_with_and_without_its_trigram_table_agree(sqlite_store: SqlStore) -> None:
    indexed = sqlite_store.browse()
    assert all(_matches(indexed, t) == _matches(_by_like(sqlite_store), t) for t in TEXTS)
    assert indexed._text_index is True


@pytest.mark.postgres
def test_sqlite_and_postgresql_find_the_same_episodes(
    sqlite_store: SqlStore, postgres_store: SqlStore
) -> None:
    for text in TEXTS:
        sqlite, postgres = sqlite_store.browse(), postgres_store.browse()
        assert _matches(sqlite, text) == _matches(postgres, text), text


@pytest.mark.postgres
def test_postgresql_has_the_trigram_index(postgres_store: SqlStore) -> None:
    with postgres_store._engine.connect() as connection:
        names = {i["name"] for i in sa.inspect(connection).get_indexes("findings")}
        extension = connection.exec_driver_sql(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
        ).first()
    assert "ix_findings_text_trgm" in names
    assert extension is not None


def _plan(store: SqlStore, text: str) -> str:
    """SQLite's query plan of one search's count."""
    from kubedrift.store.browse import query_conditions
    from kubedrift.store.schema import findings

    wanted = query_conditions(FindingQuery(text=text), "sqlite", text_index=True)
    query = sa.select(sa.func.count()).select_from(findings).where(*wanted)
    with store._engine.connect() as connection:
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return "\n".join(str(row[-1]) for row in rows)


def test_sqlite_looks_texts_up_in_the_index(sqlite_store: SqlStore) -> None:
    assert "VIRTUAL TABLE INDEX" in _plan(sqlite_store, "pytorch")
    assert "findings_text" not in _plan(sqlite_store, "ml")  # no trigram in two characters


def test_the_triggers_keep_the_index_whole(sqlite_store: SqlStore) -> None:
    """FTS5's integrity check compares the index with `findings` (inserts, the changed
    message, and a deleted cluster's episodes)."""
    check = "INSERT INTO findings_text(findings_text, rank) VALUES ('integrity-check', 1)"
    with writing(sqlite_store._engine) as connection:
        connection.exec_driver_sql(check)
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        connection.exec_driver_sql("DELETE FROM findings WHERE cluster = 'prod-b'")
        connection.exec_driver_sql(check)
    assert all(c != "prod-b" for c, _, _ in _matches(sqlite_store.browse(), "app-"))


def test_a_store_without_the_trigram_table_searches_by_like(tmp_path: Path) -> None:
    """What a SQLite without FTS5 gets: migration 0006 makes nothing, search still works."""
    url = f"sqlite:///{tmp_path / 'timeline.db'}"
    with _fill(url) as store:
        expected = {t: _matches(store.browse(), t) for t in TEXTS}
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name in ("update", "delete", "insert"):
            connection.exec_driver_sql(f"DROP TRIGGER findings_text_{name}")
        connection.exec_driver_sql("DROP TABLE findings_text")
    engine.dispose()
    with SqlStore.open(url) as store:
        browser = store.browse()
        assert {t: _matches(browser, t) for t in TEXTS} == expected
        assert browser._text_index is False


def test_a_refused_statement_leaves_the_migration_going(tmp_path: Path) -> None:
    """The savepoint around the probe: an unknown FTS module is a False, not a failure."""
    import importlib

    migration = importlib.import_module(f"{versions_package}.0006_text_search")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    with engine.begin() as connection:
        bad = ("CREATE VIRTUAL TABLE temp.t USING no_such_module(x)",)
        assert migration._try(connection, bad) is False
        assert migration._sqlite_has_trigram(connection) is True
        connection.exec_driver_sql("CREATE TABLE still_usable (x)")
    engine.dispose()


def test_a_common_text_is_searched_by_like(
    sqlite_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More index matches than `COMMON`: LIKE over every row, the same episodes."""
    from kubedrift.store import textsearch

    expected = {t: _matches(sqlite_store.browse(), t) for t in TEXTS}
    monkeypatch.setattr(textsearch, "COMMON", 1)
    assert "VIRTUAL TABLE" in _plan(sqlite_store, "differs")  # the condition still could
    assert {t: _matches(sqlite_store.browse(), t) for t in TEXTS} == expected
    with sqlite_store._engine.connect() as connection:
        assert textsearch.worth_the_index(connection, "PYTORCH")  # one row holds it
        assert not textsearch.worth_the_index(connection, "differs")  # every row does
