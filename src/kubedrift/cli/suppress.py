"""`kubedrift suppress`: record, list and remove reasoned, expiring suppressions in the store.

    kubedrift suppress 3f9a1c0b7d2e --reason "load test, INC-42" --until 2026-12-31
    kubedrift suppress --kind Deployment -n ml --name 'trainer-*' --path /spec/replicas \\
        --reason "HPA trial" --until 2026-12-31
    kubedrift suppress --list [-o json]
    kubedrift suppress --remove 4

FINDING is the `id` that `scan -o json` prints for each finding. A suppression written here
lives in the timeline store (the same `--store` as watch and history); the same entries in a
KubedriftConfig's `suppressions:` are the reviewed-in-Git form. Both are read by `scan` and
the watcher: a suppressed finding is still shown, marked, and neither fails `--fail-on` nor
alerts until its `until` day has passed.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from kubedrift.cli.reading import DEFAULT_STORE, StoreOpt
from kubedrift.model import InputError
from kubedrift.model.suppression import parse_suppression
from kubedrift.store import SqlStore
from kubedrift.store.suppressions import StoredSuppression


def suppress(
    finding: Annotated[
        str | None, typer.Argument(help="Finding id, as `scan -o json` prints it.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why this drift is accepted.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day (UTC, YYYY-MM-DD) the suppression holds.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who suppresses (default: $USER).")] = None,
    kind: Annotated[str | None, typer.Option(help="Objects of this kind.")] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Objects in this namespace.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Object name, glob allowed.")] = None,
    path: Annotated[str | None, typer.Option(help="JSON pointer, glob allowed.")] = None,
    rule: Annotated[str | None, typer.Option(help="Rule id, e.g. field-changed.")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List suppressions.")] = False,
    remove: Annotated[int | None, typer.Option(help="Remove the suppression with this id.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="--list as JSON.")] = False,
    store: StoreOpt = DEFAULT_STORE,
) -> int:
    """Suppress a finding with a reason and an end date (or --list, --remove ID)."""
    if list_all:
        return _list(store, json_output)
    if remove is not None:
        return _remove(store, remove)
    entry = {
        "finding": finding,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "path": path,
        "rule": rule,
        "reason": reason,
        "until": until,
        "by": by or getpass.getuser(),
    }
    now = datetime.now(UTC)
    try:
        suppression = parse_suppression(
            {k: v for k, v in entry.items() if v is not None}, now.date()
        )
    except ValueError as exc:
        raise InputError(str(exc), where="kubedrift suppress") from None
    with SqlStore.open(store) as opened:
        new_id = opened.add_suppression(suppression, at=now)
    typer.echo(f"suppression {new_id}: {suppression.selector_text()} until {suppression.until}")
    return 0


def _list(store: str, as_json: bool) -> int:
    with SqlStore.open(store) as opened:
        rows = opened.suppressions()
    now = datetime.now(UTC)
    if as_json:
        typer.echo(json.dumps([_row_json(r, now) for r in rows], indent=2))
        return 0
    for row in rows:
        s = row.suppression
        state = "expired" if s.expired(now) else "active"
        typer.echo(f"{row.id}\t{state}\t{s.until}\t{s.by}\t{s.selector_text()}\t{s.reason}")
    return 0


def _row_json(row: StoredSuppression, now: datetime) -> dict[str, object]:
    out: dict[str, object] = {"id": row.id, "created": row.created.isoformat()}
    out.update(row.suppression.to_json())
    out["expired"] = row.suppression.expired(now)
    return out


def _remove(store: str, suppression_id: int) -> int:
    with SqlStore.open(store) as opened:
        if not opened.remove_suppression(suppression_id):
            raise InputError("no suppression with this id", where=f"--remove {suppression_id}")
    typer.echo(f"removed suppression {suppression_id}")
    return 0
