"""Carrying out a plan's writes: one server-side apply per object, paced, preconditioned.

Each object's reverts are merged into one SSA body (only the drifted fields) and sent as
`PATCH` with `Content-Type: application/apply-patch+yaml`, `fieldManager=kubedrift` and
`force=true`. Forcing only takes the fields in the body from their current manager; every
other field keeps its owner and value (kubernetes.io/docs/reference/using-api/server-side-apply,
"Conflicts"). The body's `metadata.resourceVersion` is a precondition: if the object changed
after the plan was made the apiserver answers 409 and the outcome is `conflict`, nothing is
overwritten. `dryRun=All` asks the apiserver to run everything (admission, validation) and
persist nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.errors import Conflict, Forbidden
from kubedrift.cluster.rest import send_json
from kubedrift.diff.pointers import split
from kubedrift.model import ClusterError, Finding, ObjectRef
from kubedrift.remediate.plan import (
    FIELD_MANAGER,
    ActionKind,
    DryRun,
    Recreate,
    Revert,
    Writing,
    revert_body,
    walk,
)

APPLY_PATCH = "application/apply-patch+yaml"  # JSON is YAML: the apiserver accepts either


@dataclass(frozen=True, slots=True)
class Write:
    """One request: an object's merged SSA body and the findings it resolves."""

    object: ObjectRef
    kind: ActionKind
    body: dict[str, Any]
    findings: tuple[Finding, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """The fields the write changes (`""` for a whole object)."""
        return tuple(f.path for f in self.findings)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one write: applied, dry-run, conflict, forbidden or error."""

    write: Write
    result: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the apiserver accepted the write (or its dry run)."""
        return self.result in ("applied", "dry-run")


def merge_writes(actions: Sequence[Writing]) -> list[Write]:
    """One write per object: reverts merged into one body; a recreate sent as it is."""
    writes: list[Write] = []
    reverts: dict[ObjectRef, list[Revert]] = {}
    for action in actions:
        if isinstance(action, Recreate):
            body = dict(action.patch)
            writes.append(Write(action.object, ActionKind.RECREATE, body, (action.finding,)))
        else:
            reverts.setdefault(action.object, []).append(action)
    for ref, group in reverts.items():
        fields = [walk(a.patch, split(a.finding.path)) for a in group]
        rv = _resource_version(group)
        body = revert_body(ref, fields, rv)
        writes.append(Write(ref, ActionKind.REVERT, body, tuple(a.finding for a in group)))
    return writes


def _resource_version(group: Sequence[Revert]) -> str | None:
    """The resourceVersion seen at plan time (one read per object: the same in each)."""
    seen = [str(a.patch.get("metadata", {}).get("resourceVersion") or "") for a in group]
    return next((v for v in seen if v), None)


class Pace:
    """At most `per_minute` writes a minute, spread evenly (sleep between writes)."""

    def __init__(
        self,
        per_minute: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gap = 60.0 / per_minute if per_minute > 0 else 0.0
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None

    async def wait(self) -> None:
        """Wait until the next write is allowed."""
        if self._last is not None and self._gap:
            delay = self._last + self._gap - self._clock()
            if delay > 0:
                await self._sleep(delay)
        self._last = self._clock()


async def send(conn: Connection, discovery: Discovery, write: Write, *, dry_run: bool) -> Outcome:
    """Send one write; conflicts and refusals become outcomes, not exceptions."""
    ref = write.object
    resource = await discovery.resource_for(ref.api_version, ref.kind)
    if resource is None:
        return Outcome(write, "error", f"the cluster serves no {ref.kind} at {ref.api_version}")
    params = {"fieldManager": FIELD_MANAGER, "force": "true"}
    if dry_run:
        params["dryRun"] = "All"
    path = resource.path(ref.namespace, ref.name)
    try:
        await send_json(
            conn, "PATCH", path, write.body, what=str(ref), content_type=APPLY_PATCH, params=params
        )
    except Conflict as err:
        return Outcome(write, "conflict", f"{err}: the object changed since the plan; re-plan")
    except ClusterError as err:
        return Outcome(write, "forbidden" if isinstance(err, Forbidden) else "error", str(err))
    return Outcome(write, "dry-run" if dry_run else "applied", "accepted by the apiserver")


async def execute(
    conn: Connection, writes: Sequence[Write], *, dry_run: bool, pace: Pace
) -> list[Outcome]:
    """Send each write in turn, paced; stop at the first `forbidden` (the rest would be too)."""
    discovery = Discovery(conn)
    outcomes: list[Outcome] = []
    for write in writes:
        await pace.wait()
        outcome = await send(conn, discovery, write, dry_run=dry_run)
        outcomes.append(outcome)
        if outcome.result == "forbidden":
            break
    return outcomes


async def dry_runs(conn: Connection, actions: Sequence[Writing]) -> dict[ObjectRef, DryRun]:
    """A server-side dry run of each object's merged writes, for `plan`."""
    discovery = Discovery(conn)
    out: dict[ObjectRef, DryRun] = {}
    for write in merge_writes(actions):
        outcome = await send(conn, discovery, write, dry_run=True)
        out[write.object] = DryRun(outcome.ok, outcome.message)
    return out
