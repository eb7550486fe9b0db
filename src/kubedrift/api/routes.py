"""The JSON API, `/api/v1/…`: findings (a page, one), timeline, stats, fleet, clusters.

All GET, all read-only, every body `{"schema": "kubedrift/v1", …}`. Lists are pages in a
stable order (newest episode first) with a keyset cursor: pass the `next_cursor` of one
page as `cursor` to get the next; `limit` is 1 to 500 (default 50). The OpenAPI description
is served at `/api/v1/openapi.json` (see `app.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kubedrift.api import documents as docs
from kubedrift.api.actions import planned_action
from kubedrift.api.auth import Authorizer, Decision, Verb, bearer_token
from kubedrift.api.memo import RevisionMemo
from kubedrift.api.params import days, finding_query
from kubedrift.api.risk import RiskCache, risk_of, risk_summary, table_json, top_limit
from kubedrift.predict.risk import RiskTable
from kubedrift.store import HistoryFilter, SqlStore, StoredFinding
from kubedrift.store.browse import Overview

Text = Annotated[str | None, Query()]
bearer = HTTPBearer(auto_error=False, description="A Kubernetes token (TokenReview)")


class Refused(Exception):
    """A request the authoriser refused: 401, 403 or 503."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.name)
        self.decision = decision


class NotFound(Exception):
    """No such finding (404)."""


