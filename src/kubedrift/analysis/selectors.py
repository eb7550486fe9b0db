"""Kubernetes label selectors (`matchLabels` + `matchExpressions`), compiled once.

Semantics follow `metav1.LabelSelector`: every `matchLabels` pair and every expression
must hold; `In` needs the label with one of `values`, `NotIn` holds when the label is
absent or has none of them, `Exists` / `DoesNotExist` test presence and take no values.
An empty selector (`{}`) selects every node.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SelectorOp(enum.Enum):
    """A `matchExpressions` operator."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition on one label."""

    key: str
    op: SelectorOp
    values: frozenset[str] = frozenset()

    def holds(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this requirement."""
        value = labels.get(self.key)
        if self.op is SelectorOp.IN:
            return value is not None and value in self.values
        if self.op is SelectorOp.NOT_IN:
            return value is None or value not in self.values
        if self.op is SelectorOp.EXISTS:
            return value is not None
        return value is None


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """All requirements must hold; no requirements selects everything."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a node with `labels` is selected."""
        return all(r.holds(labels) for r in self.requirements)

    def __str__(self) -> str:
        if not self.requirements:
            return "every node"
        return ", ".join(_show(r) for r in self.requirements)


def _show(r: Requirement) -> str:
    values = ",".join(sorted(r.values))
    return {
        SelectorOp.IN: f"{r.key} in ({values})",
        SelectorOp.NOT_IN: f"{r.key} notin ({values})",
        SelectorOp.EXISTS: r.key,
        SelectorOp.DOES_NOT_EXIST: f"!{r.key}",
    }[r.op]


def compile_selector(raw: object, path: str) -> LabelSelector:
    """Compile a selector mapping; ValueError names the field (`path`) at fault."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: must be a mapping with matchLabels and/or matchExpressions")
    unknown = sorted(set(raw) - {"matchLabels", "matchExpressions"})
    if unknown:
        raise ValueError(f"{path}: unknown field {unknown[0]!r}")
    requirements = [
        Requirement(key, SelectorOp.IN, frozenset({value}))
        for key, value in _match_labels(raw.get("matchLabels"), f"{path}.matchLabels")
    ]
    expressions = raw.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise ValueError(f"{path}.matchExpressions: must be a list")
    for index, expression in enumerate(expressions):
        requirements.append(_expression(expression, f"{path}.matchExpressions[{index}]"))
    return LabelSelector(tuple(requirements))


def _match_labels(raw: object, path: str) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: must be a mapping of label key to value")
    pairs = []
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ValueError(f"{path}[{key!r}]: label values are strings; quote {value!r}")
        pairs.append((str(key), value))
    return pairs


def _expression(raw: Any, path: str) -> Requirement:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str):
        raise ValueError(f"{path}: needs a key and an operator")
    try:
        op = SelectorOp(raw.get("operator"))
    except ValueError:
        ops = ", ".join(o.value for o in SelectorOp)
        raise ValueError(f"{path}.operator: {raw.get('operator')!r} is not one of {ops}") from None
    values = raw.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{path}.values: must be a list of strings")
    if op in (SelectorOp.IN, SelectorOp.NOT_IN) and not values:
        raise ValueError(f"{path}: operator {op.value} needs at least one value")
    if op in (SelectorOp.EXISTS, SelectorOp.DOES_NOT_EXIST) and values:
        raise ValueError(f"{path}: operator {op.value} takes no values")
    return Requirement(raw["key"], op, frozenset(values))
