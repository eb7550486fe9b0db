"""Object drift in a scan: which desired objects are compared, and what is said of the rest.

Desired objects get their namespaces (kubectl's rules); those a snapshot cannot speak for
(a kind it holds nothing of), those outside `-n`, those of kinds the cluster does not serve
and those RBAC hides from us are set apart, each with a note or a finding of its own, so a
scan never calls them missing and never passes over them in silence. The rest is diffed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kubedrift.desired import SourcedObject
from kubedrift.diff import CLUSTER_SCOPED_KINDS, ClusterScoped, DiffOptions, Rule, diff_objects
from kubedrift.engine.access import not_readable_finding
from kubedrift.engine.live import LiveState
from kubedrift.engine.namespaces import elsewhere_message, in_namespace, with_namespaces
from kubedrift.model import Category, Finding, ObjectRef, Severity, SourceLocation, ref_of
from kubedrift.model.rules import AccessRule


@dataclass(frozen=True, slots=True)
class Compared:
    """Object findings; desired objects not compared (`skipped`), with notes saying why.

    `warnings` are the notes that mean the result is incomplete (RBAC hid kinds from us).
    """

    findings: list[Finding]
    skipped: int = 0
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def compare_objects(
    desired: Sequence[SourcedObject],
    live: LiveState,
    options: DiffOptions,
    only_namespace: str | None,
) -> Compared:
    """Diff the desired objects that can be compared; say what became of the others.

    Every object finding names where its desired document came from (`Finding.source`).
    """
    objects = [o.obj for o in desired]
    unserved = {(r.group, r.kind) for r in live.unserved}

    def scope(group: str, kind: str) -> bool | None:
        return live.scope.get((group, kind))

    present, absent_notes = in_snapshot(objects, live.kinds)
    served = with_namespaces(
        [o for o in present if group_kind(o) not in unserved], live.default_namespace, scope
    )
    outside = 0
    if only_namespace is not None:
        kept = [o for o in served if in_namespace(o, only_namespace, scope)]
        outside, served = len(served) - len(kept), kept
    if live.forbidden:
        hidden = {ref.pairing_key() for ref in live.forbidden}
        served = [o for o in served if _pair_key(o, scope) not in hidden]
    findings = diff_objects(
        served,
        live.objects,
        options,
        cluster_scoped=scope,
        default_namespace=live.default_namespace,
    )
    findings = explain_missing(findings, live)
    findings += [unserved_finding(ref, options.revision) for ref in live.unserved]
    findings += [not_readable_finding(r, p, options.revision) for r, p in live.forbidden.items()]
    findings = located(findings, desired, scope, live.default_namespace)
    skipped = len(objects) - len(present) + outside
    notes = absent_notes + _outside_notes(outside, only_namespace)
    return Compared(findings, skipped, notes + _forbidden_notes(live), _forbidden_notes(live))


Key = tuple[str, str, str, str]


def _pair_key(obj: dict[str, Any], scope: ClusterScoped, default_namespace: str = "") -> Key:
    """group, kind, namespace ("" when cluster-scoped; `default_namespace` when none), name."""
    ref = ref_of(obj)
    return _ref_key(ref, scope, default_namespace)


def _ref_key(ref: ObjectRef, scope: ClusterScoped, default_namespace: str = "") -> Key:
    scoped = scope(ref.group, ref.kind)
    if scoped or (scoped is None and (ref.group, ref.kind) in CLUSTER_SCOPED_KINDS):
        return (ref.group, ref.kind, "", ref.name)
    return (ref.group, ref.kind, ref.namespace or default_namespace, ref.name)


def located(
    findings: list[Finding],
    desired: Sequence[SourcedObject],
    scope: ClusterScoped,
    default_namespace: str,
) -> list[Finding]:
    """Object findings with the place their desired document was read from."""
    if not findings:
        return findings
    wanted = {_ref_key(f.object, scope) for f in findings if f.category is Category.OBJECT}
    where: dict[Key, SourceLocation] = {}
    for sourced in desired:
        key = _pair_key(sourced.obj, scope, default_namespace)
        if key in wanted:
            where[key] = source_location(sourced)
    return [_with_source(f, where.get(_ref_key(f.object, scope))) for f in findings]


def _with_source(finding: Finding, source: SourceLocation | None) -> Finding:
    if source is None or finding.category is not Category.OBJECT:
        return finding
    return replace(finding, source=source)


def source_location(sourced: SourcedObject) -> SourceLocation:
    """The model's `SourceLocation` of a desired object."""
    loc = sourced.location
    return SourceLocation(
        file=loc.file or loc.path,
        line=loc.line,
        document=loc.document,
        item=loc.item,
        revision=sourced.revision,
    )


def _forbidden_notes(live: LiveState) -> tuple[str, ...]:
    notes = []
    if live.forbidden:
        plurals = sorted(set(live.forbidden.values()))
        notes.append(
            f"RBAC does not let kubedrift read {', '.join(plurals)}: "
            f"{plural(len(live.forbidden), 'desired object')} not checked (kind-not-readable)"
        )
    if live.nodes_forbidden:
        notes.append("RBAC does not let kubedrift list nodes: no node was checked")
    return tuple(notes)


def in_snapshot(
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
        key = group_kind(obj)
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


def explain_missing(findings: list[Finding], live: LiveState) -> list[Finding]:
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
    missing: list[Finding], live: LiveState
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


def group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    """(API group, kind) of an object, as snapshots and served kinds are keyed."""
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
        rule=AccessRule.KIND_NOT_SERVED.value,
        message=f"the cluster serves no {ref.kind} at {ref.api_version} (CRD not installed?)",
        revision=revision,
    )
