"""Suppressions: a reasoned, expiring "I know, stop telling me" for findings (pure).

A suppression selects findings by object (kind, namespace, name), JSON pointer and rule;
`name` and `path` may be shell-style globs (`trainer-*`, `/spec/template/*`). It carries the
reason, the day it ends (`until`, inclusive: the suppression holds through that UTC day) and
who wrote it. A suppressed finding is still reported, with this record attached; it is only
left out of the exit code and of alerts.

A finding's short id (`finding_id`) is a hash of its identity (object + path + rule), so the
same drift keeps the same id across scans and between `scan -o json` and `kubedrift suppress`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import Any

from kubedrift.model.findings import Finding

_SELECTOR_KEYS = ("finding", "kind", "namespace", "name", "path", "rule")
_ENTRY_KEYS = {*_SELECTOR_KEYS, "reason", "until", "by"}


def finding_id(finding: Finding) -> str:
    """A 12-hex-digit id stable across scans: sha256 of group/kind/namespace/name/path/rule."""
    return finding.short_id()


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression: a selector (unset fields match anything), why, until when, by whom."""

    reason: str
    until: date
    by: str = ""
    finding: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    path: str | None = None
    rule: str | None = None

    def expired(self, now: datetime) -> bool:
        """True once the UTC day after `until` has begun."""
        return now.date() > self.until

    def matches(self, finding: Finding) -> bool:
        """Whether this selector picks `finding` (expiry is checked apart, by the caller)."""
        ref = finding.object
        return (
            _eq(self.finding, finding_id(finding))
            and _eq(self.kind, ref.kind)
            and _eq(self.namespace, ref.namespace or "")
            and _glob(self.name, ref.name)
            and _glob(self.path, finding.path)
            and _eq(self.rule, finding.rule)
        )

    def selector_text(self) -> str:
        """`kind=Deployment name=trainer-*` — the selector as one line, for tables and alerts."""
        return " ".join(f"{k}={getattr(self, k)}" for k in _SELECTOR_KEYS if getattr(self, k))

    def to_json(self) -> dict[str, Any]:
        """The `suppression` object of a finding in the JSON output, and the config entry."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _SELECTOR_KEYS if getattr(self, k)}
        out.update(reason=self.reason, until=self.until.isoformat(), by=self.by)
        return out


def _eq(wanted: str | None, actual: str) -> bool:
    return wanted is None or wanted == actual


def _glob(pattern: str | None, actual: str) -> bool:
    return pattern is None or fnmatchcase(actual, pattern)


def parse_suppression(entry: object, today: date) -> Suppression:
    """Check one `suppressions:` entry; ValueError says what is wrong with it in one line."""
    if not isinstance(entry, Mapping):
        raise ValueError("a suppression must be a mapping")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise ValueError(
            f"unknown field {unknown[0]!r} (expected: {', '.join(sorted(_ENTRY_KEYS))})"
        )
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a suppression needs a non-empty reason")
    until = _until(entry.get("until"))
    if until < today:
        raise ValueError(f"until {until.isoformat()} is in the past")
    selector = {k: entry.get(k) for k in _SELECTOR_KEYS}
    if not any(selector.values()):
        raise ValueError(f"a suppression needs at least one of {', '.join(_SELECTOR_KEYS)}")
    for key, value in selector.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
    by = entry.get("by") or ""
    return Suppression(reason=reason.strip(), until=until, by=str(by), **selector)


def _until(value: object) -> date:
    # YAML reads an unquoted 2026-12-31 as a date already; a quoted one arrives as text.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"until {value!r} is not a date (YYYY-MM-DD)") from None
    raise ValueError("a suppression needs until: YYYY-MM-DD")
