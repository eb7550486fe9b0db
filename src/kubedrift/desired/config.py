"""The `KubedriftConfig` file: ignore rules and trusted controllers, checked where they are read.

    apiVersion: kubedrift.io/v1alpha1
    kind: KubedriftConfig
    ignoreDifferences:                  # the raw form of `kubedrift.diff.ignore`
      - group: apps
        kind: Deployment
        name: "trainer-*"
        jsonPointers: [/spec/replicas]
    trustedManagers:                    # the raw form of `kubedrift.diff.trusted`
      - controller: keda
        kind: Deployment
        managers: ["keda-operator*"]
        jsonPointers: [/spec/replicas]
    ignoreNodeFacts:                    # `kubedrift.analysis.user_controls`
      - facts: ["label:example.com/rack"]
        pools: ["gpu-*"]
    rules:                              # rule switches
      gfd-labels-stale: off
      pvc-not-backed-up: {severity: low}
    suppressions:                       # `kubedrift.model.suppression`
      - {kind: Deployment, namespace: ml, name: "trainer-*", path: /spec/replicas,
         reason: "load test, INC-42", until: 2026-12-31, by: alice}
    heal:                               # what `watch --heal` may correct (desired/heal.py)
      namespaces: [ml-*]

The rule language belongs to `kubedrift.diff`, which compiles it; each entry is checked
here by that same compiler so that a mistake is reported with the file and the entry
(`kubedrift.yaml, trustedManagers[1]`). The entries are returned as written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kubedrift.analysis.options import FactIgnore
from kubedrift.analysis.user_controls import (
    KNOWN_RULES,
    RuleSwitches,
    compile_fact_ignores,
    compile_rule_switches,
)
from kubedrift.desired.documents import read_documents
from kubedrift.desired.heal import HealSettings, parse_heal
from kubedrift.diff import compile_ignore_rules, compile_trusted_rules
from kubedrift.model import InputError
from kubedrift.model.suppression import Suppression, parse_suppression

API_VERSION = "kubedrift.io/v1alpha1"
KIND = "KubedriftConfig"

_Compiler = Callable[[Sequence[Mapping[str, Any]]], object]
_SECTIONS: dict[str, _Compiler] = {
    "ignoreDifferences": compile_ignore_rules,
    "trustedManagers": compile_trusted_rules,
}
_TOP_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "rules",
    "ignoreNodeFacts",
    "suppressions",
    "heal",
    *_SECTIONS,
}


@dataclass(frozen=True, slots=True)
class KubedriftConfig:
    """Ignore rules and trusted-controller rules as written (each checked), and their file."""

    ignore_differences: tuple[Mapping[str, Any], ...] = ()
    trusted_managers: tuple[Mapping[str, Any], ...] = ()
    source: str | None = None
    ignore_node_facts: tuple[FactIgnore, ...] = ()
    rules: RuleSwitches = field(default_factory=RuleSwitches)
    suppressions: tuple[Suppression, ...] = ()
    heal: HealSettings | None = None
    """The `heal:` block (None: absent)."""


def load_config(path: Path, today: date | None = None) -> KubedriftConfig:
    """Read a KubedriftConfig file (YAML or JSON, one document)."""
    where = str(path)
    documents = read_documents(path, where)
    if len(documents) != 1:
        raise InputError(f"expected one {KIND} document, found {len(documents)}", where=where)
    return parse_config(documents[0].body, where, today)


def parse_config(body: Any, where: str, today: date | None = None) -> KubedriftConfig:
    """Check one KubedriftConfig document; `where` names it in errors.

    `today` (default: the UTC date) bounds a suppression's `until` (`MAX_DAYS` ahead at
    most). An entry whose day has passed is kept, and no longer applies: the finding
    comes back, and a scan or watch started after that day must still run.
    """
    if not isinstance(body, dict):
        raise InputError(f"expected a {KIND} mapping", where=where)
    if body.get("apiVersion") != API_VERSION or body.get("kind") != KIND:
        raise InputError(
            f"expected apiVersion {API_VERSION} and kind {KIND}, found "
            f"{body.get('apiVersion')!r} and {body.get('kind')!r}",
            where=where,
        )
    unknown = sorted(set(body) - _TOP_FIELDS)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r} (expected: {', '.join(sorted(_TOP_FIELDS))})",
            where=where,
        )
    try:
        fact_ignores = compile_fact_ignores(body.get("ignoreNodeFacts") or [])
        rules = compile_rule_switches(body.get("rules"))
        heal = parse_heal(body["heal"]) if body.get("heal") is not None else None
    except ValueError as exc:
        raise InputError(str(exc), where=where) from None
    return KubedriftConfig(
        ignore_differences=_section(body, "ignoreDifferences", where),
        trusted_managers=_section(body, "trustedManagers", where),
        source=where,
        ignore_node_facts=fact_ignores,
        rules=rules,
        suppressions=_suppressions(body, where, today or datetime.now(UTC).date()),
        heal=heal,
    )


def _suppressions(body: dict[str, Any], where: str, today: date) -> tuple[Suppression, ...]:
    entries = body.get("suppressions")
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise InputError("suppressions must be a list", where=where)
    parsed = []
    for index, entry in enumerate(entries):
        try:
            parsed.append(
                parse_suppression(
                    entry,
                    today,
                    known_rules=KNOWN_RULES,
                    allow_past=True,
                    source=f"{where}, suppressions[{index}]",
                )
            )
        except ValueError as exc:
            raise InputError(str(exc), where=f"{where}, suppressions[{index}]") from None
    return tuple(parsed)


def _section(body: dict[str, Any], key: str, where: str) -> tuple[Mapping[str, Any], ...]:
    entries = body.get(key)
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise InputError(f"{key} must be a list", where=where)
    compile_rules = _SECTIONS[key]
    for index, entry in enumerate(entries):
        try:
            compile_rules([entry])
        except InputError as exc:
            raise InputError(exc.message, where=f"{where}, {key}[{index}]") from None
    return tuple(entries)
