"""Predicted risk for the dashboard and API, computed off the request path and kept a while.

Training the model reads the whole store and takes seconds on a big one, far over a page's
budget, so no request waits for it: `RiskCache.get()` answers with the last table at once
(None while the first is being made) and, when that table is older than `ttl`, starts one
refresh in a background thread. A refresh that fails
keeps the last good table, logs once per failure and says why in `status()`; the next
request after `retry` seconds tries again, so the cache recovers by itself. A refresh on a
store unchanged since the last table (`FindingBrowser.revision`: newest episode, value
change and scan) keeps that table: the same inputs train the same model, so an idle store
costs three index lookups every `ttl`, not a training. The dashboard trains in a child
process (`ChildAssess`, as the overview's charts are drawn): a training in a thread of the
server held the interpreter lock for seconds, and every request answered meanwhile waited
for it (the first overview with 100,000 findings took 2.7 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubedrift.api.child import in_child
from kubedrift.model import InputError
from kubedrift.model.gcpause import freeze_long_lived
from kubedrift.predict.assess import assess_store
from kubedrift.predict.risk import EntityRisk, RiskTable
from kubedrift.predict.window import Entity
from kubedrift.store import SqlStore, StoredFinding

log = logging.getLogger(__name__)

TTL = 600.0
"""Seconds a table is served before a refresh is started (also when nothing was recorded)."""
RETRY = 30.0
"""Seconds after a failed refresh before the next one may start."""


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """Whether a table is there, and what to tell a reader about it."""

    state: str
    """`ready`, `computing` (no table yet), or `failed` (no table, the last try failed)."""
    error: str | None = None


Assess = Callable[[SqlStore], RiskTable]
"""Makes a store's table: `assess_store` here, or a `ChildAssess`."""


def _in_process(store: SqlStore) -> RiskTable:
    return assess_store(store)  # looked up at each call


class ChildAssess:
    """`assess_store` in a spawned child process of its own, one per refresh
    (`kubedrift.api.child`, as the overview's charts are drawn)."""

    def __init__(self, url: str) -> None:
        self._url = url

    def __call__(self, store: SqlStore) -> RiskTable:
        """The child's table; any failure there is raised here."""
        table = in_child("risk", self._url, _in_process)
        assert isinstance(table, RiskTable)
        return table


class RiskCache:
    """The store's `RiskTable`, refreshed in the background (see the module docstring)."""

    def __init__(
        self,
        store: SqlStore,
        *,
        ttl: float = TTL,
        retry: float = RETRY,
        clock: Callable[[], float] = time.monotonic,
        assess: Assess = _in_process,
    ) -> None:
        self._store = store
        self._assess = assess
        self._ttl, self._retry, self._clock = ttl, retry, clock
        self._lock = threading.Lock()
        self._table: RiskTable | None = None
        self._made = 0.0
        self._failed_at: float | None = None
        self._error: str | None = None
        self._running: threading.Thread | None = None
        self._revision: tuple[object, ...] | None = None  # the store's, of `_table`

    def get(self) -> RiskTable | None:
        """The latest table (None until the first is made); starts a refresh when due."""
        with self._lock:
            if self._due() and self._running is None:
                self._running = threading.Thread(
                    target=self._refresh, name="kubedrift-risk", daemon=True
                )
                self._running.start()
            return self._table

    def status(self) -> RiskStatus:
        """`ready` once a table exists; else `computing`, or `failed` with the reason."""
        with self._lock:
            if self._table is not None:
                return RiskStatus("ready", self._error)
            if self._error is not None and self._running is None:
                return RiskStatus("failed", self._error)
            return RiskStatus("computing", self._error)

    def wait(self, timeout: float) -> bool:
        """Wait for a running refresh to end (tests, the CLI); True when none runs."""
        running = self._running
        if running is not None:
            running.join(timeout)
        return self._running is None

    def _due(self) -> bool:
        now = self._clock()
        if self._failed_at is not None and now - self._failed_at < self._retry:
            return False
        return self._table is None or now - self._made >= self._ttl

    def _refresh(self) -> None:
        try:
            revision = self._store.browse().revision()
            if self._table is not None and revision == self._revision:
                with self._lock:
                    self._made = self._clock()
                return
            table = self._assess(self._store)
        except Exception as err:  # any failure (store, model) is said, never ends unseen
            self._failed(err)
        else:
            with self._lock:
                self._table, self._made = table, self._clock()
                self._revision = revision
                self._failed_at, self._error = None, None
            # a table of every entity lives until the next refresh: out of the full
            # collections' walk, or each of them stalls a request (model/gcpause.py)
            freeze_long_lived()
        finally:
            with self._lock:
                self._running = None

    def _failed(self, err: Exception) -> None:
        log.error("predicted risk not refreshed (retrying in %.0fs): %s", self._retry, err)
        with self._lock:
            self._failed_at, self._error = self._clock(), f"{type(err).__name__}: {err}"


def entity_of(episode: StoredFinding) -> Entity:
    """The prediction entity a stored finding is about."""
    return Entity(episode.cluster, *episode.finding.object.pairing_key())


def risk_of(table: RiskTable | None, episode: StoredFinding) -> dict[str, object] | None:
    """The `risk` field of one finding: its entity's risk, or null when none is known."""
    if table is None:
        return None
    found = table.of(entity_of(episode))
    return None if found is None else found.to_json()


def risk_summary(cache: RiskCache, table: RiskTable | None) -> dict[str, object]:
    """How the `risk` fields of a response were made: state, models, notes, cutoff."""
    status = cache.status()
    body: dict[str, object] = {"state": status.state}
    if status.error is not None:
        body["error"] = status.error
    if table is not None:
        whole = table.to_json(limit=0)
        del whole["entities"]
        body.update(whole)
    return body


DEFAULT_TOP = 20
MOST_TOP = 500


def top_limit(value: str | None) -> int:
    """The `limit` of `/api/v1/risk`: 1 to 500, default 20 (a 400 naming it otherwise)."""
    if value is None or value == "":
        return DEFAULT_TOP
    if not value.isdigit() or not 1 <= int(value) <= MOST_TOP:
        raise InputError(f"limit {value!r}: a whole number, 1 to {MOST_TOP}")
    return int(value)


def table_json(risks: Sequence[EntityRisk]) -> list[dict[str, object]]:
    """Risks as the `entities` of a `kubedrift/v1` risk block, riskiest first."""
    table = RiskTable(None, risks=tuple(risks))
    entities = table.to_json()["entities"]
    assert isinstance(entities, list)
    return entities


@dataclass(frozen=True, slots=True)
class RiskBar:
    """One row of the dashboard's top-risks chart: the entity and both horizons' bars."""

    y: float
    label: str
    day: float
    week: float
    day_width: float
    week_width: float
    reason: str


BAR_WIDTH = 220.0
BAR_ROW = 26


def risk_bars(table: RiskTable | None, cluster: str | None, limit: int = 10) -> list[RiskBar]:
    """The riskiest entities of `cluster` (all: None) as bar geometry for inline SVG."""
    if table is None:
        return []
    chosen = [r for r in table.risks if not cluster or r.entity.cluster == cluster][:limit]
    return [
        RiskBar(
            i * BAR_ROW,
            str(r.entity),
            r.probability("24h"),
            r.probability("7d"),
            BAR_WIDTH * r.probability("24h"),
            BAR_WIDTH * r.probability("7d"),
            r.reason or "",
        )
        for i, r in enumerate(chosen)
    ]
