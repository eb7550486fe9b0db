"""The controller's HTTP surface, served by uvicorn over a real loopback socket."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import signal
import socket
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.serving import served, wait_ready
from kubedrift.controller.health import HealthState
from kubedrift.controller.hookguard import HookLimits
from kubedrift.controller.http import ServeError, ServerReady, build_app, build_hook_app, serve
from kubedrift.controller.metrics import ControllerMetrics
from support.aio import run

SECRET = "hook-secret"
PUSH = b'{"ref": "refs/heads/main", "after": "0123abc"}'


class Reloads:
    """The watcher's reload callback: counts runs; blocks while `gate` is closed."""

    def __init__(self) -> None:
        self.runs = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.entered = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.entered.set()
        await self.gate.wait()

    async def settle(self) -> None:
        """Wait until no reload is running or queued."""
        await asyncio.sleep(0.05)


def _app(*, health: HealthState | None = None, metrics: ControllerMetrics | None = None) -> Any:
    return build_app(metrics or ControllerMetrics(), health or HealthState())


def _hook_app(
    reloads: Reloads | None = None,
    *,
    secret: str | None = SECRET,
    limits: HookLimits | None = None,
) -> Any:
    app = build_hook_app(
        reloads or Reloads(),
        secret,
        reload_interval=0,
        allow_unsigned_hooks=secret is None,
        hook_limits=limits,
    )
    assert app is not None
    return app


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "push"}


def _refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# -- metrics and probes --------------------------------------------------------------------


def test_metrics_are_served_in_the_text_format() -> None:
    metrics = ControllerMetrics()
    metrics.set_open_findings({("node", "critical"): 2})

    async def scenario() -> httpx2.Response:
        async with served(_app(metrics=metrics)) as (client, _):
            return await client.get("/metrics")

    response = run(scenario())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    open_findings = families["kubedrift_open_findings"].samples
    critical = [
        s for s in open_findings if s.labels == {"category": "node", "severity": "critical"}
    ]
    assert [s.value for s in critical] == [2]


def test_healthz_follows_the_heartbeat() -> None:
    now = [0.0]
    health = HealthState(stale_after=5, clock=lambda: now[0])

    async def scenario() -> list[httpx2.Response]:
        async with served(_app(health=health)) as (client, _):
            fresh = await client.get("/healthz")
            now[0] = 6
            stale = await client.get("/healthz")
            health.heartbeat()
            again = await client.get("/healthz")
            return [fresh, stale, again]

    fresh, stale, again = run(scenario())
    assert (fresh.status_code, fresh.json()) == (200, {"status": "ok", "leader": False})
    assert stale.status_code == 503
    assert stale.json()["reason"].startswith("watch loop heartbeat stale")
    assert again.status_code == 200


def test_readyz_names_what_is_still_syncing() -> None:
    health = HealthState()
    health.set_syncing(["Node", "Pod"])
    health.set_leader(True)

    async def scenario() -> list[httpx2.Response]:
        async with served(_app(health=health)) as (client, _):
            syncing = await client.get("/readyz")
            health.synced("Node")
            health.synced("Pod")
            health.set_ready(True)
            return [syncing, await client.get("/readyz")]

    syncing, ready = run(scenario())
    assert syncing.status_code == 503
    assert syncing.json() == {
        "status": "failing",
        "leader": True,
        "reason": "initial sync in progress: Node, Pod",
    }
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "leader": True})


def test_no_api_docs_are_exposed() -> None:
    async def scenario() -> list[int]:
        async with served(_app()) as (client, _):
            return [(await client.get(p)).status_code for p in ("/docs", "/openapi.json")]

    assert run(scenario()) == [404, 404]


def test_the_observability_port_serves_no_git_hook() -> None:
    """Issue 12.7: metrics and probes on one port, the Git webhook on another."""

    async def scenario() -> tuple[int, list[int]]:
        async with served(_app()) as (client, _):
            hook = await client.post("/hooks/git", content=PUSH, headers=_signed(PUSH))
        async with served(_hook_app()) as (client, _):
            paths = ("/metrics", "/healthz", "/readyz")
            others = [(await client.get(p)).status_code for p in paths]
        return hook.status_code, others

    hook, others = run(scenario())
    assert hook == 404
    assert others == [404, 404, 404]


def test_without_a_secret_the_hook_app_is_off() -> None:
    assert build_hook_app(Reloads(), None) is None


# -- the Git webhook -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (_signed(PUSH), 202),
        ({"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook"}, 202),
        (_signed(PUSH, "wrong"), 401),
        ({"X-Gitlab-Token": "wrong"}, 401),
        ({"X-GitHub-Event": "push"}, 401),
    ],
    ids=["github-good", "gitlab-good", "github-bad", "gitlab-bad", "missing"],
)
def test_hook_signatures(headers: dict[str, str], status: int) -> None:
    reloads = Reloads()

    async def scenario() -> httpx2.Response:
        async with served(_hook_app(reloads)) as (client, _):
            response = await client.post("/hooks/git", content=PUSH, headers=headers)
            await reloads.settle()
            return response

    response = run(scenario())
    assert response.status_code == status
    assert reloads.runs == (1 if status == 202 else 0)


