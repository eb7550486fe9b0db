"""Writing a report to stdout in the chosen format, and the exit code it implies."""

from __future__ import annotations

import os
import shutil
import sys

from kubedrift.cli.render import Format, render
from kubedrift.model import Report, Severity

EXIT_CLEAN = 0
EXIT_DRIFT = 2


def choose_format(fmt: Format | None) -> Format:
    """The table for people at a terminal, JSON for scripts reading a pipe."""
    if fmt is not None:
        return fmt
    return Format.TABLE if sys.stdout.isatty() else Format.JSON


def default_color() -> bool:
    """Colour on a terminal, unless `NO_COLOR` is set to anything but "" (no-color.org:
    "prevents the addition of ANSI color"; `--color` still overrides it, as that page asks
    of per-invocation flags)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def emit(report: Report, fmt: Format | None, color: bool | None) -> None:
    """Render `report` to stdout; colour defaults to on for a terminal (see NO_COLOR)."""
    chosen = choose_format(fmt)
    use_color = default_color() if color is None else color
    width = shutil.get_terminal_size((120, 40)).columns if sys.stdout.isatty() else 120
    sys.stdout.write(render(report, chosen, color=use_color, width=width))
    sys.stdout.flush()
    warn(report)


def warn(report: Report) -> None:
    """Each warning on stderr too: a script reading only the exit code or a JSON consumer
    that ignores the summary must still see, in its log, that the run was incomplete."""
    for warning in report.warnings:
        sys.stderr.write(f"kubedrift: warning: {warning}\n")
    sys.stderr.flush()


def fail_exit_code(report: Report, fail_on: Severity) -> int:
    """2 when any finding is at or above `fail_on`, else 0."""
    worst = report.max_severity()
    return EXIT_DRIFT if worst is not None and worst >= fail_on else EXIT_CLEAN
