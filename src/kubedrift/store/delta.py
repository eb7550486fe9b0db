"""What a scan changes, worked out before anything is written (pure).

A scan's findings are keyed by cluster + `Finding.identity()` (a SHA-256 hex `key`, so one
short column carries the identity in indexes) and compared with the cluster's open
episodes by a digest of their `desired` and `live` values:

- not open yet           → a new episode;
- open, digest differs   → a change of value (a history row);
- open, same digest      → seen again (`last_seen` moves, other fields refresh);
- open, not seen, and the scan's scope covers it → resolved.

Apart from values, an open episode seen again may start or stop being suppressed (a
suppression added, removed or expired): `suppressed` and `unsuppressed` list those, so the
timeline records the event and alerts can say "suppression expired".

Both stores use this partition, so they agree on what counts as new, changed or resolved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubedrift.model import JSON, MISSING, Finding, ObjectRef
from kubedrift.model.suppression import Suppression
from kubedrift.store.filters import ScanScope


def to_json_text(value: Any) -> str:
    """Canonical JSON text; values JSON cannot hold (a YAML date) become their `str`."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def finding_key(cluster: str, finding: Finding) -> str:
    """The identity of a finding in a cluster, as 64 hex digits."""
    return _sha256([cluster, *finding.identity()])


def value_digest(desired: JSON, live: JSON) -> str:
    """A digest of both values that tells `MISSING` from JSON null."""
    return _sha256([_side(desired), _side(live)])[:32]


def _side(value: JSON) -> list[JSON]:
    return [] if value is MISSING else [value]


def _sha256(value: Any) -> str:
    return hashlib.sha256(to_json_text(value).encode()).hexdigest()


def pool_of(finding: Finding) -> str | None:
    """The node pool a finding names in its details, if any."""
    return dict(finding.details).get("pool")


@dataclass(frozen=True, slots=True)
class Seen:
    """One finding of the scan, with its key and value digest."""

    key: str
    finding: Finding
    digest: str


@dataclass(frozen=True, slots=True)
class OpenEpisode:
    """What a scan needs to know of an open episode: its key, digest and object."""

    id: int
    key: str
    digest: str
    group: str
    kind: str
    namespace: str
    name: str
    category: str
    suppression: Any = None
    """The suppression recorded when last seen (its JSON), or None."""


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """The partition of a scan against the open episodes (see the module docstring)."""

    seen: tuple[Seen, ...]
    new: tuple[Seen, ...]
    changed: tuple[tuple[Seen, OpenEpisode], ...]
    resolved: tuple[OpenEpisode, ...]
    suppressed: tuple[tuple[Seen, OpenEpisode], ...] = ()
    unsuppressed: tuple[tuple[Seen, OpenEpisode], ...] = ()


def key_findings(cluster: str, findings: Iterable[Finding]) -> tuple[Seen, ...]:
    """Key each finding; of two with one identity in a scan, the later one wins."""
    by_key: dict[str, Seen] = {}
    for f in findings:
        key = finding_key(cluster, f)
        by_key[key] = Seen(key, f, value_digest(f.desired, f.live))
    return tuple(by_key.values())


def plan_scan(
    seen: Sequence[Seen], open_episodes: Iterable[OpenEpisode], scope: ScanScope
) -> ScanPlan:
    """Partition a keyed scan against the cluster's open episodes."""
    open_by_key = {e.key: e for e in open_episodes}
    seen_keys = {s.key for s in seen}
    new = tuple(s for s in seen if s.key not in open_by_key)
    changed = tuple(
        (s, open_by_key[s.key])
        for s in seen
        if s.key in open_by_key and open_by_key[s.key].digest != s.digest
    )
    resolved = tuple(
        e
        for e in open_by_key.values()
        if e.key not in seen_keys and scope.covers(e.group, e.kind, e.namespace, e.name, e.category)
    )
    reseen = [(s, open_by_key[s.key]) for s in seen if s.key in open_by_key]
    suppressed = tuple(
        (s, e) for s, e in reseen if s.finding.suppression is not None and e.suppression is None
    )
    unsuppressed = tuple(
        (s, e) for s, e in reseen if s.finding.suppression is None and e.suppression is not None
    )
    return ScanPlan(tuple(seen), new, changed, resolved, suppressed, unsuppressed)


def opening_note(finding: Finding) -> str | None:
    """The note of an episode's first history row: its suppression, if it opens suppressed."""
    return None if finding.suppression is None else finding.suppression.label()


def suppression_events(plan: ScanPlan) -> list[tuple[int, Finding, str | None]]:
    """History rows for suppressions that started or ended on open episodes."""
    rows = [(e.id, s.finding, opening_note(s.finding)) for s, e in plan.suppressed]
    rows += [(e.id, s.finding, ended_note(e.suppression)) for s, e in plan.unsuppressed]
    return rows


def ended_note(recorded: Any) -> str:
    """`suppression expired (was: suppressed until 2026-12-31 by al: load test)`."""
    return f"suppression expired (was: {Suppression.from_json(recorded).label()})"


def event_scope(ref: ObjectRef, findings: Iterable[Finding]) -> ScanScope:
    """The scope of an update about one object; every finding must be about that object."""
    key = ref.pairing_key()
    for f in findings:
        if f.object.pairing_key() != key:
            raise ValueError(f"finding on {f.object} in an update about {ref}")
    return ScanScope.of_objects([ref])


def check_scan(cluster: str, at: datetime) -> None:
    """Reject what would corrupt a timeline: no cluster name, a time without a zone."""
    if not cluster:
        raise ValueError("a scan needs a cluster name")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"scan time {at.isoformat()} has no time zone")
