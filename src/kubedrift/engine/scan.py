"""The scan and diff pipelines: read desired and live, diff objects, analyse nodes and AI
workloads, rank."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubedrift.analysis import nodes as node_analysis
from kubedrift.analysis.options import FactIgnore
from kubedrift.analysis.profiles import compile_profiles
from kubedrift.analysis.ranking import rank
from kubedrift.analysis.user_controls import RuleSwitches, disable_rules
from kubedrift.analysis.workloads import analyze_workloads
from kubedrift.desired import DesiredSet, KubedriftConfig, load_config, load_desired
from kubedrift.desired.config import parse_config
from kubedrift.diff import DiffOptions, compile_ignore_rules, compile_trusted_rules, diff_objects
from kubedrift.diff.trusted import BUILTIN_TRUSTED_RULES
from kubedrift.engine import live as live_state
from kubedrift.engine import workloads as workload_objects
from kubedrift.engine.clock import snapshot_time
from kubedrift.engine.namespaces import with_namespaces
from kubedrift.engine.requests import DiffRequest, ScanRequest
from kubedrift.model import Category, Finding, InputError, ObjectRef, Report, Severity
from kubedrift.remediate.suppress import apply_suppressions

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress sink that shows nothing."""


async def run_scan(request: ScanRequest, progress: Progress = _quiet) -> Report:
    """Scan desired (if any) and nodes (unless disabled) against a cluster or snapshots."""
    progress("reading desired state")
    desired = load_desired(list(request.desired)) if request.desired else _EMPTY
    objects = [o.obj for o in desired.objects]
    options = diff_options(desired, request)
    controls = user_controls(desired, request)
    if request.snapshots:
        progress("reading snapshots")
        live = live_state.from_snapshots(request.snapshots, request.namespace)
    else:
        live = await live_state.from_cluster(
            request.target,
            objects,
            namespace=request.namespace,
            with_nodes=request.check_nodes,
            progress=progress,
        )
    progress(f"comparing {len(objects)} objects")
    findings = _object_findings(objects, live, options)
    pools: tuple[Any, ...] = ()
    notes: list[str] = (
        [
            f"{len(live.unserved)} desired objects of kinds the cluster does not "
            "serve (CRD not installed?)"
        ]
        if live.unserved
        else []
    )
    now = request.now or _judging_time(live, bool(request.snapshots))
    node_findings: tuple[Finding, ...] = ()
    if request.check_nodes:
        progress(f"analysing {len(live.nodes)} nodes")
        analysis = _analyse_nodes(live.nodes, desired, request, now, controls)
        node_findings = tuple(controls.switches.apply(analysis.findings))
        pools = analysis.pools
        notes += analysis.notes
    if request.check_workloads:
        work = await _workload_objects(request, live, progress)
        progress("analysing AI workloads")
        impact = analyze_workloads(
            work.objects,
            now=now,
            nodes=live.nodes,
            node_findings=node_findings,
            velero=work.velero,
        )
        node_findings = impact.node_findings
        findings += impact.findings
        notes += work.notes + impact.notes
    findings += node_findings
    ranked = rank(controls.switches.apply(findings))
    return Report(
        findings=_suppressed(ranked, desired, request),
        objects_checked=len(objects),
        nodes_checked=len(live.nodes) if request.check_nodes else 0,
        revision=desired.revision,
        live_source=live.source,
        pools=tuple(pools),
        notes=tuple(notes),
    )


async def _workload_objects(
    request: ScanRequest, live: live_state.LiveState, progress: Progress
) -> workload_objects.WorkloadObjects:
    if request.snapshots:
        return workload_objects.from_snapshot(live.objects)
    return await workload_objects.from_cluster(request.target, progress)


def run_diff(request: DiffRequest, progress: Progress = _quiet) -> Report:
    """`kubedrift diff`: two files or folders of objects, no cluster, no node analysis."""
    progress(f"reading {request.desired}")
    desired = load_desired([str(request.desired)])
    progress(f"reading {request.live}")
    live = live_state.from_snapshots([request.live], None)
    objects = [o.obj for o in desired.objects]
    options = diff_options(desired, ScanRequest(config=request.config))
    progress(f"comparing {len(objects)} objects")
    findings = _object_findings(objects, live, options)
    return Report(
        findings=_suppressed(rank(findings), desired, ScanRequest(config=request.config)),
        objects_checked=len(objects),
        revision=desired.revision,
        live_source=str(request.live),
    )