class Unavailable(Exception):
    """Not ready yet (503 with `Retry-After`): the overview's charts being drawn."""

    def __init__(self, message: str, retry_after: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def guard(authorizer: Authorizer, verb: Verb) -> Callable[..., Awaitable[None]]:
    """A dependency that lets a request through only when the authoriser allows `verb`."""

    async def check(
        request: Request,
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        token = bearer_token(request.headers.get("authorization"))
        decision = await authorizer.decide(token, verb)
        if decision is not Decision.ALLOWED:
            raise Refused(decision)

    return check


def api_router(
    store: SqlStore, authorizer: Authorizer, risks: RiskCache | None = None
) -> APIRouter:
    """The `/api/v1` routes on `store`, each guarded by `authorizer`; `risks` gives the
    findings their predicted `risk` (a cache of its own when not shared)."""
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(guard(authorizer, Verb.LIST))])
    browser = store.browse()
    risks = risks or RiskCache(store)
    memo = RevisionMemo(browser)

    def overview_of(cluster: str | None, now: datetime, days_: int = 14) -> Overview:
        """The overview's figures depend on the store and the UTC day only: kept per revision."""
        key = ("overview", cluster, now.date(), days_)
        return memo.get(key, lambda: browser.overview(cluster, now, days_))

    @router.get("/findings", summary="A page of findings (episodes), newest first")
    def findings(
        *,
        cluster: Text = None,
        namespace: Text = None,
        kind: Text = None,
        pool: Text = None,
        severity: Annotated[list[str] | None, Query()] = None,
        category: Text = None,
        rule: Text = None,
        status: Annotated[str | None, Query(description="open (default), resolved, all")] = None,
        q: Annotated[str | None, Query(description="free text: name, path, message…")] = None,
        cursor: Annotated[str | None, Query(description="next_cursor of the page before")] = None,
        limit: Annotated[str | None, Query(description="1 to 500, default 50")] = None,
    ) -> JSONResponse:
        query = finding_query(
            cluster=cluster,
            namespace=namespace,
            kind=kind,
            pool=pool,
            severity=severity or (),
            category=category,
            rule=rule,
            status=status,
            q=q,
            cursor=cursor,
            limit=limit,
        )
        page = browser.page(query)
        table = risks.get()
        return JSONResponse(
            docs.page_json(
                page,
                _now(),
                query.limit,
                lambda e: risk_of(table, e),
                risk_summary(risks, table),
            )
        )

    @router.get(
        "/findings/{finding_id}",
        summary="One finding: its values, history, other episodes and planned action",
        dependencies=[Depends(guard(authorizer, Verb.GET))],
    )
    def finding(finding_id: Annotated[int, Path(ge=1)]) -> JSONResponse:
        return JSONResponse(finding_document(store, finding_id, risks.get()))

    @router.get("/risk", summary="Objects and nodes most likely to drift within 24 h and 7 d")
    def risk(
        cluster: Text = None, limit: Annotated[str | None, Query(description="1 to 500")] = None
    ) -> JSONResponse:
        table = risks.get()
        body = risk_summary(risks, table)
        if table is not None:
            chosen = [r for r in table.risks if cluster in (None, "", r.entity.cluster)]
            top = table_json(chosen[: top_limit(limit)])
            body["entities"] = top
        return JSONResponse(docs.document(cluster=cluster, risk=body))

    @router.get("/timeline", summary="Episodes opened and resolved per UTC day")
    def timeline(
        cluster: Text = None, days_: Annotated[str | None, Query(alias="days")] = None
    ) -> JSONResponse:
        overview = overview_of(cluster, _now(), days(days_, 14))
        return JSONResponse(
            docs.document(cluster=cluster, days=docs.overview_json(overview)["days"])
        )

    @router.get("/stats", summary="Open drift, GPUs at risk, MTTR; episode statistics")
    def stats(
        cluster: Text = None,
        namespace: Text = None,
        kind: Text = None,
        pool: Text = None,
        days_: Annotated[str | None, Query(alias="days")] = None,
    ) -> JSONResponse:
        now = _now()
        window = days(days_, 30)
        since = now - timedelta(days=window)
        # Read from the hour before `since` and kept per revision; `stats(since, now)` then
        # drops the earlier resolutions and ages the open episodes: exactly `store.stats`.
        hour = since.replace(minute=0, second=0, microsecond=0)
        filters = HistoryFilter(cluster, namespace or None, kind or None, pool or None, since=hour)
        groups = memo.get(("stats", filters), lambda: store.stats_groups(filters))
        return JSONResponse(
            docs.document(
                window_days=window,
                overview=docs.overview_json(overview_of(cluster, now)),
                episodes=docs.stats_json(groups.stats(since, now)),
            )
        )

    @router.get("/fleet", summary="Pools × facts: nodes drifting per fact (or one cell's nodes)")
    def fleet(cluster: Text = None, pool: Text = None, fact: Text = None) -> JSONResponse:
        body = docs.fleet_json(browser.fleet(cluster))
        if pool and fact:
            now = _now()
            nodes = browser.fleet_nodes(cluster, pool, fact)
            body["nodes"] = [docs.episode_json(e, now) for e in nodes]
        return JSONResponse(docs.document(cluster=cluster, **body))

    @router.get("/clusters", summary="The clusters recorded in the store")
    def clusters() -> JSONResponse:
        return JSONResponse(
            docs.document(clusters=[docs.cluster_json(c) for c in browser.clusters()])
        )

    return router


def finding_document(
    store: SqlStore, finding_id: int, risk: RiskTable | None = None
) -> dict[str, Any]:
    """One episode with its value history, all episodes of the finding, the planned action."""
    return finding_parts(store, finding_id, risk)[1]


def finding_parts(
    store: SqlStore, finding_id: int, risk: RiskTable | None = None
) -> tuple[StoredFinding, dict[str, Any]]:
    """The episode, and its document (see `finding_document`); `NotFound` when unknown."""
    browser = store.browse()
    episode = browser.episode(finding_id)
    if episode is None:
        raise NotFound(f"no finding {finding_id}")
    now = _now()
    return episode, docs.document(
        finding=docs.episode_json(episode, now, risk_of(risk, episode)),
        changes=[docs.change_json(c) for c in store.changes(finding_id)],
        episodes=[docs.episode_json(e, now) for e in browser.episodes_of_finding(finding_id)],
        action=planned_action(episode.finding),
    )


def _now() -> datetime:
    return datetime.now(UTC)
