"""Fields desired does not mention that a person set live: `field-added`, `default-overridden`.

A live field desired leaves out is usually not drift: an API default, a webhook addition, a
controller's field. `managedFields` tell those apart from a person's hand edit (issue 10, 5):

- an `Update` entry owns exactly the fields its writes changed or added (structured-merge-diff,
  `merge.Updater.Update`: the manager's set gains `compare.Modified ∪ compare.Added`), so a
  person's entry (`kubectl-edit`, `kubectl-set`, a script; roles in `managers.py`) owns what
  that person changed and nothing the server filled in;
- API defaults are owned by the creator's `Update` entry (the object is defaulted before the
  apiserver computes the set) or by nobody (server-side apply), admission webhooks' changes
  by the request's manager; both are authors or controllers here, so they stay silent.

So each field a person's entry owns, that live has and desired does not mention, is reported:
a new list element as a whole when the person's entry owns the element itself (`.`), else
each owned leaf. With a known API default (`api_defaults.py`) it is `default-overridden`
with the default as desired; a person's value equal to that default is no drift. Ignore and
trusted rules prune here as everywhere. A Secret key a person added is reported by name with
a keyed hash, never the value.

An unknown client whose entry owns fields of desired with desired's values (half or more of
those it shares with desired) is writing desired — a deploy script, an unlisted GitOps tool —
and its entry, defaults included, is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kubedrift.diff import secrets
from kubedrift.diff.api_defaults import default_of
from kubedrift.diff.canonical import scalars_equal
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.managed_fields import FieldNode, ManagedEntry, ManagedFields
from kubedrift.diff.managers import PEOPLE, Role
from kubedrift.diff.normalize import is_absent
from kubedrift.diff.pointers import Path, segment_text
from kubedrift.diff.prune import State, is_pruned, step
from kubedrift.diff.three_way import child_of
from kubedrift.model import JSON, MISSING

RoleOf = Callable[[str, str], Role]
"""The role of a (manager, operation) (see `managers.role_of`), with the options bound."""


def people_entries(managed: ManagedFields, role_of: RoleOf) -> Iterator[tuple[int, ManagedEntry]]:
    """Entries written by people (any operation; the status subresource is not a person's)."""
    for index, entry in enumerate(managed.entries):
        if entry.subresource != "status" and role_of(entry.manager, entry.operation) is Role.PERSON:
            yield index, entry


def added_by_people(
    pair: tuple[Mapping[str, Any], Mapping[str, Any]],
    managed: ManagedFields,
    role_of: RoleOf,
    state: State,
    secret_key: bytes | None,
) -> list[RawDiff]:
    """Fields people set live that desired (`pair[0]`) does not mention (module docstring).

    `secret_key` is the hash key when the object is a Secret (its values are shown hashed).
    """
    desired, live = pair
    walk = _AddedWalk(str(desired.get("kind") or ""), secret_key is not None)
    for index, entry in people_entries(managed, role_of):
        node = managed.field_set(index)
        if entry.manager not in PEOPLE and _looks_like_author(node, desired, live):
            continue
        walk.node(node, desired, live, (), state)
        if secret_key is not None:
            walk.out.extend(_added_secret_keys(node, desired, live, state, secret_key))
    return walk.out


class _AddedWalk:
    """Walks a person's field set alongside desired and live."""

    __slots__ = ("kind", "out", "secret")

    def __init__(self, kind: str, secret: bool) -> None:
        self.kind, self.secret = kind, secret
        self.out: list[RawDiff] = []

    def node(self, node: FieldNode, desired: JSON, live: JSON, path: Path, state: State) -> None:
        for field_key, child in node.children.items():
            if self.secret and not path and field_key in _VALUES:
                continue  # compared by key, as bytes (`_added_secret_keys`)
            segment, live_value = child_of(live, field_key, path)
            if segment is None or is_absent(live_value):
                continue
            sub = step(state, segment_text(segment)) if state else state
            if sub and is_pruned(sub):
                continue
            wanted = child_of(desired, field_key, path)[1]
            here = (*path, segment)
            if wanted is not MISSING and wanted is not None:
                if child.children:
                    self.node(child, wanted, live_value, here, sub)
            elif child.is_leaf or (isinstance(field_key, tuple) and child.owned):
                self.emit(here, live_value)
            else:
                self.node(child, MISSING, live_value, here, sub)

    def emit(self, path: Path, live: JSON) -> None:
        default = default_of(self.kind, path)
        if default is MISSING:
            self.out.append(RawDiff(path, Rule.FIELD_ADDED, MISSING, live))
        elif not _same_scalar(default, live, path):
            self.out.append(RawDiff(path, Rule.DEFAULT_OVERRIDDEN, default, live))


_VALUES = frozenset(secrets.VALUE_FIELDS)


def _same_scalar(default: JSON, live: JSON, path: Path) -> bool:
    parent = path[-2] if len(path) > 1 else None
    return bool(default == live) or scalars_equal(default, live, path[-1], parent)


def _added_secret_keys(
    node: FieldNode,
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    state: State,
    key: bytes,
) -> list[RawDiff]:
    """Secret keys a person's entry owns that desired has under neither `data` nor `stringData`."""
    owned = {
        name
        for field in secrets.VALUE_FIELDS
        for name in (node.children.get(field) or FieldNode({}, False)).children
        if isinstance(name, str)
    }
    live_values = secrets.secret_values(live)
    out = []
    for name in sorted(owned - secrets.secret_keys(desired)):
        value = live_values.get(name)
        if value is not None and not secrets.key_pruned(state, name):
            shown = secrets.keyed_hash(value, key)
            out.append(RawDiff(("data", name), Rule.FIELD_ADDED, MISSING, shown))
    return out


def _looks_like_author(node: FieldNode, desired: JSON, live: JSON) -> bool:
    """True when half or more of the leaves it shares with desired hold desired's values."""
    shared = equal = 0
    for wanted, have in _shared_leaves(node, desired, live):
        shared += 1
        equal += wanted == have
    return equal > 0 and 2 * equal >= shared


def _shared_leaves(node: FieldNode, desired: JSON, live: JSON) -> Iterator[tuple[JSON, JSON]]:
    """(desired, live) values of the leaves of `node` that desired mentions."""
    for field_key, child in node.children.items():
        wanted = child_of(desired, field_key, ())[1]
        if wanted is MISSING or wanted is None or field_key == "status":
            continue
        have = child_of(live, field_key, ())[1]
        if child.children:
            yield from _shared_leaves(child, wanted, have)
        else:
            yield wanted, have
