"""Suppressions: a reasoned, expiring "I know, stop telling me" for findings (pure).

A suppression selects findings by finding id, object (kind, namespace, name), JSON pointer
and rule; `name` and `path` may be shell-style globs (`trainer-*`, `/spec/template/*`). It
carries the reason, the day it ends (`until`, inclusive: it holds through that UTC day, at
most `MAX_DAYS` ahead) and who wrote it. A suppressed finding is never dropped: it keeps its
place in every report with the suppression attached (`Finding.suppression`, status
`suppressed`) and is only left out of counts, the exit code, alerts and automatic actions.

`active_suppression` is the one predicate every consumer asks (scan, plan, the watcher's
alerts, self-heal): the suppression covering a finding at a moment, or None. When several
match, the one lasting longest wins, so the finding returns only when all have ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from kubedrift.model.findings import Finding

SELECTOR_KEYS = ("finding", "kind", "namespace", "name", "path", "rule")
_ENTRY_KEYS = frozenset({*SELECTOR_KEYS, "reason", "until", "by"})
MAX_DAYS = 366
"""The furthest `until` may lie ahead: a suppression is a reminder with a date, not a mute."""


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression: a selector (unset fields match anything), why, until when, by whom.

    `source` says where it came from (`store #4`, `kd.yaml, suppressions[0]`), so a report
    tells the reader where to change or remove it.
    """

    reason: str
    until: date
    by: str = ""
    finding: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    path: str | None = None
    rule: str | None = None
    source: str = ""

    def expired(self, now: datetime) -> bool:
        """True once the UTC day after `until` has begun."""
        return now.date() > self.until

    def matches(self, finding: Finding) -> bool:
        """Whether this selector picks `finding` (expiry is judged apart)."""
        ref = finding.object
        return (
            _eq(self.finding, finding.short_id())
            and _eq(self.kind, ref.kind)
            and _eq(self.namespace, ref.namespace or "")
            and _glob(self.name, ref.name)
            and _glob(self.path, finding.path)
            and _eq(self.rule, finding.rule)
        )

    def selector_text(self) -> str:
        """`kind=Deployment name=trainer-*`: the selector on one line, for lists and alerts."""
        return " ".join(f"{k}={getattr(self, k)}" for k in SELECTOR_KEYS if getattr(self, k))

    def label(self) -> str:
        """`suppressed until 2026-12-31 by alice: load test`: what every output shows."""
        by = f" by {self.by}" if self.by else ""
        return f"suppressed until {self.until.isoformat()}{by}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        """The `suppression` object of a finding in the JSON output (and in the store)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in SELECTOR_KEYS if getattr(self, k)}
        out.update(reason=self.reason, until=self.until.isoformat(), by=self.by)
        if self.source:
            out["source"] = self.source
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Suppression:
        """The inverse of `to_json` (for values the store wrote; not user input)."""
        selector = {k: data.get(k) for k in SELECTOR_KEYS}
        until = date.fromisoformat(str(data["until"]))
        source = str(data.get("source") or "")
        return cls(str(data["reason"]), until, str(data.get("by") or ""), **selector, source=source)


def active_suppression(
    finding: Finding, suppressions: Iterable[Suppression], now: datetime
) -> Suppression | None:
    """The suppression covering `finding` at `now`: the longest-lasting unexpired match."""
    live = [s for s in suppressions if not s.expired(now) and s.matches(finding)]
    return max(live, key=lambda s: s.until, default=None)


def apply_suppressions(
    findings: Iterable[Finding], suppressions: Sequence[Suppression], now: datetime
) -> tuple[Finding, ...]:
    """`findings` in the same order, each marked with its active suppression or unmarked."""
    live = [s for s in suppressions if not s.expired(now)]
    return tuple(_marked(f, active_suppression(f, live, now)) for f in findings)


def _marked(finding: Finding, chosen: Suppression | None) -> Finding:
    if chosen == finding.suppression:
        return finding
    return replace(finding, suppression=chosen)


def _eq(wanted: str | None, actual: str) -> bool:
    return wanted is None or wanted == actual


def _glob(pattern: str | None, actual: str) -> bool:
    return pattern is None or fnmatchcase(actual, pattern)


# --- reading user input ---------------------------------------------------------------


def parse_suppression(
    entry: object,
    today: date,
    *,
    known_rules: frozenset[str] = frozenset(),
    allow_past: bool = False,
    source: str = "",
) -> Suppression:
    """Check one suppression entry; ValueError says what is wrong with it in one line.

    `allow_past`: a KubedriftConfig in Git keeps an entry after its day has passed; that
    entry simply no longer applies (the finding comes back), it must not break every scan.
    A new suppression (`kubedrift suppress`) ending in the past is a mistake.
    """
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
    until = check_until(parse_until(entry.get("until")), today, allow_past=allow_past)
    selector = _selector(entry, known_rules)
    by = entry.get("by") or ""
    return Suppression(reason.strip(), until, str(by), **selector, source=source)


def _selector(entry: Mapping[Any, Any], known_rules: frozenset[str]) -> dict[str, str | None]:
    selector = {k: entry.get(k) for k in SELECTOR_KEYS}
    if not any(selector.values()):
        raise ValueError(f"a suppression needs at least one of {', '.join(SELECTOR_KEYS)}")
    for key, value in selector.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{key} must be a non-empty string")
    finding = selector["finding"]
    if finding is not None and not _is_finding_id(finding):
        raise ValueError(f"finding {finding!r} is not a finding id (12 hex digits, as scan prints)")
    rule = selector["rule"]
    if known_rules and rule is not None and rule not in known_rules:
        raise ValueError(f"unknown rule {rule!r}")
    return selector


def _is_finding_id(text: str) -> bool:
    return len(text) == 12 and all(c in "0123456789abcdef" for c in text)


def parse_until(value: object) -> date:
    """`2026-12-31` (YAML may have read it as a date already); ValueError otherwise."""
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


def check_until(until: date, today: date, *, allow_past: bool = False) -> date:
    """`until` if it is today or later (or `allow_past`) and at most `MAX_DAYS` ahead."""
    if until < today and not allow_past:
        raise ValueError(f"until {until.isoformat()} is in the past")
    if until > today + timedelta(days=MAX_DAYS):
        raise ValueError(
            f"until {until.isoformat()} is more than {MAX_DAYS} days ahead; "
            "suppressions must end (renew it when it does)"
        )
    return until
