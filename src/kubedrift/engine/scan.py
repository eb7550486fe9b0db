"""The scan and diff pipelines: read desired and live, diff objects, analyse nodes and AI
workloads, rank."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubedrift.analysis.ranking import rank
from kubedrift.cluster.projected import PROJECTED_KINDS
from kubedrift.cluster.target import context_namespace
from kubedrift.desired import DesiredSet, load_desired
from kubedrift.diff import DiffOptions, compile_ignore_rules, compile_trusted_rules
from kubedrift.diff.selectors import parse_selector_text
from kubedrift.diff.trusted import BUILTIN_TRUSTED_RULES
from kubedrift.engine import live as live_state
from kubedrift.engine.objects import compare_objects, unserved_finding
from kubedrift.engine.requests import DiffRequest, ScanRequest
from kubedrift.engine.streamed import compare_live_file
from kubedrift.model import Finding, InputError, PoolSummary, Report
from kubedrift.model.gcpause import gc_paused
from kubedrift.model.kube import Node
from kubedrift.model.suppression import Suppression, apply_suppressions

if TYPE_CHECKING:
    from kubedrift.analysis import nodes as node_analysis
    from kubedrift.analysis.options import FactIgnore
    from kubedrift.analysis.user_controls import RuleSwitches
    from kubedrift.desired.config import KubedriftConfig
    from kubedrift.engine import workloads as workload_objects

# Node and workload analysis, and the cluster client, are imported by the steps of a scan
# that use them: `diff` of two files needs none of them (start-up time, issue 18.5).

__all__ = [
    "diff_options",
    "empty_sources",
    "read_live",
    "run_diff",
    "run_scan",
    "unserved_finding",
]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress sink that shows nothing."""


async def run_scan(request: ScanRequest, progress: Progress = _quiet) -> Report:
    """Scan desired (if any) and nodes (unless disabled) against a cluster or snapshots."""
    from kubedrift.analysis.workloads import analyze_workloads
    from kubedrift.engine.access import nodes_not_readable_finding

    progress("reading desired state")
    desired = load_desired(list(request.desired)) if request.desired else _EMPTY
    empty = empty_sources(desired, allow_empty=request.allow_empty)
    desired, unselected = selected(desired, request.selector)
    objects = [o.obj for o in desired.objects]
    options = diff_options(desired, request)
    controls = user_controls(desired, request)
    live = await read_live(request, objects, progress)
    progress(f"comparing {len(objects)} objects")
    compared = compare_objects(desired.objects, live, options, request.only_namespace)
    findings = compared.findings
    notes = [*empty, *unselected, *compared.notes, *_unserved_notes(live)]
    warnings = [*empty, *compared.warnings]
    now = request.now or _judging_time(live, bool(request.snapshots))
    node_findings: tuple[Finding, ...] = ()
    pools: tuple[PoolSummary, ...] = ()
    if request.check_nodes:
        progress(f"analysing {len(live.nodes)} nodes")
        analysis = _analyse_nodes(live.nodes, desired, request, now, controls)
        node_findings = tuple(controls.switches.apply(analysis.findings))
        pools = tuple(analysis.pools)
        notes += analysis.notes
        if live.nodes_forbidden:
            node_findings += (nodes_not_readable_finding(),)
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
        warnings += work.warnings
    ranked = rank(controls.switches.apply([*findings, *node_findings]))
    marked, ended = suppressed(ranked, _configs(desired, request), request.suppressions, request)
    return Report(
        findings=marked,
        objects_checked=len(objects) - compared.skipped,
        nodes_checked=len(live.nodes) if request.check_nodes else 0,
        revision=desired.revision,
        live_source=live.source,
        pools=pools,
        notes=(*notes, *ended),
        warnings=tuple(warnings),
    )


def suppressed(
    findings: Sequence[Finding],
    configs: Sequence[KubedriftConfig],
    stored: Sequence[Suppression],
    request: ScanRequest,
) -> tuple[tuple[Finding, ...], list[str]]:
    """Findings marked with their suppression (configs' and the store's), and a note for
    each config suppression whose day has passed (it no longer applies; remove it).

    Expiry is judged by the wall clock (or `request.now`), not a snapshot's time: a
    suppression ends on a calendar day whatever the age of the data scanned.
    """
    now = request.now or datetime.now(UTC)
    rules = [*(s for c in configs for s in c.suppressions), *stored]
    ended = [f"{s.source or 'a suppression'} expired on {s.until}" for s in rules if s.expired(now)]
    return apply_suppressions(findings, rules, now), ended


async def read_live(
    request: ScanRequest, objects: Sequence[dict[str, Any]], progress: Progress
) -> live_state.LiveState:
    """Live state from the snapshots or the cluster, namespaces as kubectl resolves them."""
    if request.snapshots:
        progress("reading snapshots")
        default_ns = request.namespace or context_namespace(request.target) or "default"
        return live_state.from_snapshots(
            request.snapshots,
            default_ns,
            request.only_namespace,
            request.agent_namespace,
            project=projected_kinds(objects),
        )
    return await live_state.from_cluster(
        request.target,
        objects,
        namespace=request.namespace,
        only_namespace=request.only_namespace,
        with_nodes=request.check_nodes,
        progress=progress,
        agent_namespace=request.agent_namespace,
    )


def projected_kinds(desired: Sequence[dict[str, Any]]) -> frozenset[str]:
    """Kinds a snapshot may read as projections: those with one (Pods) that no desired
    object has, for a desired object is diffed against its whole live counterpart."""
    return PROJECTED_KINDS - {str(o.get("kind") or "") for o in desired}


def _unserved_notes(live: live_state.LiveState) -> list[str]:
    if not live.unserved:
        return []
    count = len(live.unserved)
    return [f"{count} desired objects of kinds the cluster does not serve (CRD not installed?)"]


