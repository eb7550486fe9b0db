"""The store's suppressions: rows of `suppressions` to and from `Suppression` values.

`kubedrift suppress` writes them; `scan --store` and the watcher read them. A row's `id` is
what `kubedrift suppress --remove ID` takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select

from kubedrift.model.suppression import Suppression
from kubedrift.store.schema import suppressions

_SELECTORS = ("finding", "kind", "namespace", "name", "path", "rule")


@dataclass(frozen=True, slots=True)
class StoredSuppression:
    """A suppression as the store holds it: its row id, when it was written, the rule."""

    id: int
    created: datetime
    suppression: Suppression


def add(connection: Connection, suppression: Suppression, at: datetime) -> int:
    """Insert one suppression; its new id."""
    values = {k: getattr(suppression, k) for k in _SELECTORS}
    values.update(
        reason=suppression.reason,
        until=suppression.until.isoformat(),
        by=suppression.by,
        created=at,
    )
    statement = insert(suppressions).values(**values).returning(suppressions.c.id)
    return int(connection.execute(statement).scalar_one())


def remove(connection: Connection, suppression_id: int) -> bool:
    """Delete one suppression; False when there was none with this id."""
    result = connection.execute(delete(suppressions).where(suppressions.c.id == suppression_id))
    return result.rowcount > 0


def read_all(connection: Connection) -> list[StoredSuppression]:
    """Every stored suppression, expired ones included, oldest first."""
    rows = connection.execute(select(suppressions).order_by(suppressions.c.id)).mappings()
    return [_from_row(row) for row in rows]


def _from_row(row: RowMapping) -> StoredSuppression:
    rule = Suppression(
        reason=row["reason"],
        until=date.fromisoformat(row["until"]),
        by=row["by"],
        **{k: row[k] for k in _SELECTORS},
        source=f"store #{row['id']}",
    )
    return StoredSuppression(id=int(row["id"]), created=row["created"], suppression=rule)
