"""Plan and apply pipelines: a scan's findings → a remediation plan → server-side applies.

`plan_scan` runs the same scan as `kubedrift scan` (same inputs), then reads the drifted
objects' desired and live forms to build the plan (pure, remediate/plan.py). With a cluster
it asks the apiserver for a server-side dry run of every write; it never changes anything.
`apply_plan` carries the writes out (remediate/apply.py).

Node findings are planned with the nodes and every pod on them (`engine.node_context`,
`remediate.nodes`): cordon and taint, a drain only when asked (`drain=True`), and the
release of nodes kubedrift quarantined whose drift is gone — which is why a scan with no
finding may still plan something.
"""

from __future__ import annotations

from dataclasses import replace

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.desired import load_desired
from kubedrift.engine.namespaces import with_namespaces
from kubedrift.engine.node_context import node_context
from kubedrift.engine.requests import ScanRequest
from kubedrift.engine.scan import Progress, _quiet, read_live, run_scan
from kubedrift.model import Report
from kubedrift.remediate.apply import Outcome, Pace, Write, dry_runs, execute, merge_writes
from kubedrift.remediate.node_apply import DrainOptions, NodeOutcome, carry_out
from kubedrift.remediate.nodes import NodePlan, plan_nodes
from kubedrift.remediate.plan import NodeAction, Plan, Recreate, Revert, build_plan


async def plan_scan(
    request: ScanRequest,
    *,
    dry_run: bool = True,
    drain: bool = False,
    progress: Progress = _quiet,
) -> tuple[Report, Plan]:
    """Scan, then plan an action for every finding (dry-run each write against a cluster)."""
    report = await run_scan(request, progress=progress)
    nodes = await _node_plan(request, report, drain, progress)
    if not report.findings:
        return report, Plan(nodes.releases if nodes else ())
    desired = (
        [o.obj for o in load_desired(list(request.desired)).objects] if request.desired else []
    )
    live = await read_live(replace(request, check_nodes=False), desired, progress)
    resolved = with_namespaces(desired, live.default_namespace, lambda g, k: live.scope.get((g, k)))
    if nodes is None:
        plan = build_plan(report.findings, resolved, live.objects)
    else:
        plan = build_plan(report.findings, resolved, live.objects, nodes.by_finding, nodes.releases)
    if request.snapshots or not dry_run or not plan.writes():
        return report, plan
    progress("server-side dry run of each write")
    async with Connection(request.target) as conn:
        answers = await dry_runs(conn, plan.writes())
    actions = tuple(
        replace(a, dry_run=answers.get(a.object)) if isinstance(a, Revert | Recreate) else a
        for a in plan.actions
    )
    return report, Plan(actions)


async def apply_writes(
    target: ClusterTarget, plan: Plan, *, dry_run: bool, per_minute: int
) -> list[Outcome]:
    """Carry out the plan's reverts and recreates, one server-side apply per object."""
    writes: list[Write] = merge_writes(plan.writes())
    if not writes:
        return []
    async with Connection(target) as conn:
        return await execute(conn, writes, dry_run=dry_run, pace=Pace(per_minute))


async def apply_node_actions(
    target: ClusterTarget,
    actions: tuple[NodeAction, ...],
    *,
    dry_run: bool,
    per_minute: int,
    options: DrainOptions,
) -> list[NodeOutcome]:
    """Cordon, drain or release each node in turn, paced like the writes."""
    if not actions:
        return []
    pace = Pace(per_minute)
    outcomes: list[NodeOutcome] = []
    async with Connection(target) as conn:
        for action in actions:
            await pace.wait()
            outcome = await carry_out(conn, action, options, dry_run=dry_run)
            outcomes.append(outcome)
            if outcome.result == "forbidden":
                break  # the rest would be too
    return outcomes


async def _node_plan(
    request: ScanRequest, report: Report, drain: bool, progress: Progress
) -> NodePlan | None:
    """Node actions, when nodes were analysed and can be read."""
    if not request.check_nodes:
        return None
    ctx = await node_context(request, progress)
    return plan_nodes(report.findings, ctx, drain=drain) if ctx is not None else None


def kubeconfig_user(target: ClusterTarget) -> str:
    """The kubeconfig user kubedrift acts as (recorded with each action)."""
    config = Connection(target).config
    return str(config.context.user or config.context_name or "unknown")
