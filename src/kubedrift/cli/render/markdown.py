"""The `markdown` format: an audit report or pull-request comment (GitHub-flavoured tables).

Every value goes through `code()` or `text()`, which escape what would break a table cell or
start Markdown syntax: pipes, backticks, newlines, emphasis, links and raw HTML.
"""

from __future__ import annotations

import re
from collections import Counter

from kubedrift.cli.render.groups import NO_POOL, Group, GroupKind, by_object, group_findings
from kubedrift.cli.render.values import (
    ELLIPSIS,
    cap_lines,
    has_values,
    plural,
    safe,
    scalar_text,
    shorten,
)
from kubedrift.model import Category, Finding, Report, Severity, SourceLocation

MAX_CELL = 160
MAX_CELL_LINES = 10
MAX_POOL_NODES = 50
MAX_WORKLOADS = 10
SEP = " · "

_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")
_TICKS = re.compile(r"`+")


def render_markdown(report: Report) -> str:
    """Title, headline, severity-by-category table, then a section per object or pool."""
    blocks = ["# kubedrift drift report", _headline(report)]
    if report.findings:
        blocks.append(_summary(report))
    blocks += [_section(group) for group in group_findings(report)]
    if report.notes:
        blocks.append("## Notes\n\n" + "\n".join(f"- {text(n)}" for n in report.notes))
    return "\n\n".join(blocks) + "\n"


def text(value: str) -> str:
    """Plain text safe in a paragraph, heading or table cell."""
    lines = value.replace("\r\n", "\n").split("\n")
    return "<br>".join(_SPECIAL.sub(r"\\\1", safe(line)) for line in lines)


