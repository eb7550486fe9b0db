"""Which lists are compared by key, and the key of each element.

Kubernetes merges many lists by key (the `patchMergeKey` / `listMapKeys` markers of
`k8s.io/api`): containers and env by `name`, container ports by `containerPort`+`protocol`,
volume mounts by `mountPath` (not `name`: one volume is often mounted several times with
different `subPath`s). Such a list is compared element by element, matched by key, so a
reordered list is not drift. Two kinds of keyed list:

- MERGE lists: a strategic-merge patch merges into them, so elements that live has and desired
  does not mention (an injected sidecar, an env var a webhook added) are not drift;
- SET lists: atomic for the apiserver (desired replaces the whole list) but compared without
  order, because order carries no meaning or the server reorders them (Endpoints addresses and
  ports are sorted by the apiserver's `RepackSubsets`; tolerations are matched as a whole).
  An element live has and desired does not is drift.

The table is by field name; an entry applies only when every element of both sides is an
object holding the required key fields and keys are unique, otherwise the list falls back to
an atomic, positional comparison (a CRD reusing the name `ports` for something else).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.diff.canonical import PORT_FIELDS, STRING_FIELDS, canonical_scalar
from kubedrift.diff.pointers import ListKey, Scalar, Segment
from kubedrift.model import MISSING


class ListKind(enum.Enum):
    """How elements missing from desired are treated."""

    MERGE = "merge"
    SET = "set"


@dataclass(frozen=True, slots=True)
class KeySpec:
    """Key fields of one list (in rendering order) and which of them must be present."""

    fields: tuple[str, ...]
    required: tuple[str, ...]
    kind: ListKind = ListKind.MERGE

    @property
    def canonical(self) -> bool:
        """True when a key field has a canonical form (a port number, a string value)."""
        return not _CANONICAL_FIELDS.isdisjoint(self.fields)


_CANONICAL_FIELDS = PORT_FIELDS | STRING_FIELDS


def _merge(*fields: str) -> KeySpec:
    return KeySpec(fields, fields[:1])


_BY_NAME = _merge("name")

# Field name -> candidate key specs, first applicable wins (container ports before Service ports).
KEY_TABLE: Mapping[str, tuple[KeySpec, ...]] = {
    "containers": (_BY_NAME,),
    "initContainers": (_BY_NAME,),
    "ephemeralContainers": (_BY_NAME,),
    "env": (_BY_NAME,),
    "volumes": (_BY_NAME,),
    "imagePullSecrets": (_BY_NAME,),
    "resourceClaims": (_BY_NAME,),
    "schedulingGates": (_BY_NAME,),
    "webhooks": (_BY_NAME,),
    "volumeMounts": (_merge("mountPath"),),
    "volumeDevices": (_merge("devicePath"),),
    "resizePolicy": (_merge("resourceName"),),
    "hostAliases": (_merge("ip"),),
    "ownerReferences": (_merge("uid"),),
    "conditions": (_merge("type"),),
    "topologySpreadConstraints": (_merge("topologyKey", "whenUnsatisfiable"),),
    "ports": (
        _merge("containerPort", "protocol"),
        KeySpec(("port", "protocol"), ("port",), ListKind.SET),
    ),
    "tolerations": (KeySpec(("key", "operator", "value", "effect"), (), ListKind.SET),),
    "addresses": (KeySpec(("ip",), ("ip",), ListKind.SET),),
    "notReadyAddresses": (KeySpec(("ip",), ("ip",), ListKind.SET),),
}

# Service ports are merged by port+protocol in SMD, but Endpoints ports are atomic; both are
# compared without order, and a Service port live has and desired lacks is drift either way
# (nothing injects Service ports), so one SET entry serves both.

# Every key field of a list, whichever spec applies (for normalization).
KEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys(f for spec in specs for f in spec.fields))
    for name, specs in KEY_TABLE.items()
}

# Key fields the apiserver defaults: a key written without them must still match live.
KEY_DEFAULTS: Mapping[str, Scalar] = {"protocol": "TCP", "operator": "Equal"}

# Init containers run one after another: their order is behaviour, not presentation.
ORDERED_LISTS = frozenset({"initContainers"})

# Sets of strings merged by value: controllers add their own finalizers (PVC protection,
# foreground deletion, operators), which are not drift of a desired list.
SCALAR_MERGE_SETS = frozenset({"finalizers"})


def key_spec(name: object, desired: Sequence[Any], live: Sequence[Any]) -> KeySpec | None:
    """The key spec for list `name` when it applies to both sides, else None (atomic)."""
    found = keyed_lists(name, desired, live)
    return found[0] if found is not None else None


def keyed_lists(name: object, *lists: Sequence[Any]) -> tuple[KeySpec, list[list[Any]]] | None:
    """The first key spec of list `name` that applies to all `lists`, with their item keys.

    An item key is the value of the single key field, or a tuple of the values (defaults
    filled in); None when no spec applies (the lists are then atomic).
    """
    if not isinstance(name, str):
        return None
    for spec in KEY_TABLE.get(name, ()):
        keys: list[list[Any]] = []
        for items in lists:
            found = item_keys(spec, items)
            if found is None:
                break
            keys.append(found)
        else:
            return spec, keys
    return None


def item_keys(spec: KeySpec, items: Sequence[Any]) -> list[Any] | None:
    """The key of each item, or None when an item lacks a key field or two keys collide.

    Key values are in canonical form (`"8080"` is port 8080), defaults filled in.
    """
    single = spec.fields[0] if len(spec.fields) == 1 and not spec.canonical else None
    required = spec.required
    keys = []
    for item in items:
        if type(item) is not dict:
            return None
        for field in required:  # a plain loop: this runs for every element of every list
            if field not in item:
                return None
        keys.append(item[single] if single is not None else _tuple_key(spec, item))
    try:
        unique = len(set(keys)) == len(keys)
    except TypeError:  # an unhashable key value: not a list Kubernetes keys
        return None
    return keys if unique else None


def _tuple_key(spec: KeySpec, item: Mapping[str, Any]) -> Any:
    key = tuple(key_value(f, item.get(f)) for f in spec.fields)
    return key if len(key) > 1 else key[0]


def key_value(field: str, value: Any) -> Any:
    """A key field's value in canonical form; null or absent is the apiserver's default."""
    if value is None:
        return KEY_DEFAULTS.get(field)
    return canonical_scalar(value, field, None)


def list_key(spec: KeySpec, key: Any) -> ListKey:
    """The ListKey (path segment) of an item key returned by `item_keys`."""
    values = (key,) if len(spec.fields) == 1 else key
    return ListKey(tuple(zip(spec.fields, values, strict=True)))


def element_key(spec: KeySpec, item: Mapping[str, Any]) -> ListKey:
    """The key of one element, with the apiserver's defaults for absent key fields."""
    values = (key_value(f, item.get(f)) for f in spec.fields)
    return ListKey(tuple(zip(spec.fields, values, strict=False)))


