"""Styles shared by the parts of the `table` format: severity badges and diff colours."""

from __future__ import annotations

from rich.text import Text

from kubedrift.model import Severity

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


def line(text: str, style: str = "") -> Text:
    """One line that is cut with `…` at the console's edge rather than wrapped."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")
