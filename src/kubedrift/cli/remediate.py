"""`kubedrift plan` and `kubedrift apply`: what would resolve each finding, and doing it.

`plan` takes the same inputs as `scan` and never writes (with a cluster it asks for a
server-side dry run of each write). It exits 0 whatever it finds, 1 on error.

`apply` carries out a plan: the one it computes from `--desired` against the cluster, or a
saved `plan -o json` file (`--plan`), narrowed by `--finding ID`, `--kind`, `--rule` and
`--only-namespace`. It asks before writing unless `--yes` (and refuses without a terminal to
ask on). Each write is recorded in the timeline store. Exit 0 when every write was accepted,
1 when one was refused (conflict, forbidden, invalid) or on error.

Node findings are planned as cordon + taint (`remediate.nodes`); `--drain` (on `plan` and
on `apply`) also drains the nodes where no pod is held back (a running gang, an unprotected
training PVC). `apply` carries node actions out too (narrow with `--kind Node`), recording
each, evictions included, in the store.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli.errors import one_line
from kubedrift.cli.options import (
    DEFAULT_STORE,
    ColorOpt,
    PlanFormat,
    PlanOutputOpt,
    StoreOpt,
)
from kubedrift.cli.progress import Progress
from kubedrift.cli.reading import write
from kubedrift.cli.remediate_render import finding_id, render_outcomes, render_plan
from kubedrift.cli.scan_inputs import ScanInputs, scan_command
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.engine.remedy import (
    apply_node_actions,
    apply_writes,
    kubeconfig_user,
    plan_scan,
)
from kubedrift.model import InputError
from kubedrift.remediate.apply import Outcome
from kubedrift.remediate.node_apply import DrainOptions, NodeOutcome
from kubedrift.remediate.plan import Action, Cordon, Drain, NodeAction, Plan, Writing
from kubedrift.remediate.planfile import read_plan
from kubedrift.store import SqlStore
from kubedrift.store.actions import ActionRecord

DrainOpt = Annotated[
    bool,
    typer.Option(
        "--drain",
        help="Also drain drifted nodes (Eviction API) where no running job would be hurt.",
    ),
]


class DryRunMode(enum.Enum):
    """`--dry-run`: `none` writes; `server` asks the apiserver to run and persist nothing."""

    NONE = "none"
    SERVER = "server"


def _format(output: PlanFormat | None) -> PlanFormat:
    if output is not None:
        return output
    return PlanFormat.TABLE if sys.stdout.isatty() else PlanFormat.JSON


@scan_command()
def plan(
    inputs: ScanInputs,
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--no-dry-run", help="Server-side dry run of each write.")
    ] = True,
    drain: DrainOpt = False,
    output: PlanOutputOpt = None,
    color: ColorOpt = None,
) -> int:
    """Show, for each finding, the action that would resolve it (changes nothing).

    A suppressed finding (`kubedrift suppress`, KubedriftConfig `suppressions:`) gets
    action `none`, its reason "suppressed until DATE: REASON".
    """
    request = inputs.request()
    with Progress() as progress:
        _, planned = asyncio.run(
            plan_scan(request, dry_run=dry_run, drain=drain, progress=progress.update)
        )
    write(render_plan(planned, _format(output), color=color))
    return 0


@scan_command(omit={"live"}, declared={"store": (StoreOpt, DEFAULT_STORE)})
def apply(
    inputs: ScanInputs,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="A plan saved with `kubedrift plan -o json`.")
    ] = None,
    finding: Annotated[
        list[str] | None,
        typer.Option("--finding", metavar="<id>", help="Only this finding id. Repeatable."),
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only objects of this kind.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only findings of this rule.")] = None,
    only_namespace: Annotated[
        str | None, typer.Option("--only-namespace", help="Only objects in this namespace.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[
        DryRunMode, typer.Option("--dry-run", help="`server`: the apiserver persists nothing.")
    ] = DryRunMode.NONE,
    max_per_minute: Annotated[
        int, typer.Option(min=1, help="At most this many writes a minute.")
    ] = 60,
    actor: Annotated[
        str | None, typer.Option(help="Who acts, for the record (default: kubeconfig user).")
    ] = None,
    output: PlanOutputOpt = None,
    drain: DrainOpt = False,
    eviction_attempts: Annotated[
        int, typer.Option(min=1, help="Tries per eviction a PodDisruptionBudget refuses.")
    ] = 3,
    eviction_retry_delay: Annotated[
        float, typer.Option(min=0.0, help="Seconds between those tries.")
    ] = 5.0,
) -> int:
    """Carry out a plan: revert drifted fields, cordon or drain drifted nodes, all recorded.

    Reverts are server-side applies of only the drifted fields; node actions cordon, taint
    and (with --drain) evict; every action is recorded in the store.
    """
    if bool(inputs.desired) == (plan_file is not None):
        raise InputError("give --desired (plan now) or --plan FILE (a saved plan), not both")
    target = inputs.target()
    store = inputs.store if inputs.store is not None else DEFAULT_STORE  # always given
    request = inputs.request()
    planned, skipped = _planned(request, plan_file, drain)
    chosen = _select(planned, set(finding or ()), kind, rule, only_namespace)
    _say_skipped(skipped, set(finding or ()))
    writes = tuple(a for a in chosen if isinstance(a, Writing))
    node_actions = Plan(chosen).node_actions()
    server_dry_run = dry_run is DryRunMode.SERVER
    if chosen and not yes and not server_dry_run:
        _confirm(chosen)
    outcomes = asyncio.run(
        apply_writes(target, Plan(writes), dry_run=server_dry_run, per_minute=max_per_minute)
    )
    options = DrainOptions(attempts=eviction_attempts, retry_delay=eviction_retry_delay)
    node_outcomes = asyncio.run(
        apply_node_actions(
            target,
            node_actions,
            dry_run=server_dry_run,
            per_minute=max_per_minute,
            options=options,
        )
    )
    who = actor or kubeconfig_user(target)
    _record(store, outcomes, node_outcomes, who, target, dry_run=server_dry_run)
    resolved = _rescan(request, outcomes) if inputs.desired and not server_dry_run else None
    fmt = _format(output) if output is not PlanFormat.PATCH else PlanFormat.TABLE
    write(render_outcomes(outcomes, resolved, fmt, node_outcomes))
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        typer.echo(f"kubedrift: error: {o.write.object}: {one_line(o.message)}", err=True)
    for n in node_outcomes:
        if not n.ok:
            typer.echo(f"kubedrift: error: {n.action.object}: {one_line(n.message)}", err=True)
    return 1 if failed or any(not n.ok for n in node_outcomes) else 0


def _planned(
    request: ScanRequest, plan_file: Path | None, drain: bool
) -> tuple[tuple[Action, ...], tuple[Action, ...]]:
    """The writes and node actions to carry out (a saved plan's drains only with --drain),
    and the suppressed findings' actions, which are skipped."""
    if plan_file is not None:
        return tuple(_no_drain(a) if not drain else a for a in read_plan(plan_file)), ()
    with Progress() as progress:
        _, planned = asyncio.run(
            plan_scan(request, dry_run=False, drain=drain, progress=progress.update)
        )
    skipped = tuple(a for a in planned.actions if a.finding.suppression is not None)
    return (*planned.writes(), *planned.node_actions()), skipped


def _say_skipped(skipped: Sequence[Action], ids: set[str]) -> None:
    """One line on stderr per suppressed finding `--finding` asked for: why nothing runs."""
    for action in skipped:
        if finding_id(action.finding) in ids:
            typer.echo(
                f"kubedrift: skipped {finding_id(action.finding)} ({action.object}): "
                f"{one_line(action.reason)}",
                err=True,
            )


def _no_drain(action: Action) -> Action:
    """A saved drain, carried out as its cordon (draining needs `--drain` on the command)."""
    if not isinstance(action, Drain):
        return action
    why = "cordon only: the saved plan drains, pass --drain to evict"
    return Cordon(action.finding, action.risk, why, action.taint, action.patch, action.pods)


def _select(
    actions: Sequence[Action],
    ids: set[str],
    kind: str | None,
    rule: str | None,
    namespace: str | None,
) -> tuple[Action, ...]:
    def wanted(a: Action) -> bool:
        return (
            (not ids or finding_id(a.finding) in ids)
            and (kind is None or a.object.kind == kind)
            and (rule is None or a.finding.rule == rule)
            and (namespace is None or (a.object.namespace or "") == namespace)
        )

    return tuple(a for a in actions if wanted(a))


def _confirm(chosen: Sequence[Action]) -> None:
    """Ask on the terminal; without one, refuse (a pipe cannot say yes)."""
    if not sys.stdin.isatty():
        raise InputError("refusing to change the cluster without confirmation: pass --yes")
    typer.echo(render_plan(Plan(tuple(chosen)), PlanFormat.TABLE, color=None))
    if not typer.confirm(f"Apply {len(chosen)} changes?", default=False):
        raise typer.Abort()


def _record(
    store: str,
    outcomes: Sequence[Outcome],
    node_outcomes: Sequence[NodeOutcome],
    actor: str,
    target: ClusterTarget,
    *,
    dry_run: bool,
) -> None:
    """One row per write (the fields it changed, live to desired) and per node action (its
    node fields and each eviction), stamped alike, written in one opening of the store."""
    if not outcomes and not node_outcomes:
        return
    row = functools.partial(
        ActionRecord,
        at=datetime.now(UTC),
        actor=actor,
        cluster=target.context or "default",
        dry_run=dry_run,
    )
    records = [
        row(
            action=o.write.kind.value,
            object=o.write.object,
            changes=_write_changes(o),
            result=o.result,
            message=o.message,
        )
        for o in outcomes
    ]
    records += [
        row(
            action=o.action.kind.value,
            object=o.action.object,
            changes=_node_changes(o),
            result=o.result,
            message=o.message,
        )
        for o in node_outcomes
    ]
    with SqlStore.open(store) as opened:
        opened.record_actions(records)


def _write_changes(o: Outcome) -> tuple[dict[str, object], ...]:
    return tuple(
        {"path": f.path, "from": f.to_json()["live"], "to": f.to_json()["desired"]}
        for f in o.write.findings
    )


def _node_changes(o: NodeOutcome) -> tuple[dict[str, object], ...]:
    action: NodeAction = o.action
    f = action.finding.to_json()
    why = {"path": action.finding.path, "from": f["live"], "to": f["desired"], "rule": f["rule"]}
    if action.kind.value == "uncordon":
        fields = [{"path": "spec.unschedulable", "from": True, "to": False}]
    else:
        taint = f"kubedrift.io/drift={action.finding.rule}:NoSchedule"
        fields = [
            {"path": "spec.unschedulable", "from": False, "to": True},
            {"path": "spec.taints", "from": None, "to": taint},
        ]
    pods = [{"path": "eviction", "from": str(p.pod.pod), "to": p.result} for p in o.pods]
    return (why, *fields, *pods)


def _rescan(request: ScanRequest, outcomes: Sequence[Outcome]) -> list[str]:
    """The applied findings a fresh scan no longer reports (the next observation)."""
    applied = [f for o in outcomes if o.result == "applied" for f in o.write.findings]
    if not applied:
        return []
    report = asyncio.run(run_scan(request))
    still = {f.identity() for f in report.findings}
    return [finding_id(f) for f in applied if f.identity() not in still]
