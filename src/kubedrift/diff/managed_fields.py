"""`metadata.managedFields`: who wrote each field of a live object, and when.

A `fieldsV1` set is a tree of keys: `f:<name>` a field, `k:<json>` the element of a keyed list
with those key fields, `v:<json>` the element of a set with that value, `i:<n>` a list position,
and `.` the node itself. A leaf (`{}`) owns that field with its whole value.

Parsing is lazy and cached per entry: most objects of a scan have no finding and never need it.

Two uses:
- attribution: the entry owning a field is the one whose set reaches deepest along the field's
  path (an exact leaf, or an atomic ancestor); ties go to the latest `time`. This walks the
  raw set along one path, without parsing the rest;
- removal detection: an `Apply` entry holds exactly the fields its applier sent, so what it
  owns and desired no longer has was removed from desired. `Update` entries cannot be used
  that way: an Update manager also owns every default the apiserver filled in on that request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, TypeAlias

from kubedrift.diff.pointers import ListKey, Path, Segment
from kubedrift.model.kube import ManagedFieldsEntry, managed_fields_of

FieldKey: TypeAlias = str | tuple[str, Any]


class FieldNode:
    """One node of a parsed fieldsV1 set."""

    __slots__ = ("children", "owned")

    def __init__(self, children: dict[FieldKey, FieldNode], owned: bool) -> None:
        self.children = children
        self.owned = owned

    @property
    def is_leaf(self) -> bool:
        """A leaf owns the field and its whole value (scalars and atomic lists)."""
        return not self.children


@dataclass(frozen=True, slots=True)
class ManagedEntry:
    """One entry of `metadata.managedFields` (its set parsed on demand)."""

    manager: str
    operation: str
    time: str | None
    subresource: str | None
    fields_v1: Mapping[str, Any]


def parse_fields_v1(raw: Mapping[str, Any]) -> FieldNode:
    """Parse a fieldsV1 object into a tree of `FieldNode`s."""
    children: dict[FieldKey, FieldNode] = {}
    owned = False
    for key, sub in raw.items():
        if key == ".":
            owned = True
            continue
        children[parse_key(key)] = parse_fields_v1(sub if isinstance(sub, Mapping) else {})
    return FieldNode(children, owned or not children)


@lru_cache(maxsize=8192)
def parse_key(key: str) -> FieldKey:
    """One fieldsV1 key: `f:x` → "x"; `k:{..}` → ("k", sorted items); `v:` / `i:` tagged."""
    prefix, body = key[:2], key[2:]
    if prefix == "f:":
        return body
    if prefix == "k:":
        fields = json.loads(body)
        return ("k", tuple(sorted((k, _hashable(v)) for k, v in fields.items())))
    if prefix == "v:":
        return ("v", body)
    if prefix == "i:":
        return ("i", int(body))
    return body  # an unknown prefix: keep the key itself, it will simply never match


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def path_key(segment: Segment) -> FieldKey:
    """The fieldsV1 key of one path segment."""
    if isinstance(segment, ListKey):
        return ("k", tuple(sorted(segment.as_dict().items())))
    if isinstance(segment, int):
        return ("i", segment)
    return segment


def manager_matches(manager: str, patterns: Iterable[str]) -> bool:
    """True when a manager name matches one of the glob patterns."""
    return any(fnmatchcase(manager, pattern) for pattern in patterns)


class ManagedFields:
    """The managedFields of one live object, with cached parsed sets."""

    __slots__ = ("_sets", "entries")

    def __init__(self, live: Mapping[str, object] | None) -> None:
        self.entries = tuple(_entry(raw) for raw in managed_fields_of(live))
        self._sets: dict[int, FieldNode] = {}

    def field_set(self, index: int) -> FieldNode:
        """The parsed set of entry `index`."""
        node = self._sets.get(index)
        if node is None:
            node = self._sets[index] = parse_fields_v1(self.entries[index].fields_v1)
        return node

    def owner_of(self, path: Path) -> ManagedEntry | None:
        """The entry owning `path`: deepest covering set, then latest time."""
        best: tuple[int, str] = (0, "")
        owner: ManagedEntry | None = None
        for entry in self.entries:
            rank = (coverage(entry.fields_v1, path), entry.time or "")
            if rank[0] > 0 and rank > best:
                best, owner = rank, entry
        return owner

    def applied_sets(self, managers: Iterable[str]) -> list[tuple[ManagedEntry, FieldNode]]:
        """Sets of `Apply` entries (main resource) whose manager matches `managers`."""
        patterns = tuple(managers)
        return [
            (entry, self.field_set(index))
            for index, entry in enumerate(self.entries)
            if entry.operation == "Apply"
            and not entry.subresource
            and manager_matches(entry.manager, patterns)
        ]


def coverage(fields_v1: Mapping[str, Any], path: Path) -> int:
    """How many segments of `path` a raw fieldsV1 set covers: 0 when it does not own it.

    Walks the raw set along the path only, so attributing one field parses nothing else.
    """
    node, covered = fields_v1, 0
    for depth, segment in enumerate(path, start=1):
        child = _raw_child(node, segment)
        if child is None:
            break
        node = child
        if not child or (depth == len(path) and "." in child):  # a leaf, or the node itself
            covered = depth
    return covered


def _raw_child(node: Mapping[str, Any], segment: Segment) -> Mapping[str, Any] | None:
    if isinstance(segment, str):
        child = node.get("f:" + segment)
    elif isinstance(segment, int):
        child = node.get(f"i:{segment}")
    else:
        wanted = path_key(segment)
        child = next((v for k, v in node.items() if k[:2] == "k:" and parse_key(k) == wanted), None)
    return child if isinstance(child, Mapping) else None


def _entry(raw: ManagedFieldsEntry) -> ManagedEntry:
    fields = raw.get("fieldsV1")
    return ManagedEntry(
        manager=str(raw.get("manager") or ""),
        operation=str(raw.get("operation") or ""),
        time=raw.get("time") or None,
        subresource=raw.get("subresource") or None,
        fields_v1=fields if isinstance(fields, Mapping) else {},
    )
