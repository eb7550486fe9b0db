"""Canonical scalar values: when two differently written scalars mean the same to Kubernetes.

- quantities by value wherever Kubernetes uses `resource.Quantity` (resources, node capacity,
  quotas, LimitRange, emptyDir `sizeLimit`, `resourceFieldRef.divisor`, Kueue quotas);
- int-or-string ports: `"8080"` and `8080` name the same port;
- string maps (labels, annotations, nodeSelector, ConfigMap data) and string fields (env and
  toleration `value`): YAML writes `enabled: true` or `replicas: 2` unquoted, Helm and
  kustomize turn them into strings, so the JSON scalar and its YAML string form are equal
  there. Nowhere else is a boolean equal to a string: Kubernetes does not coerce types, and a
  CRD field that changed type is drift.

The context is the field's own name and the name of the map holding it.
"""

from __future__ import annotations

from kubedrift.diff import quantities
from kubedrift.model import JSON

# Maps whose values are all quantities (resources, node capacity, quotas, LimitRange, Kueue).
QUANTITY_MAPS = frozenset(
    {
        "limits",
        "requests",
        "capacity",
        "allocatable",
        "hard",
        "used",
        "min",
        "max",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
        "overhead",
        "podFixed",
    }
)
# Single fields holding a quantity (emptyDir, resourceFieldRef, Kueue flavor quotas).
QUANTITY_FIELDS = frozenset(
    {"sizeLimit", "divisor", "nominalQuota", "borrowingLimit", "lendingLimit"}
)
PORT_FIELDS = frozenset({"port", "targetPort", "containerPort", "hostPort", "nodePort"})
STRING_MAPS = frozenset({"labels", "annotations", "nodeSelector", "matchLabels", "data"})
STRING_FIELDS = frozenset({"value"})


def yaml_string(value: JSON) -> JSON:
    """The string a YAML scalar becomes in a string field: `true`, `2`, `1.5`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def is_quantity_context(key: object, parent: object) -> bool:
    """True when the field `key` inside the object under `parent` holds a quantity."""
    return parent in QUANTITY_MAPS or key in QUANTITY_FIELDS


def scalars_equal(desired: JSON, live: JSON, key: object, parent: object) -> bool:
    """Whether two scalars mean the same value for the field `key` (under `parent`)."""
    if desired == live and type(desired) is not bool and type(live) is not bool:
        return True
    if type(desired) is bool or type(live) is bool:
        return _string_context(key, parent) and yaml_string(desired) == yaml_string(live)
    if is_quantity_context(key, parent):
        return quantities.quantities_equal(desired, live)
    if key in PORT_FIELDS:
        return bool(_port_form(desired) == _port_form(live))
    return _string_context(key, parent) and yaml_string(desired) == yaml_string(live)


def _string_context(key: object, parent: object) -> bool:
    return parent in STRING_MAPS or key in STRING_FIELDS


def _port_form(value: JSON) -> JSON:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def canonical_scalar(value: JSON, key: object, parent: object) -> JSON:
    """The canonical form `scalars_equal` compares, as a JSON value."""
    if is_quantity_context(key, parent):
        text = quantities.canonical_quantity(value)
        return value if text is None else text
    if key in PORT_FIELDS:
        return _port_form(value)
    if _string_context(key, parent):
        return yaml_string(value)
    return value
