"""Small server-rendered charts: bar geometry for inline SVG, and heat-map levels (pure).

The templates draw each bar as a `<rect>` with presentation attributes and a CSS class, never
a `style` attribute, so the Content-Security-Policy needs no `unsafe-inline`. Every chart
has a text alternative in the page (a table or a list), for screen readers and for 0 data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubedrift.model import Severity
from kubedrift.store.browse import DayCount, FleetCell

WIDTH = 320
ROW = 22
HEAT_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: position, size, CSS class, and what its tooltip and label say."""

    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    """A whole chart: its view box and bars."""

    width: int
    height: int
    bars: tuple[Bar, ...]


def severity_bars(counts: dict[Severity, int]) -> Chart:
    """Horizontal bars, one per severity, most severe on top."""
    top = max(counts.values(), default=0) or 1
    bars = tuple(
        Bar(90, i * ROW + 2, (WIDTH - 130) * n / top, ROW - 6, f"sev-{s.value}", s.value, n)
        for i, (s, n) in enumerate(counts.items())
    )
    return Chart(WIDTH, ROW * len(bars) + 4, bars)


def day_bars(days: Sequence[DayCount], height: int = 120) -> Chart:
    """Opened and resolved per day, side by side, oldest day left."""
    top = max((max(d.opened, d.resolved) for d in days), default=0) or 1
    slot = WIDTH / max(len(days), 1)
    bar = max(slot / 2 - 1, 1)
    bars: list[Bar] = []
    for i, d in enumerate(days):
        for j, (value, css, what) in enumerate(
            ((d.opened, "opened", "opened"), (d.resolved, "resolved", "resolved"))
        ):
            h = (height - 4) * value / top
            label = f"{d.day.isoformat()}: {value} {what}"
            bars.append(Bar(i * slot + j * bar, height - h, bar, h, css, label, value))
    return Chart(WIDTH, height, tuple(bars))


def heat_level(nodes: int, most: int) -> int:
    """0 (no drift) to HEAT_LEVELS, relative to the worst cell of the map."""
    if nodes <= 0 or most <= 0:
        return 0
    return max(1, round(HEAT_LEVELS * nodes / most))


def heat_map(cells: Sequence[FleetCell]) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """Pools (rows), facts (columns) and the count of each cell that has one."""
    pools = sorted({c.pool for c in cells})
    facts = sorted({c.fact for c in cells})
    return pools, facts, {(c.pool, c.fact): c.nodes for c in cells}
