"""The compiled form of `DiffOptions`: rules indexed by kind, pattern trees built once.

Per object, `select` returns the prune state for the walk (server-owned fields, ignore rules
and trusted rules whose condition is already known to hold) and the trusted rules that still
depend on who wrote a field (`managers`), which are checked only on the few fields that differ.
A tree is compiled once per distinct set of applicable rules and reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from kubedrift.diff.last_applied import ANNOTATION
from kubedrift.diff.managed_fields import ManagedFields, manager_matches
from kubedrift.diff.managers import Role, role_of
from kubedrift.diff.options import DiffOptions
from kubedrift.diff.pointers import Path, segment_text
from kubedrift.diff.prune import Pattern, PruneNode, State, build_tree, is_glob, matches_prefix
from kubedrift.diff.selectors import Selector

# Server-owned or identity fields: never compared. Name and namespace identify the object
# (pairing handled them; a cluster-scoped object's namespace is meaningless), and apiVersion
# may legitimately differ (`v1beta1` in Git, `v1` served).
_METADATA_SERVER_FIELDS = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "name",
    "namespace",
)
SERVER_OWNED: tuple[Pattern, ...] = (
    ("apiVersion",),
    ("kind",),
    # Status is written by controllers through the status subresource, for CRs too.
    ("status",),
    ("metadata", "annotations", ANNOTATION),
    *(("metadata", name) for name in _METADATA_SERVER_FIELDS),
)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """An ignore or trusted rule, as the plan uses it."""

    selector: Selector
    pointers: tuple[Pattern, ...]
    managers: tuple[str, ...] = ()
    if_present: tuple[Pattern, ...] = ()
    if_autoscaled: bool = False

    @property
    def unconditional(self) -> bool:
        """True when the rule always applies to the objects it selects."""
        return not (self.managers or self.if_present or self.if_autoscaled)

    @property
    def static(self) -> bool:
        """True when whether it applies depends on group and kind only (and autoscaling)."""
        sel = self.selector
        by_identity = sel.namespace is not None or sel.name is not None or sel.labels is not None
        return not (by_identity or self.if_present)

    def holds_up_front(self, live: Mapping[str, Any] | None, autoscaled: bool) -> bool:
        """True when a condition known before comparing holds (or there is none)."""
        if self.unconditional or (self.if_autoscaled and autoscaled):
            return True
        return live is not None and any(has_path(live, p) for p in self.if_present)

    def trusts(self, path: Path, managed: ManagedFields) -> bool:
        """True when `path` is under one of the pointers and its writer is a listed manager."""
        names = [segment_text(segment) for segment in path]
        for pattern in self.pointers:
            if matches_prefix(pattern, names):
                owner = managed.owner_of(path) or managed.owner_of(path[: len(pattern)])
                if owner is not None and manager_matches(owner.manager, self.managers):
                    return True
        return False


def has_path(obj: Mapping[str, Any], pattern: Pattern) -> bool:
    """True when `obj` has a non-null value at a literal pointer."""
    value: Any = obj
    for segment in pattern:
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return False
    return value is not None


@dataclass(frozen=True, slots=True)
class Selection:
    """The rules of one object: prune state for the walk, manager-conditional rules after."""

    state: State
    by_manager: tuple[CompiledRule, ...]


class Plan:
    """Rules of one `DiffOptions`, indexed by kind, with a cache of compiled trees."""

    def __init__(self, options: DiffOptions) -> None:
        self.rules = tuple(CompiledRule(r.selector, r.pointers) for r in options.ignore_rules)
        self.rules += tuple(
            CompiledRule(r.selector, r.pointers, r.managers, r.if_present, r.if_autoscaled)
            for r in options.trusted_rules
        )
        self._by_kind: dict[str, list[int]] = {}
        self._any_kind: list[int] = []
        for index, rule in enumerate(self.rules):
            kind = rule.selector.kind
            if kind is None or is_glob(kind):
                self._any_kind.append(index)
            else:
                self._by_kind.setdefault(kind, []).append(index)
        self._trees: dict[tuple[int, ...], PruneNode] = {}
        self._candidates: dict[str, tuple[int, ...]] = {}
        self._static: dict[tuple[str, str, bool], Selection] = {}
        self._appliers = tuple(options.applier_managers)
        self._trusted_managers = tuple(m for r in options.trusted_rules for m in r.managers)
        self._roles: dict[tuple[str, str], Role] = {}

    def role_of(self, manager: str, operation: str) -> Role:
        """The role of a managedFields entry under these options (`managers.role_of`), cached."""
        key = (manager, operation)
        found = self._roles.get(key)
        if found is None:
            found = role_of(manager, operation, self._appliers, self._trusted_managers)
            if len(self._roles) < 4096:  # manager names are few; bound it all the same
                self._roles[key] = found
        return found

    def candidates(self, kind: str) -> tuple[int, ...]:
        """Indexes of rules that may select objects of `kind`, in rule order."""
        found = self._candidates.get(kind)
        if found is None:
            found = tuple(sorted(self._by_kind.get(kind, []) + self._any_kind))
            self._candidates[kind] = found
        return found

    def select(
        self, desired: Mapping[str, Any], live: Mapping[str, Any] | None, autoscaled: bool
    ) -> Selection:
        """The rules that apply to one object."""
        group = str(desired.get("apiVersion") or "").rpartition("/")[0]
        kind = str(desired.get("kind") or "")
        static_key = (group, kind, autoscaled)
        found = self._static.get(static_key)
        if found is not None:
            return found
        selection = self._select(_identity(group, kind, desired, live), live, autoscaled)
        if all(self.rules[i].static for i in self.candidates(kind)):
            self._static[static_key] = selection  # the same for every object of this kind
        return selection

    def _select(
        self, identity: Identity, live: Mapping[str, Any] | None, scaled: bool
    ) -> Selection:
        up_front: list[int] = []
        by_manager: list[CompiledRule] = []
        for index in self.candidates(identity[1]):
            rule = self.rules[index]
            if not rule.selector.matches(*identity):
                continue
            if rule.holds_up_front(live, scaled):
                up_front.append(index)
            elif rule.managers:
                by_manager.append(rule)
        return Selection((self.tree(tuple(up_front)),), tuple(by_manager))

    def tree(self, indexes: tuple[int, ...]) -> PruneNode:
        """The compiled tree of server-owned fields plus the given rules (cached)."""
        tree = self._trees.get(indexes)
        if tree is None:
            patterns = [*SERVER_OWNED]
            for index in indexes:
                patterns.extend(self.rules[index].pointers)
            tree = self._trees[indexes] = build_tree(patterns)
        return tree


Identity: TypeAlias = tuple[str, str, str, str, Mapping[str, Any]]
"""(group, kind, namespace, name, labels), as `Selector.matches` takes them."""


def _identity(
    group: str, kind: str, desired: Mapping[str, Any], live: Mapping[str, Any] | None
) -> Identity:
    meta = desired.get("metadata") or {}
    live_meta = (live or {}).get("metadata") or {}
    namespace = str(meta.get("namespace") or live_meta.get("namespace") or "")
    return group, kind, namespace, str(meta.get("name") or ""), meta.get("labels") or {}


_PLANS: dict[int, tuple[DiffOptions, Plan]] = {}
_MAX_PLANS = 32


def plan_for(options: DiffOptions) -> Plan:
    """The plan of `options`, compiled once per options object (looked up by identity)."""
    entry = _PLANS.get(id(options))
    if entry is not None and entry[0] is options:
        return entry[1]
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    plan = Plan(options)
    _PLANS[id(options)] = (options, plan)
    return plan
