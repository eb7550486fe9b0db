"""The `table` format's pool groups: "h100: 16 nodes, 3 drifted", then a table of node facts.

Only drifted nodes are listed, at most `MAX_NODES` of them and `MAX_FACTS` facts each, so a
5,000-node fleet with a few snowflakes reads in one screen; the rest is counted, not hidden.
"""

from __future__ import annotations

from rich.console import Group as Stack
from rich.console import OverflowMethod, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kubedrift.cli.render.groups import NO_POOL, Group, by_object
from kubedrift.cli.render.table_style import (
    DESIRED_STYLE,
    DIM,
    LIVE_STYLE,
    finding_badge,
    suppressed_line,
)
from kubedrift.cli.render.values import ELLIPSIS, plural, safe, scalar_text
from kubedrift.model import JSON, Finding, ObjectRef

MAX_NODES = 10
MAX_FACTS = 8
MAX_VALUE = 64
INDENT = 2
GAP = 2
HEADERS = ("node", "fact", "expected", "actual", "severity")
# Natural widths are capped here; a narrow terminal then takes width from node names first
# (cloud node names differ in their head, `ip-10-16-1-11.us-east-2…`), then from values
# (they fold onto more lines and lose nothing; a version split mid-way reads badly), then
# from facts (cut with `…`).
CAPS = (48, 48, 32, 32, 8)
FLOORS = (20, 12, 10, 10, 8)
SHRINK_ORDER = ((0,), (2, 3), (1,))
OVERFLOW: tuple[OverflowMethod, ...] = ("ellipsis", "ellipsis", "fold", "fold", "ellipsis")


def pool_group(group: Group, width: int, *, wide: bool = False) -> RenderableType:
    """The pool's headline, its drifted nodes' facts, and a count of what was left out
    (`wide`: every node, every fact, values whole)."""
    nodes = list(by_object(group.findings).items())
    shown = nodes if wide else nodes[:MAX_NODES]
    rows = [row for ref, found in shown for row in _node_rows(ref, found, wide)]
    table = _facts_table(rows, width - INDENT, None if wide else CAPS)
    parts: list[RenderableType] = [_headline(group, len(nodes)), Padding(table, (0, 0, 0, INDENT))]
    hidden = [found for _, found in nodes[len(shown) :]]
    if hidden:
        count = sum(len(found) for found in hidden)
        more = f"{ELLIPSIS} {len(hidden):,} more drifted nodes ({plural(count, 'finding')})"
        parts.append(Text(" " * INDENT + more, style=DIM))
    return Stack(*parts)


def _headline(group: Group, drifted: int) -> Text:
    name = "nodes without a pool" if group.title == NO_POOL else safe(group.title)
    if group.pool is None:
        return Text.assemble((f"{name}: ", "bold"), plural(drifted, "drifted node"))
    counts = f"{plural(group.pool.nodes, 'node')}, {group.pool.drifted:,} drifted"
    note = f" · {safe(group.pool.note)}" if group.pool.note else ""
    return Text.assemble((f"{name}: ", "bold"), counts, (note, DIM))


def _node_rows(ref: ObjectRef, findings: list[Finding], wide: bool) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = []
    limit = len(findings) if wide else MAX_FACTS
    for index, finding in enumerate(findings[:limit]):
        rows.append(
            (
                Text(safe(ref.name) if index == 0 else ""),
                Text(safe(finding.path)),
                Text(_value(finding.desired, wide), style=DESIRED_STYLE),
                Text(_value(finding.live, wide), style=LIVE_STYLE),
                finding_badge(finding, pad=False),
            )
        )
        suppressed = suppressed_line(finding)
        if suppressed is not None:
            rows.append((Text(""), suppressed, Text(""), Text(""), Text("")))
    if len(findings) > limit:
        more = Text(f"{ELLIPSIS} {len(findings) - limit} more facts", style=DIM)
        rows.append((Text(""), more, Text(""), Text(""), Text("")))
    return rows


def _facts_table(
    rows: list[tuple[Text, ...]], available: int, caps: tuple[int, ...] | None
) -> Table:
    table = Table(box=None, padding=(0, GAP, 0, 0), pad_edge=False, header_style="bold")
    widths = _fit(_natural_widths(rows, caps), available - GAP * (len(HEADERS) - 1))
    for title, size, overflow in zip(HEADERS, widths, OVERFLOW, strict=True):
        table.add_column(title, width=size, no_wrap=overflow != "fold", overflow=overflow)
    for row in rows:
        table.add_row(*row)
    return table


def _natural_widths(rows: list[tuple[Text, ...]], caps: tuple[int, ...] | None) -> list[int]:
    widths = []
    for index, title in enumerate(HEADERS):
        longest = max([len(title), *(row[index].cell_len for row in rows)])
        widths.append(longest if caps is None else min(longest, caps[index]))
    return widths


def _fit(widths: list[int], available: int) -> list[int]:
    """Narrow the widest column that may give way, values first, until the table fits."""
    out = list(widths)
    for group in SHRINK_ORDER:
        while sum(out) > available:
            index = max(group, key=lambda i: out[i])
            if out[index] <= FLOORS[index]:
                break
            out[index] -= 1
    return out


def _value(value: JSON, wide: bool = False) -> str:
    """Short values whole; long ones keep head and tail, where versions and hashes differ."""
    text = scalar_text(value)
    if wide or len(text) <= MAX_VALUE:
        return text
    half = (MAX_VALUE - 1) // 2
    return f"{text[:half]}{ELLIPSIS}{text[-half:]}"
