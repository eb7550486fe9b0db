"""The object diff: one desired object against its live counterpart, or many paired.

For each pair: select the rules (plan.py), compare desired against live (compare.py), find
fields we set before and removed from desired (three_way.py) and fields people added that
desired leaves out (additions.py), turn what the server does not keep into info
(not_served.py), drop differences a trusted controller's manager wrote, attribute each one
(attribution.py) and build findings (findings.py). Inputs are never mutated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from itertools import chain
from typing import Any

from kubedrift.diff import additions, secrets, three_way
from kubedrift.diff.attribution import Attributor
from kubedrift.diff.compare import Comparer
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.findings import FindingContext, build_finding
from kubedrift.diff.last_applied import last_applied
from kubedrift.diff.managed_fields import FieldNode, ManagedFields
from kubedrift.diff.managers import Role
from kubedrift.diff.not_served import mark_not_served
from kubedrift.diff.options import DiffOptions
from kubedrift.diff.pairing import ClusterScoped, pair_objects
from kubedrift.diff.plan import CompiledRule, Plan, plan_for
from kubedrift.diff.prune import State, is_pruned
from kubedrift.diff.trusted import autoscaled_targets
from kubedrift.model import MISSING, Finding, JSONObject, ObjectRef, ref_of
from kubedrift.model.kube import managed_fields_of

DEFAULT_OPTIONS = DiffOptions()


def diff_object(
    desired: JSONObject,
    live: JSONObject | None,
    options: DiffOptions = DEFAULT_OPTIONS,
    *,
    autoscaled: bool = False,
) -> list[Finding]:
    """Findings for one desired object and its live counterpart (None: not in the cluster).

    `autoscaled` says an HPA or KEDA ScaledObject targets the object (`diff_objects` works
    it out from the objects it is given).
    """
    plan = plan_for(options)
    selection = plan.select(desired, live, autoscaled)
    if is_pruned(selection.state):  # an ignore rule with the pointer "" covers the object
        return []
    secret = secrets.is_secret(desired)
    if live is None:
        missing = RawDiff((), Rule.OBJECT_MISSING, "present", MISSING)
        return [build_finding(missing, _context(desired, None, secret, options), None)]
    pair = _PairDiff(desired, live, selection.state, secret)
    raws = pair.differences(options, plan)
    if not raws:
        return []
    managed = pair.managed()
    raws = mark_not_served(raws, (desired, live), managed, plan.role_of)
    if selection.by_manager and managed.entries:
        raws = [r for r in raws if not _trusted(r, selection.by_manager, managed)]
    ctx = _context(desired, live, secret, options)
    who = Attributor(managed, None if secret else pair.previous(), plan.role_of)
    return [build_finding(raw, ctx, who.of(raw)) for raw in raws]


def _context(
    desired: JSONObject, live: JSONObject | None, secret: bool, options: DiffOptions
) -> FindingContext:
    return FindingContext(_ref(desired, live), secret, options.secret_hash_key, options.revision)


def _ref(desired: JSONObject, live: JSONObject | None) -> ObjectRef:
    """Desired's reference, with live's namespace: the one the object really is in."""
    ref = ref_of(desired)
    if live is None:
        return ref
    return replace(ref, namespace=(live.get("metadata") or {}).get("namespace") or None)


def _trusted(raw: RawDiff, rules: tuple[CompiledRule, ...], managed: ManagedFields) -> bool:
    return any(rule.trusts(raw.path, managed) for rule in rules)


class _PairDiff:
    """The raw differences of one pair; a Secret's values are compared apart, as bytes."""

    __slots__ = (
        "_managed",
        "_previous",
        "desired",
        "desired_fields",
        "live",
        "live_fields",
        "secret",
        "state",
    )

    def __init__(self, desired: JSONObject, live: JSONObject, state: State, secret: bool) -> None:
        self.desired, self.live, self.state, self.secret = desired, live, state, secret
        self.desired_fields = _without_values(desired) if secret else desired
        self.live_fields = _without_values(live) if secret else live
        self._managed: ManagedFields | None = None
        self._previous: Any = MISSING

    def managed(self) -> ManagedFields:
        """Live's managedFields, parsed once and only when needed."""
        if self._managed is None:
            self._managed = ManagedFields(self.live)
        return self._managed

    def previous(self) -> dict[str, Any] | None:
        """The last-applied object of live, decoded once."""
        if self._previous is MISSING:
            self._previous = last_applied(self.live)
        found: dict[str, Any] | None = self._previous
        return found

    def differences(self, options: DiffOptions, plan: Plan) -> list[RawDiff]:
        """Two-way differences first, then three-way removals, then additions; one per path."""
        comparer = Comparer(str(self.desired.get("kind") or ""))
        comparer.compare_maps(self.desired_fields, self.live_fields, (), self.state)
        if self.secret:
            key = options.secret_hash_key
            comparer.compare_secret_values(self.desired, self.live, self.state, key)
        raws = comparer.out
        raws.extend(self.removed(options))
        if _people_wrote(self.live, plan):
            hash_key = options.secret_hash_key if self.secret else None
            pair, managed = (self.desired, self.live), self.managed()
            raws.extend(
                additions.added_by_people(pair, managed, plan.role_of, self.state, hash_key)
            )
        return _first_per_path(raws)

    def removed(self, options: DiffOptions) -> list[RawDiff]:
        """Three-way: removed from desired since the last client-side or server-side apply."""
        want, have, state = self.desired_fields, self.live_fields, self.state
        out: list[RawDiff] = []
        previous = self.previous()
        if previous is not None:
            prev = _without_values(previous) if self.secret else previous
            out.extend(three_way.removed_since_last_apply(prev, want, have, state))
        sets = self.applied_sets(options)
        if sets:
            out.extend(three_way.removed_since_server_side_apply(sets, want, have, state))
        if self.secret:
            key = options.secret_hash_key
            records = (previous, sets)
            out.extend(three_way.removed_secret_keys(records, self.desired, self.live, state, key))
        return out

    def applied_sets(self, options: DiffOptions) -> list[FieldNode]:
        """Field sets of our appliers' server-side `Apply` entries."""
        if not any(e.get("operation") == "Apply" for e in managed_fields_of(self.live)):
            return []  # the common case, decided without parsing anything
        return [node for _entry, node in self.managed().applied_sets(options.applier_managers)]


