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
- elements of keyed lists keep their key fields as written, even empty ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubedrift.diff.canonical import canonical_scalar
from kubedrift.diff.merge_keys import KEY_FIELDS
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
    key_fields = KEY_FIELDS.get(name, ()) if isinstance(name, str) else ()
    return [_normalize_item(item, name, key_fields) for item in items]


def _normalize_item(item: JSON, name: object, key_fields: tuple[str, ...]) -> JSON:
    out = _normalize(item, None, name)
    if key_fields and isinstance(item, dict):
        # Key fields stay as written even when empty: they are the element's identity.
        out.update({f: _normalize(item[f], f, None) for f in key_fields if f in item})
    return out
