"""`kubedrift plan` and `kubedrift apply`: what would resolve each finding, and doing it.

`plan` takes the same inputs as `scan` and never writes (with a cluster it asks for a
server-side dry run of each write). It exits 0 whatever it finds, 1 on error.

`apply` carries out a plan: the one it computes from `--desired` against the cluster, or a
saved `plan -o json` file (`--plan`), narrowed by `--finding ID`, `--kind`, `--rule` and
`--only-namespace`. It asks before writing unless `--yes` (and refuses without a terminal to
ask on). Each write is recorded in the timeline store. Exit 0 when every write was accepted,
1 when one was refused (conflict, forbidden, invalid) or on error.
"""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli.errors import one_line
from kubedrift.cli.progress import Progress
from kubedrift.cli.reading import DEFAULT_STORE, StoreOpt, write
from kubedrift.cli.remediate_render import (
    PlanFormat,
    finding_id,
    render_outcomes,
    render_plan,
)
from kubedrift.cli.suppress_store import ReadStoreOpt, store_suppressions
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.engine.remedy import apply_writes, kubeconfig_user, plan_scan
from kubedrift.model import InputError
from kubedrift.remediate.apply import Outcome
from kubedrift.remediate.plan import Action, Plan, Writing
from kubedrift.remediate.planfile import read_plan
from kubedrift.store import SqlStore
from kubedrift.store.actions import ActionRecord

DesiredOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--desired", "-d", help="Manifests, kustomization, chart or Git repo. Repeatable."
    ),
]
LiveOpt = Annotated[
    list[Path] | None,
    typer.Option("--live", "-l", help="Snapshot file or folder instead of the cluster."),
]
KubeconfigOpt = Annotated[Path | None, typer.Option(help="Kubeconfig file.")]
ContextOpt = Annotated[str | None, typer.Option(help="Kubeconfig context.")]
InClusterOpt = Annotated[bool, typer.Option(help="Use the pod's service account.")]
NamespaceOpt = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Namespace for desired objects that name none."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="KubedriftConfig file with ignore rules and trusted managers."),
]
PlanOutputOpt = Annotated[
    PlanFormat | None,
    typer.Option(
        "--output", "-o", help="table (default on a terminal), json, yaml, markdown or patch."
    ),
]


class DryRunMode(enum.Enum):
    """`--dry-run`: `none` writes; `server` asks the apiserver to run and persist nothing."""

    NONE = "none"
    SERVER = "server"


def _request(
    desired: Sequence[str] | None,
    live: Sequence[Path] | None,
    target: ClusterTarget,
    namespace: str | None,
    config: Path | None,
    store: str | None,
) -> ScanRequest:
    return ScanRequest(
        desired=tuple(desired or ()),
        snapshots=tuple(live or ()),
        target=target,
        namespace=namespace,
        config=config,
        suppressions=store_suppressions(store),
    )


def _format(output: PlanFormat | None) -> PlanFormat:
    if output is not None:
        return output
    return PlanFormat.TABLE if sys.stdout.isatty() else PlanFormat.JSON


def plan(
    desired: DesiredOpt = None,
    live: LiveOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    namespace: NamespaceOpt = None,
    config: ConfigOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--no-dry-run", help="Server-side dry run of each write.")
    ] = True,
    store: ReadStoreOpt = None,
    output: PlanOutputOpt = None,
    color: Annotated[bool | None, typer.Option("--color/--no-color")] = None,
) -> int:
    """Show, for each finding, the action that would resolve it (changes nothing).

    A suppressed finding (`kubedrift suppress`, KubedriftConfig `suppressions:`) gets
    action `none`, its reason "suppressed until DATE: REASON".
    """
    target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)
    request = _request(desired, live, target, namespace, config, store)
    with Progress() as progress:
        _, planned = asyncio.run(plan_scan(request, dry_run=dry_run, progress=progress.update))
    write(render_plan(planned, _format(output), color=color))
    return 0


