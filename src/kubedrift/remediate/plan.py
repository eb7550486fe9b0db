"""Remediation plans (pure): for each finding, the action that would resolve it.

An action is one of five explicit variants, each a frozen value:

- `Revert`: a server-side-apply body holding ONLY the drifted fields (plus apiVersion, kind,
  metadata.name/namespace), applied with field manager `kubedrift` and `force=true`. Forcing
  takes ownership of exactly the fields in the body: SSA conflicts are per field, so fields
  owned by another manager and absent from the body stay theirs ("Conflicts" and "Using
  server-side apply in a controller", kubernetes.io/docs/reference/using-api/server-side-apply).
  The body carries `metadata.resourceVersion` seen at plan time: the apiserver treats it as a
  precondition and answers 409 Conflict when the object changed since.
- `Recreate`: the whole desired object, for `object-missing`.
- `Prune`: deletion of an extra live object, only where desired opts in with the annotation
  `kubedrift.io/prune: "true"` (the per-resource form of Argo CD's `Prune=true` sync option,
  `argocd.argoproj.io/sync-options: Prune=true`, and of Flux's Kustomization `spec.prune: true`).
  The diff reports no extra objects yet, so no plan holds one today.
- `Adopt`: a suggestion only (apply never carries it out): the live value looks intended; put
  it into Git (`kubedrift adopt`).
- `NoAction`: nothing automatic, with the reason (workload findings, informational rules,
  list order, node findings below the quarantine bar, and a suppressed finding:
  "suppressed until DATE: REASON").
- `Cordon`, `Drain`, `Uncordon`: quarantine of a drifted node and its release (built by
  `remediate.nodes`, which documents the rules: which node findings warrant it, which pods
  a drain may never evict).

Secret values never leave this module in output: `to_json` masks every value under `data` /
`stringData` of a Secret body, and `Revert.printable` is False for them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from kubedrift.diff.pointers import split
from kubedrift.model import MISSING, Category, Finding, ObjectRef, ref_of
from kubedrift.model.rules import ObjectRule

FIELD_MANAGER = "kubedrift"
PRUNE_ANNOTATION = "kubedrift.io/prune"
MASKED = "<masked>"
_SECRET_VALUE_FIELDS = ("data", "stringData")
_REVERTIBLE = {
    ObjectRule.FIELD_CHANGED,
    ObjectRule.FIELD_MISSING,
    ObjectRule.LIST_ITEM_MISSING,
    ObjectRule.DEFAULT_OVERRIDDEN,
}
_ADOPTABLE = {ObjectRule.FIELD_ADDED, ObjectRule.FIELD_REMOVED, ObjectRule.LIST_ITEM_EXTRA}
_POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "Job", "DaemonSet"}
_GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")


class ActionKind(enum.StrEnum):
    """The `action` field of the JSON contract."""

    REVERT = "revert"
    RECREATE = "recreate"
    PRUNE = "prune"
    ADOPT = "adopt"
    NONE = "none"
    CORDON = "cordon"
    DRAIN = "drain"
    UNCORDON = "uncordon"


@dataclass(frozen=True, slots=True)
class Risk:
    """What runs on the object: GPUs and workloads (from the impact analysis or the spec)."""

    level: str = "low"
    gpus: int = 0
    workloads: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The `risk` object of the JSON contract."""
        return {"level": self.level, "gpus": self.gpus, "workloads": list(self.workloads)}


@dataclass(frozen=True, slots=True)
class DryRun:
    """The apiserver's answer to a server-side dry run of one action."""

    ok: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        """`{"ok": ..., "message": ...}`."""
        return {"ok": self.ok, "message": self.message}


@dataclass(frozen=True, slots=True)
class _Base:
    finding: Finding
    risk: Risk = field(default_factory=Risk)
    reason: str = ""

    @property
    def object(self) -> ObjectRef:
        """The object the action is about."""
        return self.finding.object


@dataclass(frozen=True, slots=True)
class Revert(_Base):
    """Server-side apply of the drifted fields back to their desired values."""

    patch: Mapping[str, Any] = field(default_factory=dict)
    secret: bool = False
    dry_run: DryRun | None = None
    kind: ActionKind = ActionKind.REVERT


@dataclass(frozen=True, slots=True)
class Recreate(_Base):
    """Server-side apply of the whole desired object, which is missing live."""

    patch: Mapping[str, Any] = field(default_factory=dict)
    secret: bool = False
    dry_run: DryRun | None = None
    kind: ActionKind = ActionKind.RECREATE