def _suppressed(
    findings: Sequence[Finding], desired: DesiredSet, request: ScanRequest
) -> tuple[Finding, ...]:
    """Mark findings covered by a suppression from a config or the store (`--store`).

    Expiry is judged by the wall clock (or `request.now`), not a snapshot's time: a
    suppression ends on a calendar day whatever the age of the data scanned.
    """
    rules = [s for c in _configs(desired, request) for s in c.suppressions]
    rules += request.suppressions
    return apply_suppressions(findings, rules, request.now or datetime.now(UTC))


def _configs(desired: DesiredSet, request: ScanRequest) -> list[KubedriftConfig]:
    configs: list[KubedriftConfig] = [load_config(request.config)] if request.config else []
    return configs + [parse_config(c.obj, str(c.location)) for c in desired.configs]


@dataclass(frozen=True, slots=True)
class UserControls:
    """Rule switches and node-fact ignores from configs and `--disable-rule`."""

    switches: RuleSwitches
    fact_ignores: tuple[FactIgnore, ...]


def user_controls(desired: DesiredSet, request: ScanRequest) -> UserControls:
    """The user's rule switches and node-fact ignores; InputError for an unknown rule."""
    configs = _configs(desired, request)
    switches = RuleSwitches()
    for config in configs:
        switches = switches.merged(config.rules)
    try:
        switches = switches.merged(disable_rules(request.disabled_rules))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return UserControls(switches, tuple(i for c in configs for i in c.ignore_node_facts))


def diff_options(desired: DesiredSet, request: ScanRequest) -> DiffOptions:
    """Ignore and trust rules from `--config` and KubedriftConfig documents in desired."""
    configs = _configs(desired, request)
    ignore = [e for c in configs for e in c.ignore_differences]
    trusted = [e for c in configs for e in c.trusted_managers]
    return DiffOptions(
        ignore_rules=compile_ignore_rules(ignore),
        trusted_rules=BUILTIN_TRUSTED_RULES + compile_trusted_rules(trusted),
        revision=desired.revision,
    )


def _object_findings(
    objects: Sequence[dict[str, Any]], live: live_state.LiveState, options: DiffOptions
) -> list[Finding]:
    unserved = {(r.group, r.kind) for r in live.unserved}
    scope = live.scope.get
    served = with_namespaces(
        [o for o in objects if _group_kind(o) not in unserved],
        live.default_namespace,
        lambda group, kind: scope((group, kind)),
    )
    findings = diff_objects(
        served,
        live.objects,
        options,
        cluster_scoped=lambda group, kind: live.scope.get((group, kind)),
        default_namespace=live.default_namespace,
    )
    return findings + [unserved_finding(ref, options.revision) for ref in live.unserved]


def _group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    return (str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind")))


def unserved_finding(ref: ObjectRef, revision: str | None) -> Finding:
    """A desired object of a kind the cluster does not serve (its CRD not installed?)."""
    return Finding(
        category=Category.OBJECT,
        severity=Severity.HIGH,
        object=ref,
        path="",
        desired=ref.api_version,
        live=None,
        rule="kind-not-served",
        message=f"the cluster serves no {ref.kind} at {ref.api_version} (CRD not installed?)",
        revision=revision,
    )


def _judging_time(live: live_state.LiveState, from_snapshot: bool) -> datetime:
    if from_snapshot:
        return snapshot_time(live.nodes) or datetime.now(UTC)
    return datetime.now(UTC)


def _analyse_nodes(
    nodes: Iterable[dict[str, Any]],
    desired: DesiredSet,
    request: ScanRequest,
    now: datetime,
    controls: UserControls,
) -> node_analysis.NodeAnalysis:
    profiles = compile_profiles([(str(p.location), p.obj) for p in desired.profiles])
    options = node_analysis.NodeOptions(
        pool_label=request.pool_label or None, fact_ignores=controls.fact_ignores
    )
    return node_analysis.analyze_nodes(list(nodes), profiles=profiles, options=options, now=now)


_EMPTY = DesiredSet(objects=(), revision=None, sources=())
