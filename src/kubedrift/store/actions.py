"""Recording and reading remediation actions (the `actions` table, migration 0003).

An action row says who acted (kubeconfig user or `--actor`), when, on which object, which
fields changed from what to what (the findings' values: Secret values are keyed hashes
there, never the values), whether it was a dry run, and the apiserver's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from kubedrift.model import ObjectRef
from kubedrift.model.times import rfc3339
from kubedrift.store.schema import actions


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One recorded remediation."""

    at: datetime
    actor: str
    cluster: str
    action: str
    object: ObjectRef
    changes: tuple[dict[str, Any], ...]
    dry_run: bool
    result: str
    message: str
    id: int = 0

    def to_json(self) -> dict[str, Any]:
        """The `actions` entries of `kubedrift history --actions -o json`."""
        return {
            "id": self.id,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "cluster": self.cluster,
            "action": self.action,
            "object": self.object.to_json(),
            "changes": list(self.changes),
            "dry_run": self.dry_run,
            "result": self.result,
            "message": self.message,
        }


def insert_actions(connection: Connection, records: Sequence[ActionRecord]) -> None:
    """Append `records` (in the caller's transaction)."""
    if records:
        connection.execute(insert(actions), [_row(r) for r in records])


def _row(r: ActionRecord) -> dict[str, Any]:
    return {
        "at": r.at,
        "actor": r.actor,
        "cluster": r.cluster,
        "action": r.action,
        "api_version": r.object.api_version,
        "kind": r.object.kind,
        "namespace": r.object.namespace or "",
        "name": r.object.name,
        "paths": [c["path"] for c in r.changes],
        "changes": list(r.changes),
        "dry_run": int(r.dry_run),
        "result": r.result,
        "message": r.message,
    }


def select_actions(connection: Connection) -> list[ActionRecord]:
    """Every recorded action, oldest first."""
    rows = connection.execute(select(actions).order_by(actions.c.at, actions.c.id)).all()
    return [_record(row._mapping) for row in rows]


def _record(row: Any) -> ActionRecord:
    ref = ObjectRef(row["api_version"], row["kind"], row["namespace"] or None, row["name"])
    return ActionRecord(
        at=row["at"],
        actor=row["actor"],
        cluster=row["cluster"],
        action=row["action"],
        object=ref,
        changes=tuple(row["changes"]),
        dry_run=bool(row["dry_run"]),
        result=row["result"],
        message=row["message"],
        id=int(row["id"]),
    )
