"""Desired fields the apiserver does not keep: `field-not-served` (info), not `field-missing`.

A field newer than the server, or behind a disabled feature gate, is accepted by the request
and dropped before the object is stored: Kubernetes 1.20 drops a Service's `ipFamilies` and
`ipFamilyPolicy` while the `IPv6DualStack` gate is off (`dropServiceDisabledFields` in the
Service strategy). The apiserver computes the writer's managedFields set *before* the
strategy runs (the create and update handlers call the field manager first), so the
applier's own entry still owns the dropped field — something that never happens otherwise:
any write that removes a field removes it from every manager's set (structured-merge-diff,
`merge.Updater.update`, the `removed` sets). Seen on a real v1.20.2 apiserver:

    kubectl apply  (ipFamilyPolicy: SingleStack)  → live has no ipFamilyPolicy, and the
    kubectl-client-side-apply entry owns f:spec.f:ipFamilyPolicy

So a field desired sets and live lacks, owned exactly by an author's entry (`managers.Role.AUTHOR`,
main resource), was not served: one info finding at the shallowest absent path instead of a
`field-missing` per leaf.

Not covered: an unknown field the decoder drops before anything records it (client-side
apply with `--validate=false` of a field from a newer version; server-side apply rejects it
with "field not declared in schema" instead). It leaves the same traces as a person removing
the field by hand — absent live, in no set — so it stays `field-missing`; only a server-side
dry-run could tell the two apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.managed_fields import ManagedFields, coverage
from kubedrift.diff.managers import Role
from kubedrift.diff.merge_keys import value_at
from kubedrift.diff.normalize import is_absent
from kubedrift.diff.pointers import Path
from kubedrift.model import MISSING

_ABSENT_LIVE = frozenset({Rule.FIELD_MISSING, Rule.LIST_ITEM_MISSING})


def mark_not_served(
    raws: list[RawDiff],
    pair: tuple[Mapping[str, Any], Mapping[str, Any]],
    managed: ManagedFields,
    role_of: Callable[[str, str], Role],
) -> list[RawDiff]:
    """`raws` with each difference the server did not keep replaced by `field-not-served`."""
    if not any(raw.rule in _ABSENT_LIVE for raw in raws):
        return raws
    sets = [
        entry.fields_v1
        for entry in managed.entries
        if entry.subresource is None and role_of(entry.manager, entry.operation) is Role.AUTHOR
    ]
    if not sets:
        return raws
    desired, live = pair
    out: list[RawDiff] = []
    reported: set[Path] = set()
    for raw in raws:
        if raw.rule not in _ABSENT_LIVE or not _owned_exactly(sets, raw.path):
            out.append(raw)
            continue
        top = _absent_top(live, raw.path)
        if top not in reported:
            reported.add(top)
            out.append(RawDiff(top, Rule.FIELD_NOT_SERVED, value_at(desired, top), MISSING))
    return out


def _owned_exactly(sets: list[Mapping[str, Any]], path: Path) -> bool:
    # Exactly: a leaf ancestor (a defaulted `securityContext: {}`) owns the struct, not its
    # fields, and stays owned when a person removes a field below it.
    return any(coverage(fields, path) == len(path) for fields in sets)


def _absent_top(live: Mapping[str, Any], path: Path) -> Path:
    """The shortest prefix of `path` that live lacks: one finding for a dropped subtree."""
    for depth in range(1, len(path) + 1):
        if is_absent(value_at(live, path[:depth])):
            return path[:depth]
    return path
