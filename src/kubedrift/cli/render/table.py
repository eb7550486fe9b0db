"""The `table` format, for people: a headline, then each group of findings, then notes.

Rendered by `rich` into a string; with `color=False` the string holds no ANSI escape at all.
Everything a finding holds is shown through `safe()`, so values cannot drive the terminal.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.text import Text

from kubedrift.cli.render.groups import Group, GroupKind, clean_pools, group_findings
from kubedrift.cli.render.table_nodes import pool_group
from kubedrift.cli.render.table_objects import object_group
from kubedrift.cli.render.table_style import DIM, SEVERITY_STYLE, SUPPRESSED_STYLE
from kubedrift.cli.render.values import plural, safe
from kubedrift.model import Report, Severity

DEFAULT_WIDTH = 120
WIDE_WIDTH = 100_000
"""`-o wide`: lines as long as they need (kubectl's wide output is not cut to the terminal)."""
SEP = " · "


def render_table(
    report: Report, *, color: bool, width: int | None = None, wide: bool = False
) -> str:
    """The whole report as text for a terminal `width` columns wide (default 120).

    `wide` (`-o wide`) cuts nothing: no line at the terminal's edge, no value to its first
    lines or to head…tail; every finding also names its manifest and revision.
    """
    buffer = io.StringIO()
    console = _console(buffer, color=color, width=WIDE_WIDTH if wide else width or DEFAULT_WIDTH)
    for renderable in _sections(report, console.width, wide):
        console.print(renderable)
    lines = buffer.getvalue().splitlines()
    return "".join(text.rstrip(" ") + "\n" for text in lines)


def _console(buffer: io.StringIO, *, color: bool, width: int) -> Console:
    return Console(
        file=buffer,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        force_jupyter=False,
    )


def _sections(report: Report, width: int, wide: bool) -> list[RenderableType]:
    out: list[RenderableType] = [_headline(report, width)]
    for group in group_findings(report):
        out += ["", _group(group, report.revision, width, wide)]
    out += _footer(report)
    return out


def _group(group: Group, revision: str | None, width: int, wide: bool) -> RenderableType:
    if group.kind is GroupKind.POOL:
        return pool_group(group, width, wide=wide)
    return object_group(group, revision, wide=wide)


def _headline(report: Report, width: int) -> Text:
    """Counts, revision and live source on one line when they fit; then what was checked."""
    head = Text.assemble(*_counts(report)) if report.findings else Text("No drift found.")
    if not report.findings:
        head.stylize("bold green")
    context = [f"revision {safe(report.revision)}"] if report.revision else []
    context += [f"live: {safe(report.live_source)}"] if report.live_source else []
    checked = [plural(n, noun) for n, noun in _checked(report) if n]
    tail = ["checked " + " and ".join(checked)] if checked else []
    if context and head.cell_len + len(SEP.join(["", *context])) <= width:
        head.append(SEP.join(["", *context]))
        context = []
    if context or tail:
        head.append("\n" + SEP.join(context + tail), style=DIM)
    return head


def _checked(report: Report) -> list[tuple[int, str]]:
    return [(report.objects_checked, "object"), (report.nodes_checked, "node")]


def _counts(report: Report) -> list[str | tuple[str, str]]:
    total = plural(len(report.active()), "finding")
    objects = plural(report.drifted_objects(), "object")
    parts: list[str | tuple[str, str]] = [(f"{total} on {objects}", "bold")]
    for severity, count in report.counts_by_severity().items():
        if count:
            parts += [SEP, (f"{count:,} {severity}", SEVERITY_STYLE[Severity(severity)])]
    if report.suppressed():
        parts += [SEP, (f"{len(report.suppressed()):,} suppressed", SUPPRESSED_STYLE)]
    return parts


def _footer(report: Report) -> list[RenderableType]:
    out: list[RenderableType] = []
    clean = clean_pools(report)
    if clean:
        names = ", ".join(f"{safe(p.name)} ({plural(p.nodes, 'node')})" for p in clean)
        out += ["", Text(f"Pools without drift: {names}", style=DIM)]
    if report.notes:
        out += ["", Text("Notes", style="bold")]
        out += [Text(f"  • {safe(note)}") for note in report.notes]
    return out
