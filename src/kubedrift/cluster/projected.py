"""Snapshot Lists read with some kinds projected: only the fields the rules read are built.

A `kubectl get -o json` List of 157,000 objects is decoded in two steps: the List with its
items left as undecoded byte ranges (`msgspec.Raw`: msgspec only finds where each item
ends), then each item on its own — a core `v1` Pod straight into `PodProjection`
(`model/shapes.py`), whose unnamed fields msgspec skips without building them, and every
other object whole, as `read_objects` decodes it. Whole pods of such a snapshot took ~20 KB
of dicts each and most of a scan's time; projected ones a fraction of both.

Results are those of `read_objects`: the same objects (pods reduced), locations and errors.
Anything out of the ordinary falls back to the whole decode, whose checks and messages then
apply: a file that is not JSON, not a List, not valid; an item whose Pod fields do not have
the types Kubernetes gives them (it is decoded whole instead, and validated as usual).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import msgspec

from kubedrift.desired.documents import (
    Location,
    SourcedObject,
    check_object,
    decoder_bounds_depth,
    read_json_bytes,
    read_objects,
    value_line,
)
from kubedrift.model.shapes import PodProjection

__all__ = ["PROJECTED_KINDS", "read_projected"]

PROJECTED_KINDS = frozenset({"Pod"})
"""Core (`v1`) kinds that have a projection."""


class _RawList(TypedDict, total=False):
    """A List whose items are left undecoded."""

    apiVersion: Any
    kind: Any
    items: list[msgspec.Raw]


_LIST = msgspec.json.Decoder(_RawList)
_POD = msgspec.json.Decoder(PodProjection)
_WHOLE = msgspec.json.Decoder()
_SKIP = (msgspec.ValidationError, msgspec.DecodeError, RecursionError)


def read_projected(path: Path, kinds: frozenset[str]) -> list[SourcedObject]:
    """The objects of a snapshot file, those of `kinds` projected (see the module doc)."""
    where, kinds = str(path), kinds & PROJECTED_KINDS
    # Where msgspec does not bound nesting itself, the whole decode walks the value first.
    data = read_json_bytes(path, where) if kinds and decoder_bounds_depth() else None
    head = _list_of(data) if data is not None else None
    if data is None or head is None:
        return read_objects(path)
    try:
        return list(_items(head, Location(where, None, line=value_line(data)), kinds))
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        # Skipping an item as Raw checks neither its UTF-8 nor its depth: an item that
        # fails its own decode is refused by the whole decode, with its usual message.
        return read_objects(path)


def _list_of(data: bytes) -> _RawList | None:
    """The List with raw items; None when `data` is no valid List (the whole decode then
    reads or refuses it, with its own messages)."""
    try:
        head = _LIST.decode(data)
    except _SKIP:
        return None
    kind = head.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and "items" in head):
        return None
    return head


def _items(head: _RawList, location: Location, kinds: frozenset[str]) -> Iterator[SourcedObject]:
    """Each item, validated and filled in from the List as `documents._list_items` does."""
    item_kind = str(head["kind"])[: -len("List")]
    api_version = head.get("apiVersion")
    projected = True  # whether the item before was projected: Lists come grouped by kind
    for index, raw in enumerate(head["items"]):
        item = _decode(raw, item_kind, api_version, kinds, projected)
        projected = not isinstance(item, _Whole)
        item = item if projected else item.obj
        where = Location(location.path, None, index, location.line)
        if item_kind and isinstance(item, dict):
            # `kubectl get pods -o json` items carry neither; they are the list's.
            item.setdefault("kind", item_kind)
            if api_version:
                item.setdefault("apiVersion", api_version)
        check_object(item, where)
        yield SourcedObject(item, where)


class _Whole:
    """An item decoded whole (`_decode` says so to `_items`, which unwraps it)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _decode(
    raw: msgspec.Raw, item_kind: str, api_version: Any, kinds: frozenset[str], guess: bool
) -> Any:
    """A core Pod projected (when asked for), anything else whole (as a `_Whole`).

    `guess` says whether the item is likely projected (the one before was): a List holds
    its kinds in runs, so 5,000 Nodes are decoded once, whole, rather than first tried as a
    projection each; an item that turns out to be a Pod is then decoded again, projected."""
    if not guess:
        whole = _WHOLE.decode(raw)
        if not (isinstance(whole, dict) and _wanted(whole, item_kind, api_version, kinds)):
            return _Whole(whole)
    try:
        pod = _POD.decode(raw)
    except _SKIP:
        return _Whole(_WHOLE.decode(raw))
    if _wanted(pod, item_kind, api_version, kinds):
        return pod
    return _Whole(_WHOLE.decode(raw))


def _wanted(obj: Any, item_kind: str, api_version: Any, kinds: frozenset[str]) -> bool:
    """Whether a decoded item is a core object of a projected kind."""
    kind = obj.get("kind", item_kind)
    version = obj.get("apiVersion", api_version or None)
    return kind in kinds and version == "v1"
