"""Fields we set before, removed from desired, and still live (three-way comparison).

Live fields desired does not mention are normally not drift (defaults, webhooks, other
managers). The exception is a field our own applier set: removing it from Git means "remove it
from the cluster", and `kubectl apply` would do so. Two records of what we set:

- client-side apply: the `kubectl.kubernetes.io/last-applied-configuration` annotation holds
  the whole object as last applied (`last_applied.py` reads it);
- server-side apply: the `Apply` entry of our applier in `managedFields` holds exactly the
  fields it sent (see `managed_fields.py` for why `Update` entries cannot serve).

A field counts when it is in the record, desired no longer has it, and live still has a value
for it; the finding shows live's value. Pruned paths (server-owned, ignore and trusted rules)
are skipped here exactly as in the two-way comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from kubedrift.diff import secrets
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.managed_fields import FieldKey, FieldNode
from kubedrift.diff.merge_keys import (
    KeySpec,
    element_key,
    key_from_fields,
    key_spec,
    key_value,
    keyed_lists,
    list_key,
)
from kubedrift.diff.normalize import is_absent, is_vacuous
from kubedrift.diff.pointers import Path, Segment, segment_text
from kubedrift.diff.prune import State, is_pruned, step
from kubedrift.model import JSON, MISSING


def removed_since_last_apply(
    previous: Mapping[str, Any], desired: Mapping[str, Any], live: Mapping[str, Any], state: State
) -> list[RawDiff]:
    """Fields in the last-applied object, not in desired, still live."""
    out: list[RawDiff] = []
    _PreviousWalk(out).maps(previous, desired, live, (), state)
    return out


class _PreviousWalk:
    """Walks the last-applied object alongside desired and live."""

    __slots__ = ("out",)

    def __init__(self, out: list[RawDiff]) -> None:
        self.out = out

    def maps(
        self,
        previous: Mapping[str, Any],
        desired: Mapping[str, Any],
        live: Mapping[str, Any],
        path: Path,
        state: State,
    ) -> None:
        for key, prev in previous.items():
            live_value = live.get(key, MISSING)
            desired_value = desired.get(key, MISSING)
            if prev is None or prev == desired_value or is_absent(live_value):
                continue
            sub = step(state, key) if state else state
            if not (sub and is_pruned(sub)):
                self.value(prev, desired_value, live_value, (*path, key), sub)

    def value(self, prev: JSON, desired: JSON, live: JSON, path: Path, state: State) -> None:
        gone = desired is MISSING or desired is None
        if isinstance(prev, dict) and isinstance(live, dict):
            if gone or isinstance(desired, dict):
                self.maps(prev, {} if gone else desired, live, path, state)
        elif isinstance(prev, list) and isinstance(live, list):
            if gone or isinstance(desired, list):
                self.lists(prev, MISSING if gone else desired, live, path, state)
        elif gone and not is_vacuous(prev):
            self.out.append(RawDiff(path, Rule.FIELD_REMOVED, MISSING, live))

    def lists(
        self, prev: list[Any], desired: list[Any], live: list[Any], path: Path, state: State
    ) -> None:
        """Keyed lists element by element; an atomic list only when desired dropped it.

        `desired` is MISSING when desired no longer has the list at all.
        """
        gone = desired is MISSING
        keyed = keyed_lists(path[-1], prev, [] if gone else desired, live)
        if keyed is not None:
            spec, (prev_keys, desired_keys, live_keys) = keyed
            self.keyed(
                spec,
                zip(prev_keys, prev, strict=True),
                dict(zip(desired_keys, [] if gone else desired, strict=True)),
                dict(zip(live_keys, live, strict=True)),
                (path, state),
            )
        elif gone and not is_vacuous(prev):  # an atomic list desired dropped entirely
            self.out.append(RawDiff(path, Rule.FIELD_REMOVED, MISSING, live))

    def keyed(
        self,
        spec: KeySpec,
        prev: Iterable[tuple[Any, Any]],
        desired: dict[Any, Any],
        live: dict[Any, Any],
        where: tuple[Path, State],
    ) -> None:
        """Elements of a keyed list: removed ones reported, common ones walked."""
        path, state = where
        for position, (key, item) in enumerate(prev):
            live_item = live.get(key, MISSING)
            desired_item = desired.get(key, MISSING)
            if live_item is MISSING or item == desired_item:
                continue
            segment = list_key(spec, key)
            sub = step(state, segment.render(), str(position)) if state else state
            if sub and is_pruned(sub):
                continue
            if desired_item is MISSING:
                self.out.append(RawDiff((*path, segment), Rule.FIELD_REMOVED, MISSING, live_item))
            elif isinstance(item, dict) and isinstance(desired_item, dict):
                self.maps(item, desired_item, live_item, (*path, segment), sub)


def removed_since_server_side_apply(
    field_sets: Iterable[FieldNode],
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    state: State,
) -> list[RawDiff]:
    """Fields owned by our `Apply` entries, not in desired, still live."""
    walk = _SetWalk([])
    for node in field_sets:
        walk.node(node, desired, live, (), state)
    return walk.out


class _SetWalk:
    """Walks an `Apply` entry's field set alongside desired and live."""

    __slots__ = ("out",)

    def __init__(self, out: list[RawDiff]) -> None:
        self.out = out

    def node(self, node: FieldNode, desired: JSON, live: JSON, path: Path, state: State) -> None:
        for field_key, child in node.children.items():
            segment, live_value = child_of(live, field_key, path)
            if segment is None or is_absent(live_value):
                continue
            sub = step(state, segment_text(segment)) if state else state
            if not (sub and is_pruned(sub)):
                desired_value = child_of(desired, field_key, path)[1]
                self.child(child, desired_value, live_value, (*path, segment), sub)

    def child(self, node: FieldNode, desired: JSON, live: JSON, path: Path, state: State) -> None:
        if desired is not MISSING and desired is not None:
            if node.children:
                self.node(node, desired, live, path, state)
        elif node.children and isinstance(path[-1], str) and isinstance(live, dict | list):
            # Report each field or element still live, not the whole subtree at once.
            self.node(node, type(live)(), live, path, state)
        else:
            self.out.append(RawDiff(path, Rule.FIELD_REMOVED, MISSING, live))


