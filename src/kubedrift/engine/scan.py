"""The scan and diff pipelines: read desired and live, diff objects, analyse nodes and AI
workloads, rank."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kubedrift.analysis import nodes as node_analysis
from kubedrift.analysis.profiles import compile_profiles
from kubedrift.analysis.ranking import rank
from kubedrift.analysis.workloads import analyze_workloads
from kubedrift.cluster.connection import context_namespace
from kubedrift.desired import DesiredSet, KubedriftConfig, load_config, load_desired
from kubedrift.desired.config import parse_config
from kubedrift.diff import (
    DiffOptions,
    Rule,
    compile_ignore_rules,
    compile_trusted_rules,
    diff_objects,
)
from kubedrift.diff.trusted import BUILTIN_TRUSTED_RULES
from kubedrift.engine import live as live_state
from kubedrift.engine import workloads as workload_objects
from kubedrift.engine.clock import snapshot_time
from kubedrift.engine.namespaces import elsewhere_message, in_namespace, with_namespaces
from kubedrift.engine.requests import DiffRequest, ScanRequest
from kubedrift.model import Category, Finding, ObjectRef, Report, Severity, ref_of

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress sink that shows nothing."""


async def run_scan(request: ScanRequest, progress: Progress = _quiet) -> Report:
    """Scan desired (if any) and nodes (unless disabled) against a cluster or snapshots."""
    progress("reading desired state")
    desired = load_desired(list(request.desired)) if request.desired else _EMPTY
    objects = [o.obj for o in desired.objects]
    options = diff_options(desired, request)
    if request.snapshots:
        progress("reading snapshots")
        default_ns = request.namespace or context_namespace(request.target) or "default"
        live = live_state.from_snapshots(request.snapshots, default_ns, request.only_namespace)
    else:
        live = await live_state.from_cluster(
            request.target,
            objects,
            namespace=request.namespace,
            only_namespace=request.only_namespace,
            with_nodes=request.check_nodes,
            progress=progress,
        )
    progress(f"comparing {len(objects)} objects")
    compared = _object_findings(objects, live, options, request.only_namespace)
    findings = compared.findings
    objects_checked = len(objects) - compared.skipped
    pools: tuple[Any, ...] = ()
    notes: list[str] = list(compared.notes)
    if live.unserved:
        notes.append(
            f"{len(live.unserved)} desired objects of kinds the cluster does not "
            "serve (CRD not installed?)"
        )
    now = request.now or _judging_time(live, bool(request.snapshots))
    node_findings: tuple[Finding, ...] = ()
    if request.check_nodes:
        progress(f"analysing {len(live.nodes)} nodes")
        analysis = _analyse_nodes(live.nodes, desired, request, now)
        node_findings = analysis.findings
        pools = analysis.pools
        notes += analysis.notes
    if request.check_workloads:
        work = await _workload_objects(request, live, progress)
        progress("analysing AI workloads")
        impact = analyze_workloads(
            work.objects, now=now, nodes=live.nodes, node_findings=node_findings
        )
        node_findings = impact.node_findings
        findings += impact.findings
        notes += work.notes
    findings += node_findings
    return Report(
        findings=rank(findings),
        objects_checked=objects_checked,
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
    return await workload_objects.from_cluster(request.target, progress, request.only_namespace)


def run_diff(request: DiffRequest, progress: Progress = _quiet) -> Report:
    """`kubedrift diff`: two files or folders of objects, no cluster, no node analysis."""
    progress(f"reading {request.desired}")
    desired = load_desired([str(request.desired)])
    progress(f"reading {request.live}")
    default_ns = request.namespace or context_namespace(request.target) or "default"
    live = live_state.from_snapshots([request.live], default_ns)
    objects = [o.obj for o in desired.objects]
    options = diff_options(desired, ScanRequest(config=request.config))
    progress(f"comparing {len(objects)} objects")
    compared = _object_findings(objects, live, options, None)
    return Report(
        findings=rank(compared.findings),
        objects_checked=len(objects) - compared.skipped,
        revision=desired.revision,
        live_source=str(request.live),
        notes=compared.notes,
    )


def diff_options(desired: DesiredSet, request: ScanRequest) -> DiffOptions:
    """Ignore and trust rules from `--config` and KubedriftConfig documents in desired."""
    configs: list[KubedriftConfig] = [load_config(request.config)] if request.config else []
    configs += [parse_config(c.obj, str(c.location)) for c in desired.configs]
    ignore = [e for c in configs for e in c.ignore_differences]
    trusted = [e for c in configs for e in c.trusted_managers]
    return DiffOptions(
        ignore_rules=compile_ignore_rules(ignore),
        trusted_rules=BUILTIN_TRUSTED_RULES + compile_trusted_rules(trusted),
        revision=desired.revision,
    )


@dataclass(frozen=True, slots=True)
class _Compared:
    """Object findings, and desired objects left out of the comparison (`-n`), with notes."""

    findings: list[Finding]
    skipped: int = 0
    notes: tuple[str, ...] = ()


def _object_findings(
    objects: Sequence[dict[str, Any]],
    live: live_state.LiveState,
    options: DiffOptions,
    only_namespace: str | None,
) -> _Compared:
    unserved = {(r.group, r.kind) for r in live.unserved}

    def scope(group: str, kind: str) -> bool | None:
        return live.scope.get((group, kind))

    present, absent_notes = _in_snapshot(objects, live.kinds)
    served = with_namespaces(
        [o for o in present if _group_kind(o) not in unserved], live.default_namespace, scope
    )
    outside = 0
    if only_namespace is not None:
        kept = [o for o in served if in_namespace(o, only_namespace, scope)]
        outside, served = len(served) - len(kept), kept
    findings = diff_objects(
        served,
        live.objects,
        options,
        cluster_scoped=scope,
        default_namespace=live.default_namespace,
    )
    findings = _explain_missing(findings, live)
    findings += [unserved_finding(ref, options.revision) for ref in live.unserved]
    skipped = len(objects) - len(present) + outside
    return _Compared(findings, skipped, absent_notes + _outside_notes(outside, only_namespace))


def _in_snapshot(
    objects: Sequence[dict[str, Any]], kinds: frozenset[tuple[str, str]] | None
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Desired objects of kinds the snapshot holds, and one note per kind it does not hold.

    README's own snapshot, `kubectl get nodes,pods,deployments,jobs -A -o json`, holds no
    ConfigMap: a desired ConfigMap was not looked for, so it is not reported missing.
    """
    if kinds is None:
        return list(objects), ()
    present: list[dict[str, Any]] = []
    absent: dict[tuple[str, str], int] = {}
    for obj in objects:
        key = _group_kind(obj)
        if key in kinds:
            present.append(obj)
        else:
            absent[key] = absent.get(key, 0) + 1
    notes = tuple(
        f"{kind}{f' ({group})' if group else ''} not in the snapshot: "
        f"{plural(count, 'desired object')} not checked"
        for (group, kind), count in absent.items()
    )
    return present, notes


def _outside_notes(skipped: int, namespace: str | None) -> tuple[str, ...]:
    if not skipped:
        return ()
    return (
        f"{skipped} desired objects outside namespace {namespace} (or cluster-scoped) "
        "skipped: -n limits the scan to one namespace, -A reads all",
    )


def _explain_missing(findings: list[Finding], live: live_state.LiveState) -> list[Finding]:
    """Missing objects whose kind and name live in another namespace say which one."""
    missing = [f for f in findings if f.rule == Rule.OBJECT_MISSING.value]
    if not missing:
        return findings
    holding = _holding(missing, live)
    return [_explained(f, holding) for f in findings]


def _explained(
    finding: Finding, holding: dict[tuple[str, str, str, str], tuple[str, ...]]
) -> Finding:
    spaces = holding.get(finding.object.pairing_key())
    if not spaces or finding.rule != Rule.OBJECT_MISSING.value:
        return finding
    ref = finding.object
    return replace(finding, message=elsewhere_message(finding.message, ref.kind, ref.name, spaces))


def _holding(
    missing: list[Finding], live: live_state.LiveState
) -> dict[tuple[str, str, str, str], tuple[str, ...]]:
    """Desired key → the other namespaces where live has that kind and name."""
    if live.elsewhere:  # asked of the cluster
        return {ref.pairing_key(): spaces for ref, spaces in live.elsewhere.items()}
    wanted = {(f.object.group, f.object.kind, f.object.name): f.object for f in missing}
    found: dict[tuple[str, str, str, str], list[str]] = {}
    for obj in live.objects:  # a snapshot: every object is at hand
        ref = ref_of(obj)
        want = wanted.get((ref.group, ref.kind, ref.name))
        if want is not None and ref.namespace and ref.namespace != want.namespace:
            found.setdefault(want.pairing_key(), []).append(ref.namespace)
    return {key: tuple(sorted(set(spaces))) for key, spaces in found.items()}


def plural(count: int, noun: str) -> str:
    """`1 desired object`, `3 desired objects`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


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
    nodes: Iterable[dict[str, Any]], desired: DesiredSet, request: ScanRequest, now: datetime
) -> node_analysis.NodeAnalysis:
    profiles = compile_profiles([(str(p.location), p.obj) for p in desired.profiles])
    options = node_analysis.NodeOptions()
    if request.pool_label:
        options = node_analysis.NodeOptions(pool_label=request.pool_label)
    return node_analysis.analyze_nodes(list(nodes), profiles=profiles, options=options, now=now)


_EMPTY = DesiredSet(objects=(), revision=None, sources=())
