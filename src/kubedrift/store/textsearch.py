"""Free-text search of findings: one meaning on every backend, an index where there is one.

The meaning (`FindingQuery.text`): a part of the finding's name, namespace, path or
message, case-insensitively (ASCII case on SQLite, as its LIKE does:
sqlite.org/lang_expr.html#like), with `%` and `_` taken literally.

How each backend answers it fast (migration 0006 made the index, when it could):

- SQLite with FTS5's trigram tokenizer: the ids the index `findings_text` matches for the
  text as one phrase (every three-character piece, in order, inside one column:
  sqlite.org/fts5.html#the_trigram_tokenizer), then the same LIKE as without the index on
  just those rows. The index folds Unicode case and LIKE only ASCII case, so the index's
  rows are a superset of LIKE's and the LIKE keeps the meaning exact. A text shorter than
  three characters has no trigram: it is a LIKE over every row, as before.
- SQLite, a text more than `COMMON` rows hold: LIKE over every row (see `worth_the_index`).
- SQLite without the index (no FTS5, or a SQLite older than 3.34): LIKE over every row.
- PostgreSQL: ILIKE; with `pg_trgm`, its GIN index answers it (the planner picks it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)

from kubedrift.store.schema import findings

f = findings.c
TEXT_INDEX = "findings_text"
"""SQLite's FTS5 table (migration 0006); absent when this SQLite could not make it."""
TRIGRAM = 3
"""The shortest text the trigram index can look up."""
COMMON = 2000
"""More index matches than this and a text is common: LIKE over every row is then faster
(a page walks the newest rows and stops after 50; the index would fetch every match)."""

_index = table(TEXT_INDEX, column("rowid"))
_COLUMNS = (f.name, f.namespace, f.path, f.message)


def has_text_index(connection: Connection) -> bool:
    """Whether the store has SQLite's trigram table (PostgreSQL needs no check: its planner
    uses the pg_trgm index by itself when there is one)."""
    if connection.dialect.name != "sqlite":
        return False
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return connection.exec_driver_sql(query, (TEXT_INDEX,)).first() is not None


def worth_the_index(connection: Connection, text: str) -> bool:
    """Whether SQLite's trigram table should serve this text: three characters or more, and
    at most `COMMON` rows hold it (probed with a bounded lookup). Measured with 100,000
    findings: a text in one object takes milliseconds through the index, a text in every
    message (90,000 matches) seconds, against ~260 ms for LIKE over every row."""
    if len(text) < TRIGRAM:
        return False
    probe = _trigram_ids(text).limit(COMMON + 1).subquery()
    found = connection.execute(select(func.count()).select_from(probe)).scalar_one()
    return int(found) <= COMMON


def text_matches(text: str, dialect: str, *, indexed: bool = False) -> ColumnElement[bool]:
    """The WHERE clause of a free-text search; `indexed`: SQLite has `findings_text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if dialect != "sqlite":
        return or_(*(c.ilike(pattern, escape="\\") for c in _COLUMNS))
    # SQLite's LIKE ignores ASCII case already; `ilike` would wrap both sides in lower().
    like = or_(*(c.like(pattern, escape="\\") for c in _COLUMNS))
    if not indexed or len(text) < TRIGRAM:
        return like
    return and_(f.id.in_(_trigram_ids(text)), like)


def _trigram_ids(text: str) -> Select[tuple[int]]:
    """The rowids whose columns hold `text` as one FTS5 phrase (a string in double quotes,
    `"` doubled: sqlite.org/fts5.html#fts5_strings), so no character is query syntax."""
    phrase = '"' + text.replace('"', '""') + '"'
    match = literal_column(TEXT_INDEX).op("MATCH")(phrase)
    return select(_index.c.rowid).where(match)


PROBE_ROWS = 2000
"""How many of the newest rows PostgreSQL's commonness probe reads (`avoid_pg_trgm_scan`)."""


def avoid_pg_trgm_scan(connection: Connection, text: str, conditions: list[Any], page: int) -> bool:
    """On PostgreSQL, for a text so common that the newest `PROBE_ROWS` rows already hold a
    page of matches, turn bitmap scans off for the rest of this read transaction
    (`SET LOCAL`, postgresql.org/docs/current/runtime-config-query.html) and say so.

    A GIN (pg_trgm) index is read only by a bitmap scan, which collects every matching row
    before LIMIT applies: 90,000 matches cost ~110 ms a page and ~300 ms p95 with 100,000
    findings (bench/bench_api.py). Without it the planner walks the primary key newest
    first and stops after a page, and the bounded count stops after `COUNT_UP_TO`, as LIKE
    does on SQLite (`worth_the_index`). A rare text keeps the index. The probe itself runs
    with bitmap scans off, over an id range of the newest rows: a few milliseconds."""
    if connection.dialect.name != "postgresql" or len(text) < TRIGRAM:
        return False
    floor = connection.execute(
        select(f.id).order_by(f.id.desc()).offset(PROBE_ROWS - 1).limit(1)
    ).scalar()
    if floor is None:  # a small store: any plan is fast
        return False
    connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    probe = select(f.id).where(f.id >= floor, *conditions).limit(page).subquery()
    found = int(connection.execute(select(func.count()).select_from(probe)).scalar_one())
    if found < page:
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = on")
        return False
    return True
