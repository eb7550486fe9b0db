"""What prediction may know: the episodes that began before a cutoff, censored at it.

A `Window` is the whole input of the features. Its invariant is checked when it is built,
so no code path can hand the features a record from the future: every episode began before
`cutoff`, and a resolution at or after `cutoff` is not known yet (`resolved_at` is None, the
episode counts as open). `before(c)` narrows a window to an earlier cutoff with the same
censoring; a window can never be widened. The manager is the one that opened the episode
(its first history row), never a later value.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, order=True)
class Entity:
    """What a prediction is about: one object or node of one cluster."""

    cluster: str
    group: str
    kind: str
    namespace: str  # "" for cluster-scoped objects (Nodes)
    name: str

    @property
    def is_node(self) -> bool:
        """Nodes are predicted from pool behaviour, objects from namespace behaviour."""
        return self.group == "" and self.kind == "Node"

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Episode:
    """One past episode as prediction sees it (see the module docstring for censoring)."""

    entity: Entity
    path: str
    rule: str
    category: str
    pool: str | None
    manager: str | None
    first_seen: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Window:
    """Episodes with `first_seen < cutoff`, oldest first, resolutions censored at `cutoff`."""

    cutoff: datetime
    episodes: tuple[Episode, ...]

    def __post_init__(self) -> None:
        if self.cutoff.tzinfo is None:
            raise ValueError("a cutoff needs a time zone")
        for e in self.episodes:
            if e.first_seen >= self.cutoff or (
                e.resolved_at is not None and e.resolved_at >= self.cutoff
            ):
                raise ValueError(f"{e.entity} {e.path}: a record from after the cutoff")
        starts = [e.first_seen for e in self.episodes]
        if starts != sorted(starts):
            raise ValueError("episodes must be ordered by first_seen")

    @classmethod
    def censored(cls, cutoff: datetime, episodes: list[Episode]) -> Window:
        """The window at `cutoff` of any episodes: later ones dropped, resolutions censored."""
        kept = [_censor(e, cutoff) for e in episodes if e.first_seen < cutoff]
        return cls(cutoff, tuple(sorted(kept, key=lambda e: e.first_seen)))

    def before(self, cutoff: datetime) -> Window:
        """This window narrowed to an earlier (or the same) cutoff."""
        if cutoff > self.cutoff:
            raise ValueError(
                f"cannot see past the window: {cutoff.isoformat()} > {self.cutoff.isoformat()}"
            )
        end = bisect.bisect_left([e.first_seen for e in self.episodes], cutoff)
        return Window(cutoff, tuple(_censor(e, cutoff) for e in self.episodes[:end]))

    @property
    def start(self) -> datetime | None:
        """The first onset, or None for an empty window."""
        return self.episodes[0].first_seen if self.episodes else None


def _censor(episode: Episode, cutoff: datetime) -> Episode:
    if episode.resolved_at is None or episode.resolved_at < cutoff:
        return episode
    return Episode(
        episode.entity,
        episode.path,
        episode.rule,
        episode.category,
        episode.pool,
        episode.manager,
        episode.first_seen,
        None,
    )