def _people_wrote(live: JSONObject, plan: Plan) -> bool:
    """Whether a person's entry is among live's managedFields, decided without parsing sets."""
    return any(
        plan.role_of(entry.get("manager") or "", entry.get("operation") or "") is Role.PERSON
        for entry in managed_fields_of(live)
    )


def _without_values(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of a Secret without its values (compared on their own, as bytes)."""
    return {k: v for k, v in obj.items() if k not in secrets.VALUE_FIELDS}


def _first_per_path(raws: list[RawDiff]) -> list[RawDiff]:
    """Drop later differences on a path already reported (two-way wins over three-way)."""
    if len(raws) < 2:
        return raws
    seen: set[Any] = set()
    out = []
    for raw in raws:
        if raw.path not in seen:
            seen.add(raw.path)
            out.append(raw)
    return out


def diff_objects(
    desired: Iterable[JSONObject],
    live: Iterable[JSONObject],
    options: DiffOptions = DEFAULT_OPTIONS,
    *,
    cluster_scoped: ClusterScoped | None = None,
    default_namespace: str = "default",
) -> list[Finding]:
    """Pair desired objects with live ones (`pair_objects`) and diff each pair.

    HPAs and KEDA ScaledObjects among either side mark their targets as autoscaled. For
    large inputs, decode with the collector off and `gc.freeze()` the result first (see
    docs/DESIGN.md, "Performance facts"): otherwise the first collections during the diff rescan
    every decoded object, which doubles the time for 20,000 Deployments.
    """
    desired_objects, live_objects = list(desired), list(live)
    targets = autoscaled_targets(chain(desired_objects, live_objects), default_namespace)
    pairs = pair_objects(
        desired_objects,
        live_objects,
        cluster_scoped=cluster_scoped,
        default_namespace=default_namespace,
    )
    findings: list[Finding] = []
    for want, have in pairs:
        scaled = bool(targets) and target_key(want, have, default_namespace) in targets
        findings.extend(diff_object(want, have, options, autoscaled=scaled))
    return findings


def target_key(
    desired: JSONObject, live: JSONObject | None, namespace: str
) -> tuple[str, str, str]:
    """(namespace, kind, name) of a pair as an autoscaler's target is keyed: the live
    object's metadata when there is one, `namespace` when it names none."""
    meta = (live or desired).get("metadata") or {}
    return (
        str(meta.get("namespace") or namespace),
        str(desired.get("kind") or ""),
        str(meta.get("name") or ""),
    )
