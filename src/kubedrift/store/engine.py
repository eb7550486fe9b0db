"""Database URLs and engines: SQLite tuned for a shared file, PostgreSQL through psycopg 3.

Accepted locations:

    timeline.db, ./state/timeline.db          a SQLite file (folders are created)
    sqlite:///relative.db, sqlite:////abs.db  the same, as a URL
    postgresql://user@host/db                 PostgreSQL through psycopg 3
    postgresql+psycopg://user@host/db         the same, explicitly

SQLite connections run in WAL mode with `synchronous=NORMAL` and foreign keys on, and wait
up to `SQLITE_BUSY_TIMEOUT` seconds for another process's write. SQLAlchemy does not let
the `sqlite3` module open transactions: the `begin` event emits `BEGIN`, and `BEGIN
IMMEDIATE` on connections from `writing()`, so a writer takes the file's write lock before
it reads and never fails to upgrade a read lock mid-transaction.

`create_store_engine(url, read_only=True)` is for the read commands (`history`, `timeline`),
which must work on a store they may not write — a file mode 0444 in a read-only directory, a
read-only mount, a replica. SQLite is opened with the URI `mode=ro` and no pragma that
writes (no WAL switch); a WAL file whose `-shm` index cannot be created there (a read-only
directory with no writer running, so no `-wal` file) is opened `immutable=1`, the form
SQLite's documentation gives for read-only media (https://www.sqlite.org/uri.html).
PostgreSQL sessions run with `default_transaction_read_only=on`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from kubedrift.store.delta import to_json_text
from kubedrift.store.errors import StoreError

SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite connection waits for another writer before giving up."""

_WRITE = "kubedrift_write"


def parse_url(location: str) -> URL:
    """The SQLAlchemy URL of a store location (see the module docstring)."""
    if "://" not in location:
        return URL.create("sqlite", database=str(Path(location).expanduser()))
    try:
        url = make_url(location)
    except ArgumentError as err:
        raise StoreError(f"not a database URL: {err}") from None
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return url
    raise StoreError(
        "unsupported database (use a SQLite file or postgresql://)",
        where=redacted(url),
    )


def redacted(url: URL) -> str:
    """The URL as text with the password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def create_store_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine for a store URL, with the per-backend settings above."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_reader(url) if read_only else _sqlite_engine(url)
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    try:
        return create_engine(
            url, json_serializer=to_json_text, pool_pre_ping=True, connect_args=options
        )
    except ImportError as err:  # SQLAlchemy imports the driver here: psycopg, or its libpq
        raise StoreError(
            f"the PostgreSQL driver cannot be loaded ({err}); "
            "install it with: pip install 'kubedrift[postgres]'",
            where=redacted(url),
        ) from None


def _sqlite_reader(url: URL) -> Engine:
    """A SQLite engine that never writes the file, its folder or its journal mode."""
    path = Path(url.database or "")

    def connect() -> sqlite3.Connection:
        target = quote(str(path.resolve()))
        connection = sqlite3.connect(
            f"file:{target}?mode=ro",
            uri=True,
            timeout=SQLITE_BUSY_TIMEOUT,
            check_same_thread=False,
        )
        try:  # SQLite opens the file at the first statement: fail (or fall back) here
            connection.execute("PRAGMA schema_version").close()
            return connection
        except sqlite3.OperationalError:
            connection.close()
            if not _immutable_is_safe(path):
                raise
            return sqlite3.connect(f"file:{target}?immutable=1", uri=True, check_same_thread=False)

    # A "sqlite://" URL gets SingletonThreadPool, one connection per thread that is closed
    # from whichever thread disposes the engine: sqlite3 refuses that. The dashboard reads
    # from a thread pool, so connections are pooled (one thread at a time uses each).
    engine = create_engine(
        "sqlite://", creator=connect, json_serializer=to_json_text, poolclass=QueuePool
    )
    event.listen(engine, "connect", _sqlite_reader_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _immutable_is_safe(path: Path) -> bool:
    """No writer can be running: it would hold a `-wal` file, and none can be made there."""
    wal = path.with_name(path.name + "-wal")
    return not wal.exists() and not os.access(path.parent, os.W_OK)


def _sqlite_reader_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        json_serializer=to_json_text,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    _enable_wal(dbapi_connection)
    for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
        dbapi_connection.execute(f"PRAGMA {pragma}").close()


def _enable_wal(dbapi_connection: Any) -> None:
    """Switch the file to WAL once (it stays so), waiting out other processes doing the same.

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once,
    without the busy timeout, while another process opening a new store holds it: two
    watchers or writers started together on one file met exactly that.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                dbapi_connection.execute("PRAGMA journal_mode=WAL").close()
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any error."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction, rolled back at the end (it wrote nothing)."""
    with engine.connect() as connection, connection.begin():
        yield connection
