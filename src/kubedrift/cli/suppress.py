"""`kubedrift suppress`: record, list and delete reasoned, expiring suppressions in the store.

    kubedrift suppress 3f9a1c0b7d2e --reason "load test, INC-42" --until 2026-12-31
    kubedrift suppress --kind Deployment -n ml --name 'trainer-*' --path /spec/replicas \\
        --reason "HPA trial" --until 2026-12-31
    kubedrift suppress --list [-o json|yaml|table]
    kubedrift suppress --delete 4

FINDING is the `id` every scan output shows for each finding. A suppression written here
lives in the timeline store (the same `--store` as watch and history); the same entries in a
KubedriftConfig's `suppressions:` are the reviewed-in-Git form. `scan`, `diff`, `plan` and
`watch` read both: a suppressed finding is still shown, marked, and neither fails
`--fail-on`, nor alerts, nor gets an automatic action until its `until` day has passed.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from kubedrift.analysis.user_controls import KNOWN_RULES
from kubedrift.cli.reading import (
    OutputOpt,
    ReportFormat,
    StoreOpt,
    choose_format,
    document_text,
    md_table,
    rich_text,
    write,
)
from kubedrift.cli.render import markdown as md
from kubedrift.cli.suppress_store import DEFAULT_STORE
from kubedrift.model import InputError
from kubedrift.model.suppression import Suppression, parse_suppression
from kubedrift.store import SqlStore
from kubedrift.store.suppressions import StoredSuppression


def suppress(
    finding: Annotated[
        str | None, typer.Argument(help="Finding id, as scan prints it (`id`).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why this drift is accepted.")] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Last day (UTC, YYYY-MM-DD) the suppression holds; at most a year."),
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
    delete: Annotated[
        int | None,
        typer.Option("--delete", "--remove", help="Delete the suppression with this ID."),
    ] = None,
    output: OutputOpt = None,
    store: StoreOpt = DEFAULT_STORE,
) -> int:
    """Suppress a finding with a reason and an end date (or --list, --delete ID)."""
    if list_all:
        return _list(store, output)
    if delete is not None:
        return _delete(store, delete)
    selector = {"finding": finding, "kind": kind, "namespace": namespace, "name": name}
    selector |= {"path": path, "rule": rule}
    now = datetime.now(UTC)
    entry: dict[str, str | None] = {k: v for k, v in selector.items() if v is not None}
    entry |= {"reason": reason, "until": until, "by": by or _user()}
    suppression = _parsed(entry, now)
    with SqlStore.open(store) as opened:
        new_id = opened.add_suppression(suppression, at=now)
    typer.echo(f"suppression {new_id}: {suppression.selector_text()} {suppression.label()}")
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (a container)
        return os.environ.get("USER", "")


def _parsed(entry: dict[str, Any], now: datetime) -> Suppression:
    if not any(entry.get(k) for k in ("finding", "kind", "namespace", "name", "path", "rule")):
        raise InputError(
            "say what to suppress: a FINDING id (as scan prints it) or --kind/-n/--name/"
            "--path/--rule, with --reason and --until (or --list, --delete ID)"
        )
    if entry.get("reason") is None:
        raise InputError("--reason is required: say why this drift is accepted")
    if entry.get("until") is None:
        raise InputError("--until YYYY-MM-DD is required: a suppression must end")
    try:
        return parse_suppression(entry, now.date(), known_rules=KNOWN_RULES)
    except ValueError as exc:
        raise InputError(str(exc), where="kubedrift suppress") from None


def _list(store: str, output: ReportFormat | None) -> int:
    with SqlStore.open(store) as opened:
        rows = opened.suppressions()
    now = datetime.now(UTC)
    fmt = choose_format(output)
    if fmt in (ReportFormat.JSON, ReportFormat.YAML):
        doc = {"schema": "kubedrift-suppressions/v1", "suppressions": [_row(r, now) for r in rows]}
        write(document_text(doc, fmt))
        return 0
    cells = [_cells(row, now) for row in rows]
    if fmt is ReportFormat.MARKDOWN:
        body = md_table(_HEAD, ([md.text(c) for c in line] for line in cells))
        write(f"# kubedrift suppressions\n\n{body}\n")
        return 0
    table = Table(*(h.upper() for h in _HEAD), box=None)
    for line in cells:
        table.add_row(*line)
    write(rich_text([table], color=False) if rows else "no suppressions\n")
    return 0


_HEAD = ["id", "state", "until", "by", "selector", "reason"]


def _cells(row: StoredSuppression, now: datetime) -> list[str]:
    s = row.suppression
    state = "expired" if s.expired(now) else "active"
    return [str(row.id), state, s.until.isoformat(), s.by, s.selector_text(), s.reason]


def _row(row: StoredSuppression, now: datetime) -> dict[str, object]:
    out: dict[str, object] = {"id": row.id, "created": row.created.isoformat()}
    out.update(row.suppression.to_json())
    out["expired"] = row.suppression.expired(now)
    return out


def _delete(store: str, suppression_id: int) -> int:
    with SqlStore.open(store) as opened:
        if not opened.remove_suppression(suppression_id):
            raise InputError("no suppression with this id", where=f"--delete {suppression_id}")
    typer.echo(f"deleted suppression {suppression_id}")
    return 0
