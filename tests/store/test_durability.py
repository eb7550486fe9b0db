"""Transactions and processes: a scan is written whole or not at all, a killed writer loses
nothing committed, two processes can write one store at once, errors are `StoreError`s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from kubedrift.store import HistoryFilter, SqlStore, StoredFinding, StoreError, writes
from kubedrift.store.engine import create_store_engine, parse_url
from kubedrift.store.schema import finding_changes, findings

from .builders import at, finding, many

TESTS = Path(__file__).resolve().parents[1]


def snapshot(store: SqlStore) -> tuple[list[StoredFinding], list[Any]]:
    """Every episode and every history row: what a failed write must not have changed."""
    episodes = store.history()
    return episodes, [store.changes(e.id) for e in episodes]


def committed_state(url: str) -> SqlStore:
    """A store with two scans committed: 3 open episodes, one resolved, one with a change."""
    store = SqlStore.open(url)
    store.record_scan("prod-a", [finding(live=2), finding("web"), finding("old")], at=at(0))
    store.record_scan("prod-a", [finding(live=3), finding("web"), *many(2)], at=at(5))
    return store


def test_an_error_mid_scan_writes_nothing(sql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with committed_state(sql_url) as store:
        before = snapshot(store)

        def failing(*args: Any) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(writes, "_resolve", failing)  # after upserts and history rows
        with pytest.raises(RuntimeError, match="disk on fire"):
            store.record_scan("prod-a", [finding(live=4), *many(50)], at=at(10))
        assert snapshot(store) == before

        monkeypatch.undo()
        delta = store.record_scan("prod-a", [finding(live=4)], at=at(10))
        assert (len(delta.changed), len(delta.resolved)) == (1, 3)


def test_a_killed_writer_loses_nothing_committed_and_leaves_nothing_half_written(
    sql_url: str,
) -> None:
    with committed_state(sql_url) as store:
        before = snapshot(store)
        child = _worker("hang", sql_url)
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "READY"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL

        assert snapshot(store) == before
        assert _integrity(sql_url) == "ok"
        delta = store.record_scan("prod-a", [finding(live=4)], at=at(10))
        assert (len(delta.changed), len(delta.resolved)) == (1, 3)


def test_two_processes_write_one_store_at_once(sql_url: str) -> None:
    count = 15
    children = [_worker("scans", sql_url, name, str(count)) for name in ("east", "west")]
    for child in children:
        _, err = child.communicate(timeout=240)
        assert child.returncode == 0, err

    with SqlStore.open(sql_url) as store:
        for cluster in ("east", "west"):
            episodes = store.open_findings(HistoryFilter(cluster=cluster))
            assert len(episodes) == 20
            assert all(len(store.changes(e.id)) == count for e in episodes)
            assert {e.finding.live for e in episodes} == {count - 1}
        shared = store.history(HistoryFilter(cluster="shared"))
        assert len(shared) == 20
        assert all(e.is_open and 1 <= len(store.changes(e.id)) <= 2 * count for e in shared)
    assert _integrity(sql_url) == "ok"


def test_an_unreachable_database_is_a_store_error_without_the_password() -> None:
    url = "postgresql://kubedrift:s3cret@127.0.0.1:1/timeline"
    with pytest.raises(StoreError) as caught:
        SqlStore.open(url)
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1/timeline" in str(caught.value)


def test_an_unknown_database_kind_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        SqlStore.open("mysql://root:pw@localhost/x")


def test_a_plain_path_is_a_sqlite_file_in_new_folders(tmp_path: Path) -> None:
    path = tmp_path / "state" / "kubedrift" / "timeline.db"
    with SqlStore.open(str(path)) as store:
        store.record_scan("prod-a", [finding()], at=at(0))
    assert path.is_file()
    engine = create_engine(parse_url(str(path)))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            count = connection.execute(select(func.count()).select_from(findings)).scalar()
            assert count == 1
    finally:
        engine.dispose()


def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    engine = create_store_engine(parse_url(str(tmp_path / "t.db")))
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_history_rows_need_their_episode(sql_url: str) -> None:
    """Foreign keys are enforced (SQLite enforces them only when told to)."""
    with SqlStore.open(sql_url):
        pass
    engine = create_store_engine(parse_url(sql_url))
    try:
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"), engine.begin() as connection:
            connection.execute(
                finding_changes.insert(), {"finding_id": 12345, "at": at(0), "desired": 1}
            )
    finally:
        engine.dispose()


def _worker(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "store.worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _integrity(url: str) -> str:
    """SQLite's own check of the file; PostgreSQL: the unique indexes still hold."""
    engine = create_engine(parse_url(url))
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                return str(connection.exec_driver_sql("PRAGMA integrity_check").scalar())
            duplicates = connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT key FROM findings WHERE resolved_at IS NULL"
                    " GROUP BY key HAVING count(*) > 1) d"
                )
            ).scalar()
            return "ok" if duplicates == 0 else f"{duplicates} keys open twice"
    finally:
        engine.dispose()
