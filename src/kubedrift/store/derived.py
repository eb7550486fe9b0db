"""What every `Store` implementation answers the same way, from its own primitives.

`record_event` is a scan scoped to one object, `open_findings` the history of open episodes,
and a store is its own context manager that closes on exit. `SqlStore` and `MemoryStore`
inherit these so the fake cannot behave differently from the real store here.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from kubedrift.model import Finding, ObjectRef
from kubedrift.store.delta import event_scope
from kubedrift.store.filters import ALL, HistoryFilter, ScanScope
from kubedrift.store.records import ScanDelta, StoredFinding


class DerivedReads(ABC):
    """`record_event`, `open_findings` and the context manager, built on the primitives."""

    @abstractmethod
    def record_scan(
        self,
        cluster: str,
        findings: Sequence[Finding],
        *,
        at: datetime,
        scope: ScanScope | None = None,
    ) -> ScanDelta:
        """See `Store.record_scan`."""

    @abstractmethod
    def history(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """See `Store.history`."""

    @abstractmethod
    def close(self) -> None:
        """See `Store.close`."""

    def record_event(
        self, cluster: str, ref: ObjectRef, findings: Sequence[Finding], *, at: datetime
    ) -> ScanDelta:
        """See `Store.record_event`: a scan that covers `ref` only."""
        return self.record_scan(cluster, findings, at=at, scope=event_scope(ref, findings))

    def open_findings(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """See `Store.open_findings`."""
        return self.history(dataclasses.replace(filters, open_only=True))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