def empty_sources(desired: DesiredSet, *, allow_empty: bool) -> list[str]:
    """Notes for desired sources that held no object; an error unless `allow_empty`.

    An empty folder or a mistyped path that happens to exist would otherwise compare
    nothing and pass, a green CI run that checked nothing.
    """
    if desired.empty and not allow_empty:
        raise InputError(
            "holds no Kubernetes objects, so nothing would be checked "
            "(pass --allow-empty to accept that)",
            where=desired.empty[0],
        )
    return [f"desired source {spec} holds no Kubernetes objects" for spec in desired.empty]


def selected(desired: DesiredSet, selector: str | None) -> tuple[DesiredSet, list[str]]:
    """The desired objects whose labels `selector` matches (`kubectl diff -l` does the same:
    it filters the objects read from files), and a note counting the others."""
    if not selector:
        return desired, []
    try:
        compiled = parse_selector_text(selector)
    except ValueError as err:
        raise InputError(str(err), where="-l/--selector") from None
    kept = tuple(o for o in desired.objects if compiled.matches(_labels(o.obj)))
    left = len(desired.objects) - len(kept)
    notes = [f"{left} desired objects not matching -l {selector} skipped"] if left else []
    return replace(desired, objects=kept), notes


def _labels(obj: dict[str, Any]) -> dict[str, Any]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


async def _workload_objects(
    request: ScanRequest, live: live_state.LiveState, progress: Progress
) -> workload_objects.WorkloadObjects:
    from kubedrift.engine import workloads as workload_objects

    if request.snapshots:
        return workload_objects.from_snapshot(live.objects)
    return await workload_objects.from_cluster(request.target, progress, request.only_namespace)


def run_diff(request: DiffRequest, progress: Progress = _quiet) -> Report:
    """`kubedrift diff`: two files or folders of objects, no cluster, no node analysis."""
    progress(f"reading {request.desired}")
    with gc_paused():
        # Each desired item gets its location records after the decode; with the collector
        # on, the allocations of that loop set off full passes over every decoded dict
        # (a fifth of a 20,000-object diff). They live for the whole command: frozen, as
        # `load_snapshot` freezes the live side.
        desired = load_desired([str(request.desired)])
        gc.freeze()
    empty = empty_sources(desired, allow_empty=request.allow_empty)
    desired, unselected = selected(desired, request.selector)
    default_ns = request.namespace or context_namespace(request.target) or "default"
    objects = [o.obj for o in desired.objects]
    try:
        options = diff_options(desired, ScanRequest(config=request.config))
    except InputError:
        # A bad live file is named before a bad config, as ever; checked as the diff reads
        # it (streamed, nothing to pair), so a typo in the config of a 100k-object diff
        # costs one pass over the file, not the whole file in memory.
        compare_live_file((), request.live, default_ns, DiffOptions())
        raise
    # A large live JSON List is streamed, each object diffed as it is read (issue 18.2).
    compared = compare_live_file(desired.objects, request.live, default_ns, options, progress)
    configs = _configs(desired, ScanRequest(config=request.config))
    marked, ended = suppressed(
        rank(compared.findings), configs, request.suppressions, ScanRequest(now=request.now)
    )
    return Report(
        findings=marked,
        objects_checked=len(objects) - compared.skipped,
        revision=desired.revision,
        live_source=str(request.live),
        notes=(*empty, *unselected, *compared.notes, *ended),
        warnings=tuple(empty),
    )


def _configs(desired: DesiredSet, request: ScanRequest) -> list[KubedriftConfig]:
    if not (request.config or desired.configs):
        return []  # (no config module to import: most `diff` runs)
    from kubedrift.desired.config import load_config, parse_config

    configs: list[KubedriftConfig] = [load_config(request.config)] if request.config else []
    return configs + [parse_config(c.obj, str(c.location)) for c in desired.configs]


@dataclass(frozen=True, slots=True)
class UserControls:
    """Rule switches, node-fact ignores and suppressions from configs and `--disable-rule`."""

    switches: RuleSwitches
    fact_ignores: tuple[FactIgnore, ...]
    suppressions: tuple[Suppression, ...] = ()


def user_controls(desired: DesiredSet, request: ScanRequest) -> UserControls:
    """The user's rule switches and node-fact ignores; InputError for an unknown rule."""
    from kubedrift.analysis.user_controls import RuleSwitches, disable_rules

    configs = _configs(desired, request)
    switches = RuleSwitches()
    for config in configs:
        switches = switches.merged(config.rules)
    try:
        switches = switches.merged(disable_rules(request.disabled_rules))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return UserControls(
        switches,
        tuple(i for c in configs for i in c.ignore_node_facts),
        tuple(s for c in configs for s in c.suppressions),
    )


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


def _judging_time(live: live_state.LiveState, from_snapshot: bool) -> datetime:
    from kubedrift.engine.clock import snapshot_time

    if from_snapshot:
        return snapshot_time(live.nodes) or datetime.now(UTC)
    return datetime.now(UTC)


def _analyse_nodes(
    nodes: Iterable[Node],
    desired: DesiredSet,
    request: ScanRequest,
    now: datetime,
    controls: UserControls,
) -> node_analysis.NodeAnalysis:
    from kubedrift.analysis import nodes as node_analysis
    from kubedrift.analysis.profiles import compile_profiles

    profiles = compile_profiles([(str(p.location), p.obj) for p in desired.profiles])
    options = node_analysis.NodeOptions(
        pool_label=request.pool_label or None, fact_ignores=controls.fact_ignores
    )
    return node_analysis.analyze_nodes(list(nodes), profiles=profiles, options=options, now=now)


_EMPTY = DesiredSet(objects=(), revision=None, sources=())
