"""What a `NodeProfile` expects of one fact, compiled once from its YAML form.

    nodeInfo.osImage: "Ubuntu 22.04.4 LTS"          exact (strings, integers, booleans)
    nodeInfo.kernelVersion: {regex: "^5\\.15\\."}   full match of the whole value
    label:nvidia.com/cuda.driver-version.full: {version: ">=570.86, <571"}
    label:nvidia.com/gpu.product: {oneOf: [NVIDIA-H100-80GB-HBM3, NVIDIA-H200]}
    taint:nvidia.com/gpu:NoSchedule: {present: true}
    label:example.com/debug: {absent: true}
    capacity:nvidia.com/gpu: {equals: 8, severity: high}

Any mapping form takes an optional `severity`. Exact values of `capacity:` and
`allocatable:` facts compare as quantities (`1Gi` equals `1024Mi`); every other value
compares as text. YAML floats are refused: `12.10` would be read as the number 12.1.
Regexes are RE2 (`kubedrift.analysis.regex`): matched in linear time, whatever the pattern.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from kubedrift.analysis.facts import FactValue, is_resource_fact
from kubedrift.analysis.regex import LinearRegex, compile_regex
from kubedrift.analysis.versions import VersionRange, parse_range
from kubedrift.diff.quantities import out_of_range, quantity_value
from kubedrift.model import JSON, MISSING, Severity


class MatcherKind(enum.Enum):
    """The form of an expectation, named as profiles write it."""

    EQUALS = "equals"
    REGEX = "regex"
    VERSION = "version"
    ONE_OF = "oneOf"
    ABSENT = "absent"
    PRESENT = "present"


_KINDS = tuple(k.value for k in MatcherKind)


@dataclass(frozen=True, slots=True)
class Matcher:
    """One expectation's test, compiled."""

    kind: MatcherKind
    values: tuple[str | int | bool, ...] = ()
    pattern: LinearRegex | None = None
    versions: VersionRange | None = None
    quantities: tuple[Fraction | None, ...] = field(default=())

    def matches(self, actual: FactValue) -> bool:
        """Whether the actual value (`MISSING` when absent) meets the expectation."""
        if self.kind is MatcherKind.ABSENT:
            return actual is MISSING
        if actual is MISSING:
            return False
        if self.kind is MatcherKind.PRESENT:
            return True
        text = _text(actual)
        if self.pattern is not None:
            return self.pattern.fullmatch(text)
        if self.versions is not None:
            return self.versions.contains(text)
        return self._equals_any(actual, text)

    def _equals_any(self, actual: FactValue, text: str) -> bool:
        number = quantity_value(actual) if any(q is not None for q in self.quantities) else None
        for expected, quantity in zip(self.values, self.quantities, strict=True):
            if quantity is not None and number is not None:
                if quantity == number:
                    return True
            elif _text(expected) == text:
                return True
        return False

    def desired(self) -> JSON:
        """The expectation as findings show it: `570.86.15`, `>=570.86,<571`, `regex:^5\\.`."""
        if self.kind is MatcherKind.EQUALS:
            return self.values[0]
        if self.pattern is not None:
            return f"regex:{self.pattern.pattern}"
        if self.versions is not None:
            return str(self.versions)
        if self.kind is MatcherKind.ONE_OF:
            return "oneOf:[" + ", ".join(_text(v) for v in self.values) + "]"
        return self.kind.value


@dataclass(frozen=True, slots=True)
class Expectation:
    """A fact, its matcher and the severity of a miss (None: the profile's default)."""

    fact: str
    matcher: Matcher
    severity: Severity | None = None


def compile_expectation(fact: str, raw: object, path: str) -> Expectation:
    """Compile one `spec.expect` entry; ValueError messages start with `path`."""
    if isinstance(raw, Mapping):
        return _from_mapping(fact, raw, path)
    return Expectation(fact, _equals((_scalar(raw, path),), fact, MatcherKind.EQUALS, path))


def _from_mapping(fact: str, raw: Mapping[str, Any], path: str) -> Expectation:
    unknown = sorted(set(raw) - {*_KINDS, "severity"})
    if unknown:
        raise ValueError(f"{path}: unknown matcher {unknown[0]!r} (use one of {', '.join(_KINDS)})")
    kinds = [k for k in _KINDS if k in raw]
    if len(kinds) != 1:
        raise ValueError(f"{path}: give exactly one of {', '.join(_KINDS)}")
    kind = MatcherKind(kinds[0])
    value = raw[kind.value]
    severity = _severity(raw["severity"], path) if "severity" in raw else None
    if kind is MatcherKind.REGEX:
        return Expectation(fact, Matcher(kind, pattern=_regex(value, path)), severity)
    if kind is MatcherKind.VERSION:
        return Expectation(fact, Matcher(kind, versions=_range(value, path)), severity)
    if kind in (MatcherKind.ABSENT, MatcherKind.PRESENT):
        if value is not True:
            other = "present" if kind is MatcherKind.ABSENT else "absent"
            raise ValueError(f"{path}: write '{kind.value}: true' (or '{other}: true')")
        return Expectation(fact, Matcher(kind), severity)
    if kind is MatcherKind.ONE_OF:
        if not isinstance(value, list) or not value:
            raise ValueError(f"{path}.oneOf: must be a non-empty list")
        values = tuple(_scalar(v, f"{path}.oneOf") for v in value)
        return Expectation(fact, _equals(values, fact, kind, path), severity)
    return Expectation(fact, _equals((_scalar(value, path),), fact, kind, path), severity)


def _equals(
    values: tuple[str | int | bool, ...], fact: str, kind: MatcherKind, path: str
) -> Matcher:
    resource = is_resource_fact(fact)
    for v in values:
        if resource and isinstance(v, str) and out_of_range(v):
            raise ValueError(f"{path}: quantity {v[:40]!r} is out of range")
    quantities = tuple(
        quantity_value(v) if resource and not isinstance(v, bool) else None for v in values
    )
    return Matcher(kind, values=values, quantities=quantities)


def _scalar(raw: object, path: str) -> str | int | bool:
    if isinstance(raw, float):
        raise ValueError(
            f"{path}: quote the value {raw!r}: YAML reads numbers such as 12.10 as 12.1"
        )
    if raw is None:
        raise ValueError(f"{path}: null is not a value; use {{absent: true}} for a missing fact")
    if not isinstance(raw, str | int | bool):
        raise ValueError(f"{path}: expected a string, number, boolean or matcher mapping")
    return raw


def _regex(raw: object, path: str) -> LinearRegex:
    if not isinstance(raw, str):
        raise ValueError(f"{path}.regex: must be a string")
    try:
        return compile_regex(raw)
    except ValueError as error:
        raise ValueError(f"{path}: invalid regex {raw!r}: {error}") from None


def _range(raw: object, path: str) -> VersionRange:
    if not isinstance(raw, str | int):
        raise ValueError(f"{path}.version: must be a string such as '>=570.86, <571'")
    try:
        return parse_range(str(raw))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def _severity(raw: object, path: str) -> Severity:
    try:
        return Severity(raw)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise ValueError(f"{path}.severity: {raw!r} is not one of {names}") from None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
