"""The fleet page's heat map: pools × facts and each cell's level (pure).

The overview's charts are the report's own (`kubedrift.api.reportview`); this module only
shades the fleet page's HTML table, whose cells are links to their nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubedrift.store.browse import FleetCell

HEAT_LEVELS = 5


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
