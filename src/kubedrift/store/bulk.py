"""Whole episodes written at once: a past timeline imported, not replayed scan by scan.

`kubedrift simulate --history` produces weeks of episodes with known onsets and resolutions.
Replaying them through `record_scan` would take one transaction per event (minutes for a
few thousand episodes); this writes the same rows `record_scan` would have left behind —
the episode, its `episode` number per key, and the history row of its opening values — in
one transaction. Episodes of one key must not overlap (the store's open-episode invariant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from kubedrift.model import Finding
from kubedrift.store.delta import key_findings
from kubedrift.store.reads import chunks
from kubedrift.store.schema import clusters, finding_changes, findings
from kubedrift.store.writes import finding_row, json_value, upsert


@dataclass(frozen=True, slots=True)
class PastEpisode:
    """One episode to import: the finding as first seen, its onset and resolution."""

    finding: Finding
    first_seen: datetime
    resolved_at: datetime | None


def import_episodes(
    connection: Connection,
    cluster: str,
    episodes: Sequence[PastEpisode],
    recorded_until: datetime | None = None,
) -> None:
    """Insert the episodes and their opening history rows; the caller owns the transaction.

    `recorded_until` is the time of the last scan the history covers (default: its last
    onset or resolution): the cluster's `last_recorded`.
    """
    if not episodes:
        return
    ordered = sorted(episodes, key=lambda e: e.first_seen)
    times = [e.first_seen for e in ordered] + [e.resolved_at or e.first_seen for e in ordered]
    if recorded_until is not None:
        times.append(recorded_until)
    stmt = upsert(connection, clusters, [clusters.c.name], ["last_recorded"])
    connection.execute(
        stmt, {"name": cluster, "first_recorded": min(times), "last_recorded": max(times)}
    )
    counts: dict[str, int] = {}
    rows = []
    for episode in ordered:
        (seen,) = key_findings(cluster, [episode.finding])
        counts[seen.key] = counts.get(seen.key, 0) + 1
        row = finding_row(cluster, seen, episode.first_seen, counts[seen.key])
        row["last_seen"] = episode.resolved_at or episode.first_seen
        row["resolved_at"] = episode.resolved_at
        rows.append(row)
    for chunk in chunks(rows):
        connection.execute(findings.insert(), list(chunk))
    _opening_changes(connection, ordered, [(r["key"], r["episode"]) for r in rows])


def _opening_changes(
    connection: Connection, ordered: Sequence[PastEpisode], keys: list[tuple[str, int]]
) -> None:
    ids: dict[tuple[str, int], int] = {}
    for chunk in chunks(sorted({k for k, _ in keys})):
        query = select(findings.c.key, findings.c.episode, findings.c.id).where(
            findings.c.key.in_(chunk)
        )
        ids.update({(k, n): i for k, n, i in connection.execute(query)})
    params: list[dict[str, Any]] = [
        {
            "finding_id": ids[key],
            "at": episode.first_seen,
            "desired": json_value(episode.finding.desired),
            "live": json_value(episode.finding.live),
            "manager": episode.finding.manager,
            "revision": episode.finding.revision,
        }
        for episode, key in zip(ordered, keys, strict=True)
    ]
    connection.execute(finding_changes.insert(), params)
