"""Styles shared by the parts of the `table` format: severity badges and diff colours."""

from __future__ import annotations

from rich.text import Text

from kubedrift.cli.render.values import safe
from kubedrift.model import Finding, Severity

BADGE_WIDTH = 8
DESIRED_STYLE = "red"
LIVE_STYLE = "green"
DIM = "dim"

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def badge(severity: Severity, *, pad: bool = True) -> Text:
    """`HIGH` in the severity's colour, padded to `BADGE_WIDTH` outside the colour."""
    label = severity.value.upper()
    padding = " " * (BADGE_WIDTH - len(label)) if pad else ""
    return Text.assemble((label, SEVERITY_STYLE[severity]), padding)


SUPPRESSED_STYLE = "magenta"


def finding_badge(finding: Finding, *, pad: bool = True) -> Text:
    """The severity badge; dimmed and struck through for a suppressed finding, which is
    shown but does not count."""
    out = badge(finding.severity, pad=pad)
    if finding.suppression is not None:
        out.stylize("dim strike", 0, len(finding.severity.value))
    return out


def suppressed_line(finding: Finding) -> Text | None:
    """`SUPPRESSED until 2026-12-31 by alice: load test (store #3)`, or None."""
    s = finding.suppression
    if s is None:
        return None
    where = f" ({safe(s.source)})" if s.source else ""
    return Text(
        f"SUPPRESSED {safe(s.label().removeprefix('suppressed '))}{where}", SUPPRESSED_STYLE
    )


def line(text: str, style: str = "") -> Text:
    """One line that is cut with `…` at the console's edge rather than wrapped."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")
