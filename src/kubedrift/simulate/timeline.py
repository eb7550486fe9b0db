"""A simulated drift history written into a timeline store (`kubedrift simulate --history`)."""

from __future__ import annotations

from kubedrift.simulate.history import HistorySpec, generate_history
from kubedrift.store.bulk import PastEpisode
from kubedrift.store.sql import SqlStore


def write_history(store: SqlStore, spec: HistorySpec) -> int:
    """Generate the history of `spec` into `store`; the number of episodes written."""
    episodes = [PastEpisode(e.finding, e.first_seen, e.resolved_at) for e in generate_history(spec)]
    store.import_episodes(spec.cluster, episodes, recorded_until=spec.end)
    return len(episodes)
