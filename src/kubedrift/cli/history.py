"""`kubedrift history`: the episodes the watcher recorded, open and past, from the timeline store.

Also the options and helpers both read commands share (`timeline` imports them): the store
location, the filters as `HistoryFilter`, times given as ISO-8601 or "7d ago", the formats.
A read never creates a store (`open_existing`); it is a report, so it exits 0, or 1 on error.

Order: open episodes first, most severe then oldest; then resolved ones, newest first.
`--id N` prints one episode and its value history instead (filters do not apply).

The `json` format (`yaml` is the same document), schema `kubedrift-history/v1`:

    {"schema": "kubedrift-history/v1",
     "generated_at": "2026-03-02T12:12:00Z",
     "summary": {"open": 2, "resolved": 3, "total": 5, "shown": 5},
     "episodes": [{"id": 7, "cluster": "prod-a", "episode": 1, "status": "open"|"resolved",
                   "first_seen": ISO, "last_seen": ISO, "resolved_at": ISO|null,
                   "duration_seconds": 11520.0, "pool": str|null,
                   "finding": {…a finding as in kubedrift/v1…},
                   "changes": [{"at", "desired", "live", "manager", "revision"}, …]}]}

A suppressed episode's `finding` has `status: "suppressed"` and its `suppression`; the
table and markdown say "suppressed until DATE by WHO: REASON" in its status. A change row
that records a suppression starting or ending also has `note` ("suppression expired …").
`changes` is present with `--id` only; `duration_seconds` of an open episode runs to
`generated_at`. Times are UTC. Values are what the store holds (secrets as keyed hashes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from kubedrift.cli import reading
from kubedrift.cli.reading import (
    TABLE_LIMIT,
    ClusterOpt,
    ColorOpt,
    KindOpt,
    NamespaceOpt,
    OutputOpt,
    PoolOpt,
    ReportFormat,
    SeverityOpt,
    SinceOpt,
    StoreOpt,
    UntilOpt,
    choose_format,
    document_text,
    duration_text,
    history_filter,
    md_table,
    rich_text,
    short_time,
    value_text,
    write,
)
from kubedrift.cli.remediate_render import render_actions
from kubedrift.cli.render import markdown as md
from kubedrift.cli.render.table_style import DESIRED_STYLE, DIM, LIVE_STYLE, finding_badge
from kubedrift.cli.render.values import plural, safe
from kubedrift.cli.suppress_store import DEFAULT_STORE
from kubedrift.model import InputError
from kubedrift.model.times import iso
from kubedrift.store import HistoryFilter, Store, StoredFinding, ValueChange
from kubedrift.store.readonly import open_existing

SCHEMA = "kubedrift-history/v1"


def ordered(episodes: Iterable[StoredFinding]) -> list[StoredFinding]:
    """Open first (most severe, then oldest), then resolved (newest first)."""
    found = list(episodes)
    open_ = [e for e in found if e.is_open]
    open_.sort(key=lambda e: (-e.finding.severity.rank, e.first_seen, e.id))
    done = [e for e in found if not e.is_open]
    done.sort(key=lambda e: (e.resolved_at or e.last_seen, e.id), reverse=True)
    return open_ + done


def status_text(e: StoredFinding, now: datetime) -> str:
    """`open for 3h12m`, or `resolved 2026-03-02 11:00Z after 2h`; with `· suppressed until
    …` while a suppression covers it."""
    if e.resolved_at is None:
        s = e.finding.suppression
        marked = f" · {s.label()}" if s is not None else ""
        return f"open for {duration_text(e.duration(now))}{marked}"
    return f"resolved {short_time(e.resolved_at)} after {duration_text(e.duration(now))}"


def document(
    found: Sequence[StoredFinding], episodes: list[dict[str, Any]], now: datetime, fmt: ReportFormat
) -> str:
    """The `kubedrift-history/v1` document: `found` counted, `episodes` listed."""
    opened = sum(e.is_open for e in found)
    summary = {
        "open": opened,
        "resolved": len(found) - opened,
        "total": len(found),
        "shown": len(episodes),
    }
    doc = {"schema": SCHEMA, "generated_at": iso(now), "summary": summary, "episodes": episodes}
    return document_text(doc, fmt)


def footer(found: Sequence[StoredFinding], shown: int) -> str:
    """`2 open · 3 resolved · showing 5 of 5 episodes`."""
    opened = sum(e.is_open for e in found)
    counts = f"{opened:,} open · {len(found) - opened:,} resolved"
    more = " (--limit 0 shows all)" if shown < len(found) else ""
    return f"{counts} · showing {shown:,} of {plural(len(found), 'episode')}{more}"


def _episode_rows(e: StoredFinding, now: datetime) -> tuple[Text, Text, Text]:
    f = e.finding
    head = Text.assemble((safe(str(f.object)), "bold"), f"  {safe(f.path) or '(whole object)'}")
    values = Text.assemble(
        (value_text(f.desired), DESIRED_STYLE), " → ", (value_text(f.live), LIVE_STYLE)
    )
    where = [f"cluster {safe(e.cluster)}", f"rule {safe(f.rule)}"]
    where += [f"by {safe(f.manager)}"] if f.manager else []
    where += [f"revision {safe(f.revision)}"] if f.revision else []
    where += [f"episode {e.episode}"] if e.episode > 1 else []
    values.append("  " + " · ".join(where), style=DIM)
    when = f"first seen {short_time(e.first_seen)} · last seen {short_time(e.last_seen)}"
    return head, values, Text(f"{when} · {status_text(e, now)}", style=DIM)


def _table(shown: Sequence[StoredFinding], now: datetime) -> Table:
    """Three lines an episode: object and path; values and provenance; times and status."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column()
    for e in shown:
        head, values, when = _episode_rows(e, now)
        grid.add_row(f"#{e.id}", finding_badge(e.finding), head)
        grid.add_row("", "", values)
        grid.add_row("", "", when)
    return grid


