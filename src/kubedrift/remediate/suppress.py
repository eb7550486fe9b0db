"""Applying suppressions to findings: mark, never drop.

A finding covered by a suppression that has not expired gets that suppression attached
(`Finding.suppression`); the report still lists it, with its reason, end date and author,
and leaves it out of counts, the exit code and alerts. When several suppressions match,
the one that lasts longest is shown, so the finding returns only when all have ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from kubedrift.model import Finding
from kubedrift.model.suppression import Suppression


def apply_suppressions(
    findings: Iterable[Finding], suppressions: Sequence[Suppression], now: datetime
) -> tuple[Finding, ...]:
    """`findings` in the same order, each marked with its live suppression (or unmarked)."""
    live = [s for s in suppressions if not s.expired(now)]
    return tuple(_marked(f, live) for f in findings)


def _marked(finding: Finding, live: Sequence[Suppression]) -> Finding:
    matching = [s for s in live if s.matches(finding)]
    chosen = max(matching, key=lambda s: s.until, default=None)
    if chosen is finding.suppression:
        return finding
    return replace(finding, suppression=chosen)