def code(value: str, *, in_table: bool = True) -> str:
    """`value` as a code span, fenced past any backticks inside; pipes escaped in a table."""
    value = safe(value)
    if not value:
        return ""
    longest = max((len(run) for run in _TICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value[0] in "` " or value[-1] in "` " else ""
    if in_table:
        value = value.replace("|", "\\|")
    return f"{fence}{pad}{value}{pad}{fence}"


def cell(value: object) -> str:
    """A desired or live value as a table cell: one code span per line, lines joined by <br>."""
    if isinstance(value, str) and "\n" in value:
        lines = cap_lines(value.splitlines(), MAX_CELL_LINES)
    else:
        lines = [scalar_text(value)]
    return "<br>".join(code(shorten(line, MAX_CELL)) for line in lines)


def _headline(report: Report) -> str:
    if report.findings:
        total = plural(len(report.active()), "finding")
        lead = f"**{total} on {plural(report.drifted_objects(), 'object')}**"
        if report.suppressed():
            lead += f" ({len(report.suppressed())} suppressed)"
    else:
        lead = "**No drift found.**"
    parts = [lead]
    if report.revision:
        parts.append(f"revision {text(report.revision)}")
    if report.live_source:
        parts.append(f"live: {text(report.live_source)}")
    checked = [(report.objects_checked, "object"), (report.nodes_checked, "node")]
    counts = [plural(n, noun) for n, noun in checked if n]
    if counts:
        parts.append(" and ".join(counts) + " checked")
    return SEP.join(parts)


def _summary(report: Report) -> str:
    severities = list(reversed(Severity))
    counts = Counter((f.category, f.severity) for f in report.active())
    categories = [c for c in Category if any(f.category is c for f in report.active())]
    rows = [["category", *(s.value for s in severities), "total"]]
    rows.append(["---", *("---:" for _ in severities), "---:"])
    for category in categories:
        numbers = [counts[(category, s)] for s in severities]
        rows.append([category.value, *map(str, numbers), str(sum(numbers))])
    totals = [sum(counts[(c, s)] for c in categories) for s in severities]
    rows.append(["**total**", *map(str, totals), f"**{sum(totals)}**"])
    return "## Summary\n\n" + _table(rows)


def _table(rows: list[list[str]]) -> str:
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _section(group: Group) -> str:
    if group.kind is GroupKind.POOL:
        return _pool_section(group)
    workload = [f for f in group.findings if f.category is Category.WORKLOAD]
    fields = [f for f in group.findings if f.category is not Category.WORKLOAD]
    blocks = [f"## {text(group.title)}"]
    source = next((f.source for f in group.findings if f.source is not None), None)
    if source is not None:
        blocks.append(f"Declared in {code(str(source), in_table=False)}{_declared_extra(source)}")
    if workload:
        blocks.append("\n".join(_workload_item(f) for f in workload))
    if fields:
        blocks.append(_fields_table(fields))
    return "\n\n".join(blocks)


def _declared_extra(source: SourceLocation) -> str:
    parts = []
    if source.document is not None:
        parts.append(f"document {source.document}")
    if source.item is not None:
        parts.append(f"items\\[{source.item}\\]")
    if source.revision:
        parts.append(f"revision {code(source.revision[:12], in_table=False)}")
    return f" ({', '.join(parts)})" if parts else ""


def _workload_item(finding: Finding) -> str:
    """`- **critical** · message · 64 GPUs, … at risk · workloads: … · `path`: a → b · rule …`."""
    parts = [f"- **{finding.severity.value}**", text(finding.message)]
    impact = finding.impact
    if impact is not None:
        parts.append(f"{impact.gpus:,} GPUs, {impact.gpu_hours:,.1f} GPU-hours at risk")
    if impact is not None and impact.workloads:
        parts.append("workloads: " + _names(impact.workloads))
    if has_values(finding):
        desired, live = (_inline(v) for v in (finding.desired, finding.live))
        parts.append(f"{_inline(finding.path)}: {desired} → {live}")
    parts.append(f"rule {text(finding.rule)}")
    if finding.suppression is not None:
        parts.append(_severity(finding))
    return SEP.join(parts)


def _inline(value: object) -> str:
    return code(shorten(scalar_text(value), MAX_CELL), in_table=False)


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(text(n) for n in names[:MAX_WORKLOADS])
    hidden = len(names) - MAX_WORKLOADS
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _fields_table(findings: list[Finding]) -> str:
    rows = [["path", "desired", "live", "changed by", "severity"], ["---"] * 5]
    for f in findings:
        path = code(f.path) if f.path else "(whole object)"
        rows.append([path, cell(f.desired), cell(f.live), _changed(f), _severity(f)])
    return _table(rows)


def _severity(finding: Finding) -> str:
    """The severity, or `~~high~~ suppressed until … by …: reason` for a suppressed one."""
    s = finding.suppression
    if s is None:
        return finding.severity.value
    where = f" ({s.source})" if s.source else ""
    return f"~~{finding.severity.value}~~ {text(s.label() + where)}"


def _changed(finding: Finding) -> str:
    parts = [p for p in (finding.manager, finding.changed_at) if p]
    return text(" ".join(parts))


def _pool_section(group: Group) -> str:
    nodes = list(by_object(group.findings).items())
    rows = [["node", "fact", "expected", "actual", "severity"], ["---"] * 5]
    for ref, findings in nodes[:MAX_POOL_NODES]:
        for f in findings:
            name = text(ref.name) if f is findings[0] else ""
            rows.append([name, code(f.path), cell(f.desired), cell(f.live), _severity(f)])
    blocks = [f"## {_pool_title(group, len(nodes))}", _table(rows)]
    if len(nodes) > MAX_POOL_NODES:
        hidden = len(nodes) - MAX_POOL_NODES
        blocks.append(f"{ELLIPSIS} {plural(hidden, 'more drifted node')} (see the JSON report)")
    return "\n\n".join(blocks)


def _pool_title(group: Group, drifted: int) -> str:
    name = "Nodes without a pool" if group.title == NO_POOL else f"Pool {text(group.title)}"
    if group.pool is None:
        return f"{name}: {plural(drifted, 'drifted node')}"
    counts = f"{plural(group.pool.nodes, 'node')}, {group.pool.drifted:,} drifted"
    note = f"{SEP}{text(group.pool.note)}" if group.pool.note else ""
    return f"{name}: {counts}{note}"
