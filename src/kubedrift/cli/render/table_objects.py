"""The `table` format's object groups: per finding a badge, the path, a `-`/`+` diff, provenance.

Workload findings put what they risk first (GPUs, GPU-hours, workloads), then their message.
"""

from __future__ import annotations

from rich.console import Group as Stack
from rich.console import RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kubedrift.cli.render.groups import POOL_DETAIL, Group
from kubedrift.cli.render.table_style import (
    BADGE_WIDTH,
    DESIRED_STYLE,
    DIM,
    LIVE_STYLE,
    finding_badge,
    line,
    suppressed_line,
)
from kubedrift.cli.render.values import cap_lines, changed_text, has_values, safe, value_lines
from kubedrift.model import Category, Finding, Impact
from kubedrift.model.rules import ObjectRule

MAX_VALUE_LINES = 12
MAX_WORKLOADS = 3
WHOLE_OBJECT = "(whole object)"


def object_group(group: Group, revision: str | None, *, wide: bool = False) -> RenderableType:
    """An object's title, then one badge-and-body row per finding (`wide`: values whole,
    and each finding's revision even where it is the report's)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=BADGE_WIDTH, no_wrap=True)
    grid.add_column(ratio=1)
    for finding in group.findings:
        grid.add_row(finding_badge(finding), _body(finding, None if wide else revision, wide))
    title = Text(safe(group.title), style="bold")
    source = next((f.source for f in group.findings if f.source is not None), None)
    if source is not None:
        title.append(f" · {safe(str(source))}", style=DIM)
    return Stack(title, Padding(grid, (0, 0, 0, 2)))


def _message(finding: Finding) -> str:
    """The message without a leading "<path>: ", which the line already shows."""
    prefix = f"{finding.path}: "
    if finding.path and finding.message.startswith(prefix):
        return finding.message[len(prefix) :]
    return finding.message


def _body(finding: Finding, revision: str | None, wide: bool) -> RenderableType:
    parts: list[RenderableType] = []
    if finding.category is Category.WORKLOAD:
        parts += _impact(finding.impact)
        parts.append(Text(safe(finding.message)))
    else:
        path = Text(safe(finding.path) or WHOLE_OBJECT, style="bold")
        # a changed field's -/+ lines say what the message would
        if not (finding.rule == ObjectRule.FIELD_CHANGED and has_values(finding)):
            path.append(f" · {safe(_message(finding))}", style=DIM)
        parts.append(path)
    if has_values(finding):
        parts += _diff(finding, None if wide else MAX_VALUE_LINES)
    parts.append(Text(" · ".join(_provenance(finding, revision)), style=DIM))
    suppressed = suppressed_line(finding)
    if suppressed is not None:
        parts.append(suppressed)
    return Stack(*parts)


def _impact(impact: Impact | None) -> list[Text]:
    if impact is None:
        return []
    risk = f"{impact.gpus:,} GPUs · {impact.gpu_hours:,.1f} GPU-hours at risk"
    out = [Text(risk, style="bold")]
    if impact.workloads:
        out.append(line("workloads: " + _names(impact.workloads)))
    return out


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(safe(n) for n in names[:MAX_WORKLOADS])
    hidden = len(names) - MAX_WORKLOADS
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _diff(finding: Finding, limit: int | None) -> list[Text]:
    minus, plus = value_lines(finding.desired), value_lines(finding.live)
    if limit is not None:
        minus, plus = cap_lines(minus, limit), cap_lines(plus, limit)
    return [line(f"- {text}", DESIRED_STYLE) for text in minus] + [
        line(f"+ {text}", LIVE_STYLE) for text in plus
    ]


def _provenance(finding: Finding, revision: str | None) -> list[str]:
    changed = changed_text(finding.manager, finding.changed_at)
    parts = [changed] if changed else []
    if finding.revision and finding.revision != revision:
        parts.append(f"revision {safe(finding.revision)}")
    parts += [f"{safe(k)}={safe(v)}" for k, v in finding.details if k != POOL_DETAIL]
    parts.append(f"rule {safe(finding.rule)}")
    return parts
