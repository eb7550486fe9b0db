"""What the store-reading commands (`history`, `timeline`) share: options, times, formats.

Times are read as ISO-8601 (UTC when no zone is named) or as a duration ago (`30m`, `12h`,
`7d`, `2w`); output goes to a table on a terminal and JSON into a pipe, as for `scan`.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console, RenderableType

from kubedrift.cli import options
from kubedrift.cli.output import default_color
from kubedrift.cli.render.values import scalar_text, shorten
from kubedrift.cli.render.yaml_doc import dump_yaml
from kubedrift.model import JSON, InputError, Severity
from kubedrift.store import HistoryFilter


def utc_now() -> datetime:
    """The time durations and windows are measured at (the one seam tests replace)."""
    return datetime.now(UTC)


# The shared declarations live in cli/options.py; these names stay for the store readers.
ReportFormat = options.ReportFormat
StoreOpt = options.StoreOpt
NamespaceOpt = options.FilterNamespaceOpt
OutputOpt = options.ReadOutputOpt
ColorOpt = options.ColorOpt

TABLE_LIMIT = 50
MAX_VALUE = 60


ClusterOpt = Annotated[str | None, typer.Option(help="Only this cluster.")]
KindOpt = Annotated[str | None, typer.Option(help="Only objects of this kind (Deployment).")]
PoolOpt = Annotated[str | None, typer.Option(help="Only nodes of this pool.")]
SeverityOpt = Annotated[
    Severity | None,
    typer.Option("--severity", help="Only this severity and above.", case_sensitive=False),
]
WHEN = "an ISO-8601 time, or 30m, 12h, 7d for that long ago"
SinceOpt = Annotated[str | None, typer.Option(help=f"Only episodes open after this: {WHEN}.")]
UntilOpt = Annotated[str | None, typer.Option(help=f"Only episodes opened by this: {WHEN}.")]
_AGO = re.compile(r"(\d{1,6})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, option: str, now: datetime) -> datetime:
    """An ISO-8601 time (UTC when it names no zone) or a duration ago: `30m`, `12h`, `7d`."""
    text = value.strip()
    ago = _AGO.fullmatch(text)
    try:
        if ago:
            return now - timedelta(**{_UNITS[ago[2]]: int(ago[1])})
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise InputError(f"not a time: {value!r} (use {WHEN})", where=option) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def history_filter(
    cluster: str | None,
    namespace: str | None,
    kind: str | None,
    pool: str | None,
    severity: Severity | None,
    window: tuple[str | None, str | None],
    *,
    now: datetime,
    open_only: bool = False,
) -> HistoryFilter:
    """The command line's filters as the store's `HistoryFilter`."""
    since = parse_when(window[0], "--since", now) if window[0] else None
    until = parse_when(window[1], "--until", now) if window[1] else None
    if since is not None and since > (until or now):
        raise InputError(f"--since {window[0]} is after --until {window[1] or 'now'}")
    return HistoryFilter(cluster, namespace, kind, pool, severity, since, until, open_only)


def short_time(when: datetime) -> str:
    """`2026-03-02 09:00Z`: what a person reads in a table."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def duration_text(span: timedelta) -> str:
    """The two largest units: `2d4h`, `3h12m`, `45m`, `30s` (zero units left out)."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    lead = next((i for i, (n, _) in enumerate(units) if n), len(units) - 1)
    return "".join(f"{n}{u}" for n, u in units[lead : lead + 2] if n) or "0s"


def choose_format(fmt: ReportFormat | None) -> ReportFormat:
    """The table for people at a terminal, JSON for scripts reading a pipe."""
    if fmt is not None:
        return fmt
    return ReportFormat.TABLE if sys.stdout.isatty() else ReportFormat.JSON


def document_text(doc: dict[str, Any], fmt: ReportFormat) -> str:
    """A JSON document as `json` (2-space indent) or `yaml`."""
    if fmt is ReportFormat.YAML:
        return dump_yaml(doc)
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"


def rich_text(renderables: Iterable[RenderableType], *, color: bool | None) -> str:
    """Renderables as text for the terminal (no ANSI escapes without colour)."""
    use_color = default_color() if color is None else color
    width = shutil.get_terminal_size((120, 40)).columns if sys.stdout.isatty() else 120
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=use_color,
        no_color=not use_color,
        color_system="standard" if use_color else None,
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
    )
    for renderable in renderables:
        console.print(renderable)
    return "".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines())


def write(text: str) -> None:
    """Text to stdout as is (`typer.echo` would strip the colours off a pipe)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def value_text(value: JSON) -> str:
    """A desired or live value on one line, cut to `MAX_VALUE` characters."""
    return shorten(scalar_text(value), MAX_VALUE)


def md_table(header: list[str], rows: Iterable[list[str]]) -> str:
    """A GitHub-flavoured table of already-escaped cells."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)
