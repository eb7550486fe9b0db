"""`kubedrift report`: one self-contained HTML (or PDF) audit report with charts.

Inputs, as `scan` takes them (`--desired`, `--live`, the cluster) and/or the timeline store
(`--store URL --since 30d [--until T] [--cluster C]`):

    kubedrift report --store timeline.db --since 30d --out drift.html
    kubedrift report -d deploy/ --live snapshot.json --out now.html
    kubedrift report -d deploy/ --store timeline.db --out weekly.pdf --since 7d

With only `--store`, no cluster is read. With neither, the current cluster is scanned, as
`kubedrift scan` does. The scan is built from the same `ScanInputs` as `scan`'s
(cli/scan_inputs.py), so it applies the `kubedrift suppress` entries of `--store` (else of
the default store, when it exists); `-n` also narrows the store's history to that
namespace. `--out` is checked before any work (suffix .html/.htm/.pdf, an existing folder)
and written atomically. A report is not a verdict: it exits 0, or 1 on an error.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli import reading
from kubedrift.cli.options import ReportStoreOpt
from kubedrift.cli.output import warn
from kubedrift.cli.progress import Progress
from kubedrift.cli.reading import WHEN, ClusterOpt, history_filter
from kubedrift.cli.scan_inputs import ScanInputs, scan_command
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.model import InputError, Report
from kubedrift.predict.assess import assess_store
from kubedrift.predict.risk import RiskTable
from kubedrift.report import History, Period, ReportOptions, build_report, read_history
from kubedrift.report.data import DEFAULT_TITLE
from kubedrift.report.output import OutputKind, output_kind, write_atomic
from kubedrift.store import HistoryFilter
from kubedrift.store.readonly import open_existing

DEFAULT_OUT = Path("kubedrift-report.html")
DEFAULT_SINCE = "30d"


def parse_teams(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    """`--team ml=research` pairs as `ReportOptions.teams` (one line naming a bad one)."""
    out: dict[str, str] = {}
    for pair in pairs:
        namespace, sep, team = pair.partition("=")
        if not sep or not namespace.strip() or not team.strip():
            raise InputError(f"expected NAMESPACE=TEAM, got {pair!r}", where="--team")
        out[namespace.strip()] = team.strip()
    return tuple(sorted(out.items()))


def _scan(request: ScanRequest) -> Report:
    with Progress() as progress:
        report = asyncio.run(run_scan(request, progress=progress.update))
    warn(report)
    return report


def _history(store: str, period: Period, filters: HistoryFilter) -> tuple[History, RiskTable]:
    """The period's episodes, and the predicted risk as of the period's end (one opening)."""
    with open_existing(store) as opened:
        history = read_history(opened, period, filters, where=opened.where)
        risk = assess_store(opened, cluster=filters.cluster, until=period.until)
    if filters.namespace is not None:  # learned from every namespace, shown for this one
        risk = risk.only(lambda e: e.namespace == filters.namespace)
    for note in risk.notes:
        typer.echo(f"kubedrift: note: risk of drift: {note}", err=True)
    return history, risk


def _period(filters: HistoryFilter, now: datetime) -> Period:
    return Period(filters.since or now, filters.until or now)


@scan_command(declared={"store": (ReportStoreOpt, None)})
def report(
    inputs: ScanInputs,
    since: Annotated[
        str, typer.Option(help=f"Start of the period (store): {WHEN}.")
    ] = DEFAULT_SINCE,
    until: Annotated[
        str | None, typer.Option(help=f"End of the period (default now): {WHEN}.")
    ] = None,
    cluster: ClusterOpt = None,
    out: Annotated[
        Path, typer.Option("--out", help="The report file: .html (self-contained) or .pdf.")
    ] = DEFAULT_OUT,
    title: Annotated[str, typer.Option(help="The report's title.")] = DEFAULT_TITLE,
    team: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<namespace=team>",
            help="NAMESPACE=TEAM for the MTTR-by-team chart. Repeatable.",
        ),
    ] = None,
) -> int:
    """Write an HTML (or PDF) drift report with charts, from a scan and/or the timeline store."""
    kind = output_kind(out)
    now = reading.utc_now()
    store = inputs.store
    filters = history_filter(cluster, inputs.namespace, None, None, None, (since, until), now=now)
    options = ReportOptions(title=title, teams=parse_teams(team or []))
    history, risk = _history(store, _period(filters, now), filters) if store else (None, None)
    scan: Report | None = None
    if inputs.desired or inputs.live or store is None:
        # the same suppressions as `scan` (no --store: the default store's)
        scan = _scan(inputs.request())
    data = build_report(scan=scan, history=history, now=now, options=options, risk=risk)
    from kubedrift.report.html import render_html  # draws the charts: imports matplotlib

    page = render_html(data)
    if kind is OutputKind.PDF:
        from kubedrift.report.pdf import print_pdf

        payload = print_pdf(page, out)
    else:
        payload = page.encode("utf-8")
    write_atomic(out, payload)
    reading.write(f"wrote {out} ({len(data.findings):,} findings, {len(payload) / 1024:,.0f} KB)\n")
    return 0