def key_from_fields(fields: Mapping[str, Any], list_name: object) -> ListKey:
    """A ListKey from fieldsV1 `k:{...}` fields, in the table's order when the list is known."""
    specs = KEY_TABLE.get(list_name, ()) if isinstance(list_name, str) else ()
    for spec in specs:
        if set(fields) <= set(spec.fields):
            return ListKey(tuple((f, fields.get(f)) for f in spec.fields))
    return ListKey(tuple(sorted(fields.items())))


def value_at(obj: Any, path: Sequence[Segment]) -> Any:
    """The value at `path` inside `obj` (a keyed element found by its key), or MISSING."""
    value = obj
    for segment in path:
        value = _step_into(value, segment)
        if value is MISSING:
            break
    return value


def _step_into(value: Any, segment: Segment) -> Any:
    if isinstance(segment, str):
        return value.get(segment, MISSING) if isinstance(value, dict) else MISSING
    if not isinstance(value, list):
        return MISSING
    if isinstance(segment, int):
        return value[segment] if 0 <= segment < len(value) else MISSING
    wanted = segment.as_dict()
    for item in value:
        if isinstance(item, dict) and all(
            key_value(f, item.get(f)) == key_value(f, v) for f, v in wanted.items()
        ):
            return item
    return MISSING