MD_HEAD = ["id", "severity", "cluster", "object", "path", "desired", "live", "changed by"]
MD_HEAD += ["first seen", "status"]
CHANGE_HEAD = ["at", "desired", "live", "manager", "revision"]


def _md_row(e: StoredFinding, now: datetime) -> list[str]:
    f = e.finding
    return [
        str(e.id),
        f.severity.value,
        md.text(e.cluster),
        md.text(str(f.object)),
        md.code(f.path),
        md.cell(f.desired),
        md.cell(f.live),
        md.text(f.manager or ""),
        short_time(e.first_seen),
        md.text(status_text(e, now)),
    ]


def render_list(
    found: list[StoredFinding], limit: int, fmt: ReportFormat, now: datetime, color: bool | None
) -> str:
    """Episodes in display order, the first `limit` of them shown (0: all)."""
    shown = found[:limit] if limit else found
    if fmt is ReportFormat.TABLE:
        body: list[RenderableType] = [_table(shown, now), ""] if shown else []
        return rich_text([*body, Text(footer(found, len(shown)), style="bold")], color=color)
    if fmt is ReportFormat.MARKDOWN:
        table = [md_table(MD_HEAD, (_md_row(e, now) for e in shown))] if shown else []
        parts = ["# kubedrift history", *table, md.text(footer(found, len(shown)))]
        return "\n\n".join(parts) + "\n"
    return document(found, [e.to_json(now) for e in shown], now, fmt)


def find_episode(store: Store, episode_id: int) -> tuple[StoredFinding, list[ValueChange]]:
    """An episode and its value history, or an `InputError` naming the id."""
    changes = store.changes(episode_id)
    found: list[StoredFinding] = []
    if changes:
        # Only the episodes open when this one opened: a narrow query that holds it.
        window = HistoryFilter(since=changes[0].at, until=changes[0].at)
        found = [e for e in store.history(window) if e.id == episode_id]
    if not found:
        raise InputError("no episode with this id in the store", where=f"--id {episode_id}")
    return found[0], changes


def render_episode(
    e: StoredFinding,
    changes: list[ValueChange],
    fmt: ReportFormat,
    now: datetime,
    color: bool | None,
) -> str:
    """One episode, then each value it held: when, desired, live, who, which revision."""
    if fmt in (ReportFormat.JSON, ReportFormat.YAML):
        entry = {**e.to_json(now), "changes": [c.to_json() for c in changes]}
        return document([e], [entry], now, fmt)
    if fmt is ReportFormat.MARKDOWN:
        rows = [
            [short_time(c.at), md.cell(c.desired), md.cell(c.live), *_who(c), md.text(c.note or "")]
            for c in changes
        ]
        head, table = md_table(MD_HEAD, [_md_row(e, now)]), md_table([*CHANGE_HEAD, "note"], rows)
        return f"# kubedrift episode {e.id}\n\n{head}\n\n## Value history\n\n{table}\n"
    grid = Table(*CHANGE_HEAD, "note", box=None, header_style="bold", pad_edge=False)
    for c in changes:
        cells = [short_time(c.at), value_text(c.desired), value_text(c.live)]
        grid.add_row(*cells, safe(c.manager or ""), safe(c.revision or ""), safe(c.note or ""))
    return rich_text([_table([e], now), "", grid], color=color)


def _who(change: ValueChange) -> list[str]:
    return [md.text(change.manager or ""), md.text(change.revision or "")]


def history(
    store: StoreOpt = DEFAULT_STORE,
    cluster: ClusterOpt = None,
    namespace: NamespaceOpt = None,
    kind: KindOpt = None,
    pool: PoolOpt = None,
    severity: SeverityOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only episodes still open.")] = False,
    episode_id: Annotated[
        int | None, typer.Option("--id", help="One episode and its value history (no filters).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="At most N episodes (default 50 in table/markdown, all in json/yaml; 0 all).",
        ),
    ] = None,
    output: OutputOpt = None,
    color: ColorOpt = None,
    actions: Annotated[
        bool, typer.Option("--actions", help="The remediations `kubedrift apply` recorded.")
    ] = False,
) -> int:
    """Open and past drift episodes from the timeline store the watcher records."""
    now = reading.utc_now()
    fmt = choose_format(output)
    window = (since, until)
    filters = history_filter(
        cluster, namespace, kind, pool, severity, window, now=now, open_only=open_only
    )
    if limit is None:
        limit = TABLE_LIMIT if fmt in (ReportFormat.TABLE, ReportFormat.MARKDOWN) else 0
    with open_existing(store) as opened:
        if actions:
            text = render_actions(opened.actions(), fmt)
        elif episode_id is not None:
            text = render_episode(*find_episode(opened, episode_id), fmt, now, color)
        else:
            text = render_list(ordered(opened.history(filters)), limit, fmt, now, color)
    write(text)
    return 0