def child_of(container: JSON, field_key: FieldKey, path: Path) -> tuple[Segment | None, JSON]:
    """The path segment and value a fieldsV1 key names inside `container` (under `path`)."""
    if isinstance(field_key, str):
        if isinstance(container, dict):
            return field_key, container.get(field_key, MISSING)
        return field_key, MISSING
    if not isinstance(container, list):
        return None, MISSING
    tag, body = field_key
    for index, item in enumerate(container):
        if _element_matches(tag, body, index, item):
            return _element_segment(tag, body, index, item, path), item
    return None, MISSING


def _element_matches(tag: str, body: Any, index: int, item: JSON) -> bool:
    if tag == "k":
        return isinstance(item, dict) and all(
            key_value(field, item.get(field)) == key_value(field, value) for field, value in body
        )
    if tag == "v":
        return bool(item == json.loads(body))
    return bool(tag == "i" and index == body)


def _element_segment(tag: str, body: Any, index: int, item: JSON, path: Path) -> Segment:
    if tag != "k":
        return index
    name = path[-1] if path else None
    spec = key_spec(name, [item], [item])
    return element_key(spec, item) if spec is not None else key_from_fields(dict(body), name)


def removed_secret_keys(
    records: tuple[Mapping[str, Any] | None, Iterable[FieldNode]],
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    state: State,
    hash_key: bytes,
) -> list[RawDiff]:
    """Secret keys we set before (last-applied, `Apply` sets), gone from desired, still live.

    Only the keys of the records are read; the finding shows a keyed hash of live's value.
    """
    previous, field_sets = records
    before = secrets.secret_keys(previous) if previous is not None else set()
    for node in field_sets:
        before.update(_owned_secret_keys(node))
    live_values = secrets.secret_values(live)
    out = []
    for name in sorted(before - secrets.secret_keys(desired)):
        value = live_values.get(name)
        if value is not None and not secrets.key_pruned(state, name):
            shown = secrets.keyed_hash(value, hash_key)
            out.append(RawDiff(("data", name), Rule.FIELD_REMOVED, MISSING, shown))
    return out


def _owned_secret_keys(node: FieldNode) -> set[str]:
    out: set[str] = set()
    for field in secrets.VALUE_FIELDS:
        child = node.children.get(field)
        if child is not None:
            out.update(key for key in child.children if isinstance(key, str))
    return out
