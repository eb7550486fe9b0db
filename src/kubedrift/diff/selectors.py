"""Which objects a rule applies to: API group, kind, namespace and name globs, label selector.

The raw form (as an ignore or trusted rule is written in a config file) is parsed here; a bad
value raises ValueError with a message meant for the user, which the rule compilers turn into
an `InputError` naming the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `matchExpressions` entry of a label selector."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """Kubernetes label-selector semantics for one requirement."""
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        inside = present and labels[self.key] in self.values
        return inside if self.operator == "In" else not inside


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """`matchLabels` and `matchExpressions`, all of which must hold."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """True when every label and every expression matches."""
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.expressions
        )


@dataclass(frozen=True, slots=True)
class Selector:
    """Objects selected by a rule; None selects everything for that field.

    `group` is an exact API group (`""` is the core group; `"*"` is any); `kind`, `namespace`
    and `name` are shell globs (`fnmatch`, case-sensitive). Labels are read from desired.
    """

    group: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    labels: LabelSelector | None = None

    def matches(
        self, group: str, kind: str, namespace: str, name: str, labels: Mapping[str, Any]
    ) -> bool:
        """True when the object is selected."""
        return (
            (self.group is None or self.group in ("*", group))
            and _glob(self.kind, kind)
            and _glob(self.namespace, namespace)
            and _glob(self.name, name)
            and (self.labels is None or self.labels.matches(labels))
        )


def _glob(pattern: str | None, value: str) -> bool:
    return pattern is None or fnmatchcase(value, pattern)


SELECTOR_KEYS = frozenset({"group", "kind", "namespace", "name", "labelSelector"})


def parse_selector(raw: Mapping[str, Any]) -> Selector:
    """The selector part of a raw rule (keys in `SELECTOR_KEYS`)."""
    return Selector(
        group=_optional_str(raw, "group"),
        kind=_optional_str(raw, "kind"),
        namespace=_optional_str(raw, "namespace"),
        name=_optional_str(raw, "name"),
        labels=parse_label_selector(raw["labelSelector"]) if "labelSelector" in raw else None,
    )


def _optional_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, not {type(value).__name__}")
    return value


def parse_label_selector(raw: Any) -> LabelSelector:
    """A Kubernetes label selector: `{matchLabels: {...}, matchExpressions: [...]}`."""
    if not isinstance(raw, Mapping):
        raise ValueError("'labelSelector' must be a mapping with matchLabels/matchExpressions")
    unknown = set(raw) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise ValueError(f"'labelSelector' has unknown key(s): {', '.join(sorted(unknown))}")
    labels = raw.get("matchLabels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise ValueError("'matchLabels' must map label names to string values")
    exprs = raw.get("matchExpressions") or []
    if not isinstance(exprs, list):
        raise ValueError("'matchExpressions' must be a list")
    return LabelSelector(
        match_labels=tuple(sorted(labels.items())),
        expressions=tuple(_requirement(e, i) for i, e in enumerate(exprs, start=1)),
    )


def _requirement(raw: Any, index: int) -> Requirement:
    where = f"matchExpressions #{index}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str):
        raise ValueError(f"{where} must be a mapping with a string 'key'")
    operator = raw.get("operator")
    if operator not in _OPERATORS:
        raise ValueError(f"{where}: operator must be one of {', '.join(sorted(_OPERATORS))}")
    values = raw.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{where}: 'values' must be a list of strings")
    if operator in ("In", "NotIn") and not values:
        raise ValueError(f"{where}: operator {operator} needs at least one value")
    if operator in ("Exists", "DoesNotExist") and values:
        raise ValueError(f"{where}: operator {operator} takes no values")
    return Requirement(raw["key"], operator, tuple(values))


_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"(?:[a-z0-9](?:[-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}")
_VALUE = re.compile(rf"(?:{_NAME})?")
"""Label keys and values as Kubernetes validates them (an optional DNS-subdomain prefix)."""
_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQUALITY = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


def parse_selector_text(text: str) -> LabelSelector:
    """A label selector as `kubectl -l` takes it: `app=llm,tier!=cache,env in (a,b),gpu,!spot`.

    The grammar is Kubernetes' (k8s.io/apimachinery `labels.Parse`): requirements joined
    by commas, each `key=value` / `key==value` / `key!=value`, `key in (v1,v2)`,
    `key notin (v1,v2)`, `key` (exists) or `!key` (does not exist). `!=` and `notin` also
    match objects without the key, as in Kubernetes. A bad selector raises ValueError.
    """
    requirements = [_parse_requirement(part) for part in _split_top_level(text)]
    return LabelSelector(expressions=tuple(requirements))


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses (`env in (a,b),gpu` is two requirements)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if depth != 0 or any(not part.strip() for part in parts):
        raise ValueError(f"not a label selector: {text!r}")
    return parts


def _parse_requirement(part: str) -> Requirement:
    requirement = _requirement_of(part)
    if (
        requirement is None
        or not _KEY.fullmatch(requirement.key)
        or not all(_VALUE.fullmatch(v) for v in requirement.values)
    ):
        raise ValueError(f"not a label selector: {part.strip()!r}")
    return requirement


def _requirement_of(part: str) -> Requirement | None:
    found = _SET_REQUIREMENT.match(part)
    if found:
        values = tuple(v.strip() for v in found[3].split(",") if v.strip())
        return Requirement(found[1], "In" if found[2] == "in" else "NotIn", values)
    found = _EQUALITY.match(part)
    if found:
        return Requirement(found[1], "NotIn" if found[2] == "!=" else "In", (found[3],))
    found = _EXISTS.match(part)
    if found:
        return Requirement(found[2], "DoesNotExist" if found[1] else "Exists")
    return None
