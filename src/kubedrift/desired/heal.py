"""The `heal:` block of a KubedriftConfig: what `kubedrift watch --heal` may correct.

    heal:
      namespaces: [ml-*, serving]       # globs; absent: every namespace
      kinds: [Deployment, ConfigMap]    # absent: every kind
      rules: [field-changed]            # absent: the field-level reverts (DEFAULT_HEAL_RULES)
      maxPerMinute: 10                  # writes a minute, all objects together
      trustedManagers: [my-operator]    # added to the built-in trusted controllers
      fightRounds: 3                    # reverts undone by another writer before giving up
      fightWindowSeconds: 600           # ... within this window

The block scopes healing; it never switches it on. Healing runs only when the controller
was started with `--heal`, and writes only with `--heal-mode apply`: whoever deploys the
controller decides that, not a commit to the desired repository. Every key is optional;
settings from several configs combine as `HealSettings.merged` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubedrift.model.rules import ObjectRule

DEFAULT_HEAL_RULES: tuple[str, ...] = tuple(
    r.value
    for r in (
        ObjectRule.FIELD_CHANGED,
        ObjectRule.FIELD_MISSING,
        ObjectRule.LIST_ITEM_MISSING,
        ObjectRule.DEFAULT_OVERRIDDEN,
    )
)
"""The field-level reverts. A recreate of a deleted object is opt-in: a deletion is more
often deliberate."""
HEALABLE_RULES: frozenset[str] = frozenset((*DEFAULT_HEAL_RULES, ObjectRule.OBJECT_MISSING.value))
"""Rules a server-side apply can resolve (`remediate.plan`: Revert, and Recreate)."""
_KEYS = {
    "namespaces",
    "kinds",
    "rules",
    "maxPerMinute",
    "trustedManagers",
    "fightRounds",
    "fightWindowSeconds",
}


@dataclass(frozen=True, slots=True)
class HealSettings:
    """The block as written; None (or empty for lists) where a key is absent."""

    namespaces: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    rules: tuple[str, ...] | None = None
    max_per_minute: int | None = None
    trusted_managers: tuple[str, ...] = ()
    fight_rounds: int | None = None
    fight_window: float | None = None

    def merged(self, later: HealSettings) -> HealSettings:
        """`later` wins key by key; trusted managers add up (trust is never taken back)."""
        return HealSettings(
            namespaces=later.namespaces if later.namespaces is not None else self.namespaces,
            kinds=later.kinds if later.kinds is not None else self.kinds,
            rules=later.rules if later.rules is not None else self.rules,
            max_per_minute=_later(self.max_per_minute, later.max_per_minute),
            trusted_managers=self.trusted_managers + later.trusted_managers,
            fight_rounds=_later(self.fight_rounds, later.fight_rounds),
            fight_window=_later(self.fight_window, later.fight_window),
        )


def _later(first: Any, later: Any) -> Any:
    return later if later is not None else first


def parse_heal(raw: Any) -> HealSettings:
    """Check a `heal:` mapping; ValueError saying which key is wrong and what it expects."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"heal must be a mapping, not {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise ValueError(f"heal: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})")
    rules = _names(raw, "rules")
    bad = [r for r in rules or () if r not in HEALABLE_RULES]
    if bad:
        allowed = ", ".join(sorted(HEALABLE_RULES))
        raise ValueError(f"heal.rules: {bad[0]!r} cannot be healed (healable: {allowed})")
    return HealSettings(
        namespaces=_names(raw, "namespaces"),
        kinds=_names(raw, "kinds"),
        rules=rules,
        max_per_minute=_positive(raw, "maxPerMinute"),
        trusted_managers=_names(raw, "trustedManagers") or (),
        fight_rounds=_positive(raw, "fightRounds"),
        fight_window=_positive(raw, "fightWindowSeconds"),
    )


def _names(raw: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"heal.{key} must be a list of non-empty strings")
    return tuple(value)


def _positive(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"heal.{key} must be a whole number of at least 1, not {value!r}")
    return value
