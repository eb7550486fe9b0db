"""Ignore rules: fields of selected objects that are never compared.

The raw form, as written in a `KubedriftConfig` file (the caller parses the YAML)::

    - group: apps                 # optional; "" is the core group, "*" or absent any group
      kind: Deployment            # optional glob
      namespace: ml-*             # optional glob
      name: trainer-*             # optional glob
      labelSelector:              # optional, matched against desired's labels
        matchLabels: {team: ml}
      jsonPointers:               # required: RFC 6901, `*` matches any key or list element
        - /spec/replicas
        - /spec/template/spec/containers/*/image
      reason: scaled by hand      # optional, for people reading the config

A pointer to a path the object does not have is not an error. `""` ignores the whole object
(including its absence from the cluster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.diff import rule_config
from kubedrift.diff.prune import Pattern
from kubedrift.diff.selectors import SELECTOR_KEYS, Selector, parse_selector

_KEYS = SELECTOR_KEYS | {"jsonPointers", "reason"}


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Selected objects and the pointer patterns not compared on them."""

    selector: Selector
    pointers: tuple[Pattern, ...]
    reason: str | None = None


def compile_ignore_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[IgnoreRule, ...]:
    """Validate and compile raw ignore rules; raise InputError naming the first bad rule."""
    rules = rule_config.check_sequence(raw, "ignore rules")
    out = []
    for index, item in enumerate(rules, start=1):
        with rule_config.rule_errors(f"ignore rule #{index}"):
            out.append(_compile(item))
    return tuple(out)


def _compile(raw: Any) -> IgnoreRule:
    rule = rule_config.check_mapping(raw, _KEYS)
    reason = rule.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValueError("'reason' must be a string")
    return IgnoreRule(
        selector=parse_selector(rule),
        pointers=rule_config.patterns(rule, "jsonPointers", required=True),
        reason=reason,
    )