def apply(
    desired: DesiredOpt = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="A plan saved with `kubedrift plan -o json`.")
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    namespace: NamespaceOpt = None,
    config: ConfigOpt = None,
    finding: Annotated[
        list[str] | None, typer.Option("--finding", help="Only this finding id. Repeatable.")
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
    store: StoreOpt = DEFAULT_STORE,
    output: PlanOutputOpt = None,
) -> int:
    """Carry out a plan: server-side apply only the drifted fields, recorded in the store."""
    if (desired is None) == (plan_file is None):
        raise InputError("give --desired (plan now) or --plan FILE (a saved plan), not both")
    target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)
    request = _request(desired, None, target, namespace, config, store)
    writes, skipped = _writes(request, plan_file)
    chosen = _select(writes, set(finding or ()), kind, rule, only_namespace)
    _say_skipped(skipped, set(finding or ()))
    server_dry_run = dry_run is DryRunMode.SERVER
    if chosen and not yes and not server_dry_run:
        _confirm(chosen)
    outcomes = asyncio.run(
        apply_writes(target, Plan(chosen), dry_run=server_dry_run, per_minute=max_per_minute)
    )
    who = actor or kubeconfig_user(target)
    _record(store, outcomes, who, target, dry_run=server_dry_run)
    resolved = _rescan(request, outcomes) if desired and not server_dry_run else None
    fmt = _format(output) if output is not PlanFormat.PATCH else PlanFormat.TABLE
    write(render_outcomes(outcomes, resolved, fmt))
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        typer.echo(f"kubedrift: error: {o.write.object}: {one_line(o.message)}", err=True)
    return 1 if failed else 0


def _writes(
    request: ScanRequest, plan_file: Path | None
) -> tuple[tuple[Writing, ...], tuple[Action, ...]]:
    """The writes to carry out, and the suppressed findings' actions (skipped)."""
    if plan_file is not None:
        return read_plan(plan_file), ()
    with Progress() as progress:
        _, planned = asyncio.run(plan_scan(request, dry_run=False, progress=progress.update))
    skipped = tuple(a for a in planned.actions if a.finding.suppression is not None)
    return planned.writes(), skipped


def _say_skipped(skipped: Sequence[Action], ids: set[str]) -> None:
    """One line on stderr per suppressed finding `--finding` asked for: why nothing runs."""
    for action in skipped:
        if finding_id(action.finding) in ids:
            typer.echo(
                f"kubedrift: skipped {finding_id(action.finding)} ({action.object}): "
                f"{one_line(action.reason)}",
                err=True,
            )


def _select(
    writes: Sequence[Writing],
    ids: set[str],
    kind: str | None,
    rule: str | None,
    namespace: str | None,
) -> tuple[Writing, ...]:
    def wanted(a: Writing) -> bool:
        return (
            (not ids or finding_id(a.finding) in ids)
            and (kind is None or a.object.kind == kind)
            and (rule is None or a.finding.rule == rule)
            and (namespace is None or (a.object.namespace or "") == namespace)
        )

    return tuple(a for a in writes if wanted(a))


def _confirm(chosen: Sequence[Writing]) -> None:
    """Ask on the terminal; without one, refuse (a pipe cannot say yes)."""
    if not sys.stdin.isatty():
        raise InputError("refusing to change the cluster without confirmation: pass --yes")
    typer.echo(render_plan(Plan(tuple(chosen)), PlanFormat.TABLE, color=None))
    if not typer.confirm(f"Apply {len(chosen)} changes?", default=False):
        raise typer.Abort()


def _record(
    store: str, outcomes: Sequence[Outcome], actor: str, target: ClusterTarget, *, dry_run: bool
) -> None:
    if not outcomes:
        return
    now = datetime.now(UTC)
    cluster = target.context or "default"
    records = [
        ActionRecord(
            at=now,
            actor=actor,
            cluster=cluster,
            action=o.write.kind.value,
            object=o.write.object,
            changes=tuple(
                {"path": f.path, "from": f.to_json()["live"], "to": f.to_json()["desired"]}
                for f in o.write.findings
            ),
            dry_run=dry_run,
            result=o.result,
            message=o.message,
        )
        for o in outcomes
    ]
    with SqlStore.open(store) as opened:
        opened.record_actions(records)


def _rescan(request: ScanRequest, outcomes: Sequence[Outcome]) -> list[str]:
    """The applied findings a fresh scan no longer reports (the next observation)."""
    applied = [f for o in outcomes if o.result == "applied" for f in o.write.findings]
    if not applied:
        return []
    report = asyncio.run(run_scan(request))
    still = {f.identity() for f in report.findings}
    return [finding_id(f) for f in applied if f.identity() not in still]
