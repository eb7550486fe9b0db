"""Opening a store for reading only: it must exist already, and is never created.

`SqlStore.open` creates a missing SQLite file and the schema of an empty database, which
the watcher wants; a read command (`kubedrift history`) must not leave an empty store
behind a mistyped path. `open_existing` refuses both, and opens a store already at the
newest schema read-only (`create_store_engine(read_only=True)`: no migration, no WAL switch,
no write lock), so it works on a store it may not write. A store at an older schema is
migrated as `SqlStore.open` would, since this kubedrift can only read the newest.
"""

from __future__ import annotations

from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from kubedrift.store.engine import create_store_engine, parse_url, reading, redacted
from kubedrift.store.errors import StoreError
from kubedrift.store.migrate import current_revision, head_revision
from kubedrift.store.sql import SqlStore


def open_existing(location: str) -> SqlStore:
    """The store at a file path or URL, which must already hold a kubedrift timeline."""
    url = parse_url(location)
    where = redacted(url)
    if url.get_backend_name() == "sqlite":
        _require_file(url, where)
    engine = create_store_engine(url, read_only=True)
    try:
        revision = _revision(engine, where)
    except BaseException:
        engine.dispose()
        raise
    if revision == head_revision():
        return SqlStore(engine, where, location)
    engine.dispose()
    if revision is None:
        raise StoreError("not a kubedrift timeline store (it has no schema)", where=where)
    return SqlStore.open(location)


def _require_file(url: URL, where: str) -> None:
    database = url.database or ""
    if database in ("", ":memory:"):
        raise StoreError("reading needs an existing SQLite file, not an in-memory database")
    path = Path(database)
    if not path.is_file():
        raise StoreError(
            "no timeline store here (`kubedrift watch` creates it; pass --store or set "
            "KUBEDRIFT_STORE)",
            where=str(path),
        )
    if path.stat().st_size == 0:  # SQLite would take it for a new database and write to it
        raise StoreError("not a kubedrift timeline store (the file is empty)", where=str(path))


def _revision(engine: Engine, where: str) -> str | None:
    try:
        with reading(engine) as connection:
            return current_revision(connection)
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        raise StoreError(str(cause).strip().splitlines()[0], where=where) from err
    except CommandError as err:
        raise StoreError(f"cannot read the schema version: {err}", where=where) from err