@dataclass(frozen=True, slots=True)
class Prune(_Base):
    """Deletion of a live object desired does not hold, where desired opts in to pruning."""

    kind: ActionKind = ActionKind.PRUNE


@dataclass(frozen=True, slots=True)
class Adopt(_Base):
    """A suggestion: write the live value into Git (never carried out by `apply`)."""

    kind: ActionKind = ActionKind.ADOPT


@dataclass(frozen=True, slots=True)
class NoAction(_Base):
    """Nothing automatic; `reason` says why."""

    kind: ActionKind = ActionKind.NONE


@dataclass(frozen=True, slots=True)
class PodNote:
    """One pod on a node and what a drain does with it (`evict`, `skip` or `hold`), and why."""

    pod: ObjectRef
    uid: str
    fate: str
    why: str
    job: ObjectRef | None = None

    def to_json(self) -> dict[str, Any]:
        """`{"pod", "uid", "fate", "why", "job"}`."""
        return {
            "pod": self.pod.to_json(),
            "uid": self.uid,
            "fate": self.fate,
            "why": self.why,
            "job": self.job.to_json() if self.job is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Cordon(_Base):
    """Cordon the node and taint it `kubedrift.io/drift=<taint>:NoSchedule`; evict nothing.

    `pods` says what a drain would do with each pod (pods held name their job); `covers`
    are the node's other findings this quarantine also answers.
    """

    taint: str = ""
    patch: Mapping[str, Any] = field(default_factory=dict)
    pods: tuple[PodNote, ...] = ()
    covers: tuple[Finding, ...] = ()
    kind: ActionKind = ActionKind.CORDON


@dataclass(frozen=True, slots=True)
class Drain(_Base):
    """Cordon and taint as `Cordon`, then evict the pods marked `evict` (Eviction API)."""

    taint: str = ""
    patch: Mapping[str, Any] = field(default_factory=dict)
    pods: tuple[PodNote, ...] = ()
    covers: tuple[Finding, ...] = ()
    kind: ActionKind = ActionKind.DRAIN

    @property
    def evictions(self) -> tuple[PodNote, ...]:
        """The pods the drain evicts."""
        return tuple(p for p in self.pods if p.fate == "evict")


@dataclass(frozen=True, slots=True)
class Uncordon(_Base):
    """Release a node kubedrift quarantined whose drift resolved.

    `uncordon` False: someone else cordoned the node; only kubedrift's taint goes.
    """

    uncordon: bool = True
    patch: Mapping[str, Any] = field(default_factory=dict)
    kind: ActionKind = ActionKind.UNCORDON


Pointer: TypeAlias = tuple[tuple[str, bool], ...]
"""A path as (segment, names-a-list-element) steps."""
NodeAction: TypeAlias = Cordon | Drain | Uncordon
Action: TypeAlias = Revert | Recreate | Prune | Adopt | NoAction | NodeAction
Writing: TypeAlias = Revert | Recreate


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions for one scan's findings, in the report's order."""

    actions: tuple[Action, ...]

    def writes(self) -> tuple[Writing, ...]:
        """The actions `apply` carries out."""
        return tuple(a for a in self.actions if isinstance(a, Revert | Recreate))

    def node_actions(self) -> tuple[NodeAction, ...]:
        """The node quarantines and releases `apply` carries out."""
        return tuple(a for a in self.actions if isinstance(a, Cordon | Drain | Uncordon))

    def to_json(self) -> dict[str, Any]:
        """`{"schema": "kubedrift/v1", "actions": [...]}`."""
        return {"schema": "kubedrift/v1", "actions": [action_json(a) for a in self.actions]}


def action_json(action: Action) -> dict[str, Any]:
    """One action as the JSON contract shows it; Secret values masked."""
    out: dict[str, Any] = {
        "action": action.kind.value,
        "finding": action.finding.to_json(),
        "object": action.object.to_json(),
        "patch": None,
        "risk": action.risk.to_json(),
        "reason": action.reason,
    }
    if isinstance(action, Revert | Recreate):
        out["patch"] = printable_patch(action)
        out["dry_run"] = action.dry_run.to_json() if action.dry_run is not None else None
    if isinstance(action, Cordon | Drain | Uncordon):
        out["patch"] = dict(action.patch)
    if isinstance(action, Cordon | Drain):
        out["taint"] = f"kubedrift.io/drift={action.taint}:NoSchedule"
        out["pods"] = [p.to_json() for p in action.pods]
        out["covers"] = [f.to_json() for f in action.covers]
    return out


def printable_patch(action: Writing) -> dict[str, Any]:
    """The SSA body with every Secret value replaced by a masked marker (keys kept)."""
    body = dict(action.patch)
    if not action.secret:
        return body
    for name in _SECRET_VALUE_FIELDS:
        if isinstance(body.get(name), Mapping):
            body[name] = dict.fromkeys(body[name], MASKED)
    return body


# --- building --------------------------------------------------------------------------


def build_plan(
    findings: Iterable[Finding],
    desired: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    nodes: Mapping[tuple[str, ...], Action] | None = None,
    releases: Sequence[Action] = (),
) -> Plan:
    """The plan for `findings`, given the desired objects and the live objects they came from.

    `nodes`: the action of each node finding by `Finding.identity()` (`remediate.nodes`);
    `releases`: node releases that answer no current finding, appended at the end.
    """
    desired_by = {ref_of(dict(o)).pairing_key(): o for o in desired}
    live_by = {ref_of(dict(o)).pairing_key(): o for o in live}
    by_node = nodes or {}
    actions = [
        # a suppressed node finding gets no quarantine either: `_action` says why
        (by_node.get(f.identity()) if f.suppression is None else None)
        or _action(f, desired_by.get(f.object.pairing_key()), live_by.get(f.object.pairing_key()))
        for f in findings
    ]
    return Plan((*actions, *releases))


def _action(
    finding: Finding, desired: Mapping[str, Any] | None, live: Mapping[str, Any] | None
) -> Action:
    risk = risk_of(finding, desired or live)
    if finding.suppression is not None:  # accepted drift: nothing automatic until it ends
        s = finding.suppression
        return NoAction(finding, risk, f"suppressed until {s.until.isoformat()}: {s.reason}")
    why_not = _no_action_reason(finding, desired)
    if why_not or desired is None:
        return NoAction(finding, risk, why_not)
    secret = finding.object.kind == "Secret" and finding.object.group == ""
    if finding.rule == ObjectRule.OBJECT_MISSING:
        why = "the object is missing: create it from desired"
        return Recreate(finding, risk, why, _whole(desired, finding.object), secret)
    if finding.rule in _ADOPTABLE:
        why = "set live and not in desired: adopt it into Git (`kubedrift adopt`) or remove it"
        return Adopt(finding, risk, why)
    try:
        pointer, value = field_value(finding, desired)
    except LookupError as err:
        return NoAction(finding, risk, f"cannot build the revert: {err}")
    rv = (live or {}).get("metadata", {}).get("resourceVersion")
    body = revert_body(finding.object, [(pointer, value)], str(rv) if rv else None)
    return Revert(finding, risk, "revert the drifted field to desired", body, secret)


def _no_action_reason(finding: Finding, desired: Mapping[str, Any] | None) -> str:
    """Why nothing automatic resolves `finding` ("" when something does)."""
    if finding.category is Category.NODE:
        return "no node remediation planned: the nodes and their pods were not read"
    if finding.category is Category.WORKLOAD:
        return "a workload finding: fix the workload or what it runs on"
    if desired is None:
        return "the desired object was not found for this finding"
    known = _REVERTIBLE | _ADOPTABLE | {ObjectRule.OBJECT_MISSING}
    return "" if finding.rule in known else f"`{finding.rule}` has no automatic action"


def field_value(finding: Finding, desired: Mapping[str, Any]) -> tuple[Pointer, Any]:
    """The pointer to send (cut at an atomic list) and the desired value there."""
    segments = split(finding.path)
    try:
        return walk(desired, segments)
    except LookupError:
        # A default-overridden field is absent from desired; its default is the finding's value.
        secret = finding.object.kind == "Secret"
        if finding.desired is MISSING or secret:
            raise
        return tuple((s, _is_list_key(s)) for s in segments), finding.desired


def walk(node: Any, segments: tuple[str, ...]) -> tuple[Pointer, Any]:
    """Follow `segments`; stop at a list addressed by position (SSA replaces it whole)."""
    steps: list[tuple[str, bool]] = []
    for i, segment in enumerate(segments):
        if isinstance(node, list):
            if "=" not in segment:
                return tuple(steps), node
            steps.append((segment, True))
            node = _element(node, segment)
            continue
        steps.append((segment, False))
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        else:
            raise LookupError(f"{'/'.join(segments[: i + 1])} is not in desired")
    return tuple(steps), node


def _element(items: list[Any], segment: str) -> Any:
    keys = parse_key(segment)
    for item in items:
        if isinstance(item, Mapping) and all(_same(item.get(k), v) for k, v in keys.items()):
            return item
    raise LookupError(f"no list element {segment}")


def _same(value: Any, text: str) -> bool:
    if isinstance(value, bool):
        return ("true" if value else "false") == text
    return value is not None and str(value) == text


def parse_key(segment: str) -> dict[str, str]:
    """`name=app,protocol=TCP` → {"name": "app", "protocol": "TCP"} (pointers.py escaping)."""
    out: dict[str, str] = {}
    for part in segment.split(","):
        name, eq, value = part.partition("=")
        if not eq:
            raise LookupError(f"{segment!r} is not a list element key")
        out[name] = value.replace("%2C", ",").replace("%3D", "=").replace("%25", "%")
    return out


def revert_body(
    ref: ObjectRef, fields: Iterable[tuple[Pointer, Any]], resource_version: str | None
) -> dict[str, Any]:
    """An SSA body with only `fields` set, list elements named by their key fields."""
    body: dict[str, Any] = _skeleton(ref)
    if resource_version:
        body["metadata"]["resourceVersion"] = resource_version
    for pointer, value in fields:
        _put(body, pointer, value)
    return body


def _skeleton(ref: ObjectRef) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": ref.name}
    if ref.namespace:
        meta["namespace"] = ref.namespace
    return {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": meta}


def _put(body: dict[str, Any], pointer: Pointer, value: Any) -> None:
    """Set `value` at `pointer`, creating maps, and list elements holding their key fields."""
    node: Any = body
    for i, (segment, element) in enumerate(pointer):
        last = i == len(pointer) - 1
        if element:
            node = _list_entry(node, parse_key(segment))
            if last and isinstance(value, Mapping):
                node.update(value)
            continue
        if last:
            node[segment] = value
            return
        node = node.setdefault(segment, [] if pointer[i + 1][1] else {})


def _is_list_key(segment: str) -> bool:
    try:
        parse_key(segment)
    except LookupError:
        return False
    return True


def _list_entry(items: list[dict[str, Any]], keys: dict[str, str]) -> dict[str, Any]:
    for item in items:
        if all(str(item.get(k)) == v for k, v in keys.items()):
            return item
    entry: dict[str, Any] = {k: _typed(v) for k, v in keys.items()}
    items.append(entry)
    return entry


def _typed(text: str) -> Any:
    """A key value back in its JSON type: ports and protocols keys are numbers."""
    return int(text) if text.isdigit() else text


def _whole(desired: Mapping[str, Any], ref: ObjectRef) -> dict[str, Any]:
    body = {k: v for k, v in desired.items() if k != "status"}
    meta = dict(body.get("metadata") or {})
    if ref.namespace:
        meta["namespace"] = ref.namespace
    body["metadata"] = meta
    return body


# --- risk ------------------------------------------------------------------------------


def risk_of(finding: Finding, obj: Mapping[str, Any] | None) -> Risk:
    """GPUs and workloads at stake: the finding's impact, else the object's own pod template."""
    if finding.impact is not None and (finding.impact.gpus or finding.impact.workloads):
        return Risk(_level(finding.impact.gpus), finding.impact.gpus, finding.impact.workloads)
    if obj is None or finding.object.kind not in _POD_TEMPLATE_KINDS:
        return Risk()
    gpus = _template_gpus(obj)
    return Risk(_level(gpus) if gpus else "medium", gpus, (str(finding.object),))


def _template_gpus(obj: Mapping[str, Any]) -> int:
    spec = obj.get("spec") or {}
    pod = ((spec.get("template") or {}).get("spec")) or {}
    per_pod = 0
    containers: Any = pod.get("containers") or []
    if isinstance(containers, Mapping):  # a skeleton built from a path by index (`/0/…`)
        containers = list(containers.values())
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        limits = (container.get("resources") or {}).get("limits") or {}
        per_pod += sum(_int(limits.get(name)) for name in _GPU_RESOURCES)
    replicas = spec.get("replicas", 1) if "replicas" in spec else spec.get("parallelism", 1)
    return per_pod * _int(replicas if replicas is not None else 1)


def _int(value: Any) -> int:
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0


def _level(gpus: int) -> str:
    return "high" if gpus > 0 else "medium"
