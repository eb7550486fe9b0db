"""The user's controls over findings: rule switches and node-fact ignores, checked once.

Both come from a `KubedriftConfig` (and rule switches also from `--disable-rule`)::

    rules:
      gfd-labels-stale: off                 # never report this rule
      pvc-not-backed-up: {severity: low}    # report it at this severity
    ignoreNodeFacts:
      - facts: ["label:example.com/rack", "agent:sysctl.net.*"]   # fnmatch, any case
        pools: ["gpu-*"]                    # optional: only in pools whose name matches
        reason: racks differ by design      # optional, for people reading the config

A rule switched off drops its findings before anything else reads them (a disabled node
rule puts no workload "on a drifted node"); a severity set for a rule is the rule's own
severity, which the multi-node escalation of `analysis.impact` may still raise. Unknown
rule names, severities and fact forms are refused with the entry named, so a typo does not
silently switch nothing off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubedrift.analysis.facts import FactKind
from kubedrift.analysis.options import FactIgnore
from kubedrift.model import Finding, Severity
from kubedrift.model.rules import SWITCHABLE_RULES

__all__ = [
    "KNOWN_RULES",
    "RuleSwitches",
    "compile_fact_ignores",
    "compile_rule_switches",
    "disable_rules",
]

KNOWN_RULES: frozenset[str] = frozenset(r.value for r in SWITCHABLE_RULES)
_OFF = ("off", False)
_IGNORE_KEYS = frozenset({"facts", "pools", "reason"})


@dataclass(frozen=True, slots=True)
class RuleSwitches:
    """Rules switched off, and severities set per rule."""

    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.disabled or self.severities)

    def merged(self, other: RuleSwitches) -> RuleSwitches:
        """These switches and `other`'s; `other` wins on a rule both set."""
        return RuleSwitches(self.disabled | other.disabled, {**self.severities, **other.severities})

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings of enabled rules, at the severity set for their rule."""
        out = []
        for f in findings:
            if f.rule in self.disabled:
                continue
            severity = self.severities.get(f.rule)
            out.append(f if severity is None else dataclasses.replace(f, severity=severity))
        return out


def _known(rule: object, where: str) -> str:
    if not isinstance(rule, str) or rule not in KNOWN_RULES:
        raise ValueError(
            f"{where}: unknown rule {rule!r} (known: {', '.join(sorted(KNOWN_RULES))})"
        )
    return rule


def disable_rules(names: Sequence[str]) -> RuleSwitches:
    """`--disable-rule NAME` (repeatable); ValueError naming an unknown rule."""
    return RuleSwitches(frozenset(_known(n, "--disable-rule") for n in names))


def compile_rule_switches(raw: object) -> RuleSwitches:
    """The `rules:` mapping of a KubedriftConfig; ValueError naming the bad entry."""
    if raw is None:
        return RuleSwitches()
    if not isinstance(raw, Mapping):
        raise ValueError("rules must be a mapping of rule name to off or {severity: LEVEL}")
    disabled: set[str] = set()
    severities: dict[str, Severity] = {}
    for name, setting in raw.items():
        rule = _known(name, "rules")
        if setting in _OFF:  # YAML 1.1 reads a bare `off` as false
            disabled.add(rule)
        elif isinstance(setting, Mapping) and set(setting) == {"severity"}:
            severities[rule] = _severity(setting["severity"], rule)
        else:
            raise ValueError(f"rules.{rule}: expected off or {{severity: LEVEL}}, got {setting!r}")
    return RuleSwitches(frozenset(disabled), severities)


def _severity(value: object, rule: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        levels = ", ".join(s.value for s in Severity)
        raise ValueError(f"rules.{rule}.severity: {value!r} is not one of {levels}") from None


def compile_fact_ignores(raw: Sequence[Any]) -> tuple[FactIgnore, ...]:
    """The `ignoreNodeFacts:` list; ValueError naming the bad entry (`ignoreNodeFacts[2]`)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError("ignoreNodeFacts must be a list")
    return tuple(_fact_ignore(entry, f"ignoreNodeFacts[{i}]") for i, entry in enumerate(raw))


def _fact_ignore(entry: Any, where: str) -> FactIgnore:
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping with facts (and optional pools)")
    unknown = sorted(set(entry) - _IGNORE_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} (expected facts, pools, reason)")
    facts = _strings(entry.get("facts"), f"{where}.facts", required=True)
    for pattern in facts:
        if not _fact_form(pattern):
            raise ValueError(
                f"{where}.facts: {pattern!r} names no fact: write nodeInfo.<field>, "
                "label:<key>, taint:<key>:<effect>, capacity:<r>, allocatable:<r> or agent:<name>"
            )
    return FactIgnore(facts, _strings(entry.get("pools"), f"{where}.pools", required=False))


def _strings(value: Any, where: str, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a non-empty list of strings")
    return tuple(value)


def _fact_form(pattern: str) -> bool:
    if pattern.startswith("nodeInfo.") or pattern == "*":
        return True
    prefix, sep, rest = pattern.partition(":")
    return bool(sep and rest) and prefix in {k.value for k in FactKind}
