"""`MemoryStore`: the in-memory fake of `Store`, for unit tests of the layers above.

It keeps the same episodes, history and deltas as `SqlStore` (the shared test suite runs on
both), using the same pure partition (delta.py); a scan is applied whole or not at all.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from kubedrift.model import Finding
from kubedrift.model.suppression import Suppression
from kubedrift.store.delta import (
    OpenEpisode,
    Seen,
    check_scan,
    key_findings,
    opening_note,
    plan_scan,
    pool_of,
    suppression_events,
    value_digest,
)
from kubedrift.store.derived import DerivedReads
from kubedrift.store.filters import ALL, EVERYTHING, HistoryFilter, ScanScope
from kubedrift.store.records import Changed, ScanDelta, StoredFinding, Unsuppressed, ValueChange
from kubedrift.store.stats import EpisodeSpan, TimelineStats, timeline_stats
from kubedrift.store.suppressions import StoredSuppression


class MemoryStore(DerivedReads):
    """Episodes and history in dicts; nothing survives the object."""

    def __init__(self) -> None:
        self._episodes: dict[int, StoredFinding] = {}
        self._changes: dict[int, list[ValueChange]] = {}
        self._open_by_key: dict[str, int] = {}
        self._episode_counts: Counter[str] = Counter()
        self._secret_hash_key = secrets.token_bytes(32)
        self._suppressions: dict[int, StoredSuppression] = {}

    def record_scan(
        self,
        cluster: str,
        findings: Sequence[Finding],
        *,
        at: datetime,
        scope: ScanScope | None = None,
    ) -> ScanDelta:
        """See `Store.record_scan`."""
        check_scan(cluster, at)
        at = at.astimezone(UTC)  # as the databases store it
        seen = key_findings(cluster, findings)
        plan = plan_scan(seen, self._open_episodes(cluster), scope or EVERYTHING)
        before = {e.id: self._changes[e.id][-1] for _, e in plan.changed}
        new_ids = [self._open(cluster, s, at) for s in plan.new]
        opened = set(new_ids)
        for s in seen:
            episode_id = self._open_by_key[s.key]
            if episode_id not in opened:
                self._refresh(episode_id, s.finding, at, value_changed=episode_id in before)
        for episode_id, finding, note in suppression_events(plan):
            self._changes[episode_id].append(_change(finding, at, note))
        for e in plan.resolved:
            self._episodes[e.id] = dataclasses.replace(self._episodes[e.id], resolved_at=at)
            del self._open_by_key[e.key]
        return ScanDelta(
            new=tuple(self._episodes[i] for i in new_ids),
            changed=tuple(Changed(self._episodes[i], b) for i, b in before.items()),
            resolved=tuple(self._episodes[e.id] for e in plan.resolved),
            unchanged=len(seen) - len(plan.new) - len(plan.changed),
            suppressed=tuple(self._episodes[e.id] for _, e in plan.suppressed),
            unsuppressed=tuple(
                Unsuppressed(self._episodes[e.id], Suppression.from_json(e.suppression))
                for _, e in plan.unsuppressed
            ),
        )

    def history(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """See `Store.history`."""
        found = (e for e in self._episodes.values() if filters.matches(e))
        return sorted(found, key=lambda e: (e.first_seen, e.id))

    def changes(self, finding_id: int) -> list[ValueChange]:
        """See `Store.changes`."""
        return list(self._changes.get(finding_id, ()))

    def stats(self, filters: HistoryFilter = ALL, *, now: datetime | None = None) -> TimelineStats:
        """See `Store.stats`."""
        spans = (
            EpisodeSpan(e.first_seen, e.resolved_at, e.episode, e.finding.severity)
            for e in self.history(filters)
        )
        return timeline_stats(spans, now or datetime.now(UTC))

    def add_suppression(self, suppression: Suppression, *, at: datetime) -> int:
        """See `Store.add_suppression`."""
        new_id = max(self._suppressions, default=0) + 1
        self._suppressions[new_id] = StoredSuppression(new_id, at, suppression)
        return new_id

    def remove_suppression(self, suppression_id: int) -> bool:
        """See `Store.remove_suppression`."""
        return self._suppressions.pop(suppression_id, None) is not None

    def suppressions(self) -> list[StoredSuppression]:
        """See `Store.suppressions`."""
        return [self._suppressions[k] for k in sorted(self._suppressions)]

    def close(self) -> None:
        """Nothing to release."""

    def secret_hash_key(self) -> bytes:
        """See `Store.secret_hash_key`: random, kept as long as the store object."""
        return self._secret_hash_key

    # -- internals -------------------------------------------------------------------------

    def _open_episodes(self, cluster: str) -> list[OpenEpisode]:
        out = []
        for key, episode_id in self._open_by_key.items():
            e = self._episodes[episode_id]
            if e.cluster == cluster:
                ref, f = e.finding.object, e.finding
                digest = value_digest(f.desired, f.live)
                out.append(
                    OpenEpisode(
                        episode_id,
                        key,
                        digest,
                        ref.group,
                        ref.kind,
                        ref.namespace or "",
                        ref.name,
                        f.category.value,
                        None if f.suppression is None else f.suppression.to_json(),
                    )
                )
        return out

    def _open(self, cluster: str, seen: Seen, at: datetime) -> int:
        episode_id = len(self._episodes) + 1
        self._episode_counts[seen.key] += 1
        self._open_by_key[seen.key] = episode_id
        self._episodes[episode_id] = StoredFinding(
            id=episode_id,
            cluster=cluster,
            episode=self._episode_counts[seen.key],
            first_seen=at,
            last_seen=at,
            resolved_at=None,
            pool=pool_of(seen.finding),
            finding=seen.finding,
        )
        self._changes[episode_id] = [_change(seen.finding, at, opening_note(seen.finding))]
        return episode_id

    def _refresh(
        self, episode_id: int, finding: Finding, at: datetime, *, value_changed: bool
    ) -> None:
        self._episodes[episode_id] = dataclasses.replace(
            self._episodes[episode_id], last_seen=at, pool=pool_of(finding), finding=finding
        )
        if value_changed:
            self._changes[episode_id].append(_change(finding, at))


def _change(finding: Finding, at: datetime, note: str | None = None) -> ValueChange:
    return ValueChange(at, finding.desired, finding.live, finding.manager, finding.revision, note)
