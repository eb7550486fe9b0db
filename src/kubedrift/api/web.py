"""The read-only dashboard: overview, findings list, one finding, fleet heat map (HTML).

Pages are rendered on the server with Jinja2 (autoescaping on) from the same queries as the
JSON API, and work without JavaScript; `static/app.js` only submits the filter form when a
menu changes. Every page keeps the `cluster` chosen in the selector, so a shared store of
many clusters can be read one cluster at a time, or all together.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kubedrift.api import charts, reportview
from kubedrift.api.auth import Authorizer, Verb
from kubedrift.api.diffview import ABSENT, side_by_side
from kubedrift.api.memo import RevisionMemo
from kubedrift.api.params import finding_query
from kubedrift.api.recent import Recent
from kubedrift.api.risk import RiskCache, risk_bars
from kubedrift.api.routes import NotFound, Unavailable, finding_parts, guard
from kubedrift.model import JSON, MISSING, Category, Severity
from kubedrift.model.times import iso
from kubedrift.report.html import span, when
from kubedrift.store import SqlStore
from kubedrift.store.browse import Status

Text = Annotated[str | None, Query()]


def templates() -> Environment:
    """The Jinja2 environment of the package's templates."""
    folder = resources.files("kubedrift.api") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["hours"] = _hours
    env.filters["value"] = _value
    env.filters["span"] = span  # the report's own formats, for its summary and period
    env.filters["minute"] = when
    return env


def web_router(
    store: SqlStore, authorizer: Authorizer, risks: RiskCache | None = None
) -> APIRouter:
    """The dashboard's pages on `store`, each guarded by `authorizer`."""
    router = APIRouter(dependencies=[Depends(guard(authorizer, Verb.LIST))])
    browser = store.browse()
    risks = risks or RiskCache(store)
    env = templates()
    menus = Recent()
    memo = RevisionMemo(browser)
    report_cache = reportview.ChartCache(store, drawer=reportview.ChildDrawer(store.connect_url()))
    report_cache.warm()  # drawn before the first overview asks (in the background)

    def render(name: str, request: Request, cluster: str | None, **context: Any) -> HTMLResponse:
        page = env.get_template(name).render(
            clusters=menus.get("clusters", browser.clusters),
            cluster=cluster or "",
            path=request.url.path,
            **context,
        )
        return HTMLResponse(page)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request, cluster: Text = None) -> HTMLResponse:
        now = datetime.now(UTC)  # figures of the store and the UTC day: kept per revision
        key = ("overview", cluster or None, now.date())
        summary = memo.get(key, lambda: browser.overview(cluster or None, now))
        drawn = reportview.available()
        report = report_cache.get(cluster or None) if drawn else None
        preparing = drawn and report is None
        return render(
            "overview.html",
            request,
            cluster,
            title="Overview",
            summary=summary,
            critical=summary.open_by_severity.get(Severity.CRITICAL, 0),
            **_risk_context(risks, cluster),
            report=report,
            preparing=preparing,
            refresh_after=reportview.PREPARING_RETRY if preparing else None,
            chart_error=report_cache.error(cluster or None) if preparing else None,
            missing=reportview.MISSING,
            chart_url=lambda key: (
                _url(f"/charts/{key}.svg", [("cluster", cluster or ""), ("rev", report.revision)])
                if report
                else ""
            ),
        )

    @router.get("/charts/{key}.svg", include_in_schema=False)
    def chart(key: Annotated[str, Path()], cluster: Text = None) -> Response:
        """One of the overview's report charts, as an SVG document (from the cache)."""
        if not reportview.available():
            raise NotFound(reportview.MISSING)
        drawn = report_cache.get(cluster or None)
        if drawn is None:  # still being drawn: ask again shortly (RFC 9110 Retry-After)
            retry = str(reportview.PREPARING_RETRY)
            raise Unavailable("the report's charts are being drawn", retry)
        image = drawn.chart(key)
        if image is None:
            raise NotFound(f"no chart {key!r}")
        # matplotlib styles its SVG with <style> and style attributes; an SVG shown by <img>
        # runs no script, so its own policy may allow inline style (the page's does not).
        headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        return Response(image.svg, media_type="image/svg+xml", headers=headers)

    @router.get("/findings", response_class=HTMLResponse, include_in_schema=False)
    def findings(request: Request) -> HTMLResponse:
        params = request.query_params
        query = finding_query(
            severity=params.getlist("severity"),
            **{k: params.get(k) for k in _LIST_PARAMS},
        )
        page = browser.page(query)
        chosen = {k: v for k, v in params.multi_items() if v and k != "cursor"}
        return render(
            "findings.html",
            request,
            query.cluster,
            title="Findings",
            page=page,
            query=query,
            facets=menus.get(("facets", query.cluster), lambda: browser.facets(query.cluster)),
            severities=[s.value for s in reversed(Severity)],
            categories=[c.value for c in Category],
            statuses=[s.value for s in Status],
            chosen_severities={s.value for s in query.severities},
            next_url=_url("/findings", [*chosen.items(), ("cursor", str(page.next_cursor))])
            if page.next_cursor is not None
            else None,
        )

    @router.get(
        "/findings/{finding_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
        dependencies=[Depends(guard(authorizer, Verb.GET))],
    )
    def finding(request: Request, finding_id: Annotated[int, Path(ge=1)]) -> HTMLResponse:
        episode, body = finding_parts(store, finding_id)
        return render(
            "finding.html",
            request,
            request.query_params.get("cluster"),
            title=f"{episode.finding.object} {episode.finding.path}",
            episode=episode,
            doc=body,
            diff=side_by_side(episode.finding.desired, episode.finding.live),
        )

    @router.get("/fleet", response_class=HTMLResponse, include_in_schema=False)
    def fleet(
        request: Request, cluster: Text = None, pool: Text = None, fact: Text = None
    ) -> HTMLResponse:
        cells = browser.fleet(cluster or None)
        pools, facts, counts = charts.heat_map(cells)
        most = max(counts.values(), default=0)
        nodes = browser.fleet_nodes(cluster or None, pool, fact) if pool and fact else []
        return render(
            "fleet.html",
            request,
            cluster,
            title="Fleet",
            pools=pools,
            facts=facts,
            counts=counts,
            levels={k: charts.heat_level(n, most) for k, n in counts.items()},
            pool=pool,
            fact=fact,
            nodes=nodes,
            cell_url=lambda p, f: _url(
                "/fleet", [("cluster", cluster or ""), ("pool", p), ("fact", f)]
            ),
        )

    return router


def _risk_context(risks: RiskCache, cluster: str | None) -> dict[str, Any]:
    """What `risk_block.html` draws: the table, its state, and the bars of `cluster`."""
    table = risks.get()
    return {
        "risk_table": table,
        "risk_state": risks.status(),
        "risk_bars": risk_bars(table, cluster or None),
    }


_LIST_PARAMS = (
    "cluster",
    "namespace",
    "kind",
    "pool",
    "category",
    "rule",
    "status",
    "q",
    "cursor",
    "limit",
)


def _url(path: str, pairs: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in pairs if v]
    return f"{path}?{urlencode(kept)}" if kept else path


def _when(value: datetime | None) -> str:
    text = iso(value)
    return "" if text is None else text.replace("T", " ")


def _value(value: JSON) -> str:
    """A finding's value as compact JSON; an absent side says so."""
    if value is MISSING:
        return ABSENT
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
