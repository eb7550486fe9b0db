"""Normalized objects: when two differently written JSON objects mean the same to Kubernetes.

Each step is one Kubernetes quirk; the comparison applies them lazily, only where the raw
values differ, and `normalize_object` applies all of them to make a canonical copy (used for
display, tests and the idempotence property). Inputs are never mutated.

- empty ≡ absent: the apiserver omits `null`, `""`, `[]`, `{}`, `false` and `0` for fields
  tagged `omitempty` (e.g. `readOnly: false`, `initialDelaySeconds: 0`, `args: []`), so a
  desired empty value matches a missing live field. (A pointer field keeps its zero value in
  live, so a live `0` vs desired absent never reaches this rule.)
- scalars in canonical form (canonical.py): quantities by value, int-or-string ports, YAML
  scalars in string fields;
- keyed list elements keep their key fields, defaults included (`protocol: TCP`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubedrift.diff.canonical import canonical_scalar
from kubedrift.diff.merge_keys import element_key, key_spec
from kubedrift.model import JSON, MISSING


def is_vacuous(value: JSON) -> bool:
    """True for what the apiserver omits: absent, null, "", false, 0, [] and {} (deeply)."""
    if value is None or value is MISSING or value is False or value == "":
        return True
    kind = type(value)
    if kind is int or kind is float:
        return bool(value == 0)
    if kind is list:
        return not value
    if kind is dict:
        return all(is_vacuous(v) for v in value.values())
    return False


def is_absent(value: JSON) -> bool:
    """True when a live field is gone: absent, null or an empty string or collection.

    Narrower than `is_vacuous`: a live `0` or `false` is a value someone set
    (`replicas: 0`), so a three-way check must still see it.
    """
    return value is None or value is MISSING or (type(value) in _EMPTYABLE and len(value) == 0)


_EMPTYABLE = (str, list, dict)


def normalize_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical copy of an object: empty values dropped, scalars in canonical form.

    Server-owned fields are not removed here: that depends on the rules of a diff.
    """
    return _normalize_map(obj, None)


def _normalize_map(obj: Mapping[str, Any], name: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        norm = _normalize(value, key, name)
        if not is_vacuous(norm):
            out[key] = norm
    return out


def _normalize(value: JSON, key: object, parent: object) -> JSON:
    if isinstance(value, Mapping):
        return _normalize_map(value, key)
    if isinstance(value, list):
        return _normalize_list(value, key)
    return canonical_scalar(value, key, parent)


def _normalize_list(items: list[Any], name: object) -> list[Any]:
    out = [_normalize(item, None, name) for item in items]
    keyed, sources = key_spec(name, items, ()), items
    if keyed is None:  # normalizing may make a list keyable (an unhashable empty key dropped)
        keyed, sources = key_spec(name, out, ()), out
    if keyed is None:
        return out
    # Keep key fields, defaults included, even when empty: the key is the element's identity.
    return [
        _with_key(item, element_key(keyed, src).as_dict())
        for item, src in zip(out, sources, strict=True)
    ]


def _with_key(item: JSON, key: Mapping[str, Any]) -> JSON:
    if isinstance(item, dict):
        return {**key, **item}
    return item