def test_unsigned_hooks_are_accepted_without_a_secret() -> None:
    reloads = Reloads()

    async def scenario() -> httpx2.Response:
        async with served(_hook_app(reloads, secret=None)) as (client, _):
            response = await client.post("/hooks/git", content=PUSH)
            await reloads.settle()
            return response

    response = run(scenario())
    assert (response.status_code, response.json()) == (
        202,
        {"status": "accepted", "reload": "started"},
    )
    assert reloads.runs == 1


def test_ping_and_other_events_do_not_reload() -> None:
    reloads = Reloads()

    async def scenario() -> list[httpx2.Response]:
        async with served(_hook_app(reloads, secret=None)) as (client, _):
            ping = await client.post(
                "/hooks/git", content=b"{}", headers={"X-GitHub-Event": "ping"}
            )
            issue = await client.post(
                "/hooks/git", content=b"{}", headers={"X-Gitlab-Event": "Issue Hook"}
            )
            await reloads.settle()
            return [ping, issue]

    ping, issue = run(scenario())
    assert (ping.status_code, ping.json()) == (200, {"status": "pong"})
    assert (issue.status_code, issue.json()["status"]) == (202, "ignored")
    assert reloads.runs == 0


def test_a_burst_of_hooks_while_reloading_queues_exactly_one_more() -> None:
    reloads = Reloads()
    reloads.gate.clear()

    async def scenario() -> list[str]:
        async with served(_hook_app(reloads)) as (client, _):
            first = await client.post("/hooks/git", content=PUSH, headers=_signed(PUSH))
            await reloads.entered.wait()
            burst = await asyncio.gather(
                *(client.post("/hooks/git", content=PUSH, headers=_signed(PUSH)) for _ in range(8))
            )
            reloads.gate.set()
            await reloads.settle()
            return [r.json()["reload"] for r in (first, *burst)]

    answers = run(scenario())
    assert answers == ["started"] + ["queued"] * 8
    assert reloads.runs == 2


def test_an_oversized_hook_is_refused() -> None:
    reloads = Reloads()

    async def scenario() -> int:
        async with served(_hook_app(reloads, secret=None, limits=HookLimits(max_body=16))) as (
            client,
            _,
        ):
            response = await client.post("/hooks/git", content=PUSH)
            return response.status_code

    assert run(scenario()) == 413
    assert reloads.runs == 0


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty webhook secret"):
        _hook_app(secret="")


# -- serving -------------------------------------------------------------------------------


def test_cancelling_closes_the_socket_and_the_pending_reload() -> None:
    reloads = Reloads()
    reloads.gate.clear()

    async def scenario() -> tuple[int, bool]:
        ready = ServerReady()
        task = asyncio.create_task(serve(_hook_app(reloads, secret=None), ready_event=ready))
        await wait_ready(task, ready)
        async with httpx2.AsyncClient(trust_env=False) as client:
            await client.post(f"http://127.0.0.1:{ready.port}/hooks/git", content=PUSH)
        await reloads.entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pending = [t for t in asyncio.all_tasks() if t.get_name() == "git-reload"]
        return ready.port, not pending

    port, no_reload_left = run(scenario())
    assert _refused(port)
    assert no_reload_left


def test_should_exit_stops_the_server_and_serve_returns() -> None:
    async def scenario() -> int:
        ready = ServerReady()
        task = asyncio.create_task(serve(_app(), ready_event=ready))
        await wait_ready(task, ready)
        assert ready.server is not None
        ready.stop()
        await asyncio.wait_for(task, timeout=5)
        return ready.port

    assert _refused(run(scenario()))


def test_a_plain_event_is_set_too() -> None:
    async def scenario() -> None:
        ready = asyncio.Event()
        task = asyncio.create_task(serve(_app(), ready_event=ready))
        await wait_ready(task, ready)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    run(scenario())


def test_no_signal_handlers_are_installed() -> None:
    signals = (signal.SIGINT, signal.SIGTERM)

    async def scenario() -> tuple[list[object], list[object]]:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
        before: list[object] = [signal.getsignal(sig) for sig in signals]
        try:
            async with served(_app()) as (client, _):
                await client.get("/healthz")
                return before, [signal.getsignal(sig) for sig in signals]
        finally:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)

    before, during = run(scenario())
    assert during == before


def test_an_address_in_use_raises_serve_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def scenario() -> None:
            await serve(_app(), "127.0.0.1", port)

        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{port}"):
            run(scenario())
