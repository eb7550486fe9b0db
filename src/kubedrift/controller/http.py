"""The controller's HTTP surfaces, served by uvicorn on two listeners.

Observability and the Git webhook face different clients, so they are two apps on two
ports (`--listen` and `--webhook-listen`): a NetworkPolicy or an Ingress can open the hook
to a Git host without exposing `/metrics`, and a flood of hooks never queues behind (or
starves) the kubelet's probes.

`build_app()` makes the observability app:

- `GET /metrics` — `ControllerMetrics.render()` in the Prometheus text format;
- `GET /healthz` — 200 while the watch loop's heartbeat is fresh, else 503 with the reason;
- `GET /readyz` — 200 once the initial sync is complete, else 503 naming what still syncs.

`build_hook_app()` makes the webhook app, or None when the hook is off:

- `POST /hooks/git` — a GitHub, GitLab or Gitea push hook: the watcher re-reads desired state.
  The hook must prove the secret (`verify_signature`), else 401; a request with no
  signature header is refused before its body is read. Without a secret the hook is off
  unless `allow_unsigned_hooks` says otherwise. `HookGuard` bounds body size, read
  time, concurrency, replays and log lines (`kubedrift.controller.hookguard`). Accepted
  hooks answer 202 at once; `ReloadCoalescer` runs the reloads. The body is only hashed:
  never logged.

`serve()` runs an app inside the caller's event loop. It installs no signal handlers (the
watcher owns SIGTERM and SIGINT), writes no access log, and stops when its task is cancelled
or when `server.should_exit` is set on the server that `ServerReady` hands out.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import math
from collections.abc import Awaitable, Callable, Mapping

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from kubedrift.controller.health import HealthState, Probe
from kubedrift.controller.hookguard import HookGuard, HookLimits, has_signature
from kubedrift.controller.metrics import ControllerMetrics
from kubedrift.controller.uvicorn_seam import EmbeddedServer, shutdown
from kubedrift.model import KubedriftError

log = logging.getLogger(__name__)

GitHook = Callable[[], Awaitable[None]]
EVENT_HEADERS = ("x-github-event", "x-gitea-event", "x-gogs-event", "x-gitlab-event")
PUSH_EVENTS = frozenset({"push", "push hook", "tag push hook"})
SHUTDOWN_GRACE = 5  # seconds for in-flight requests when the server stops


class ServeError(KubedriftError):
    """The HTTP server could not start (e.g. the address is in use)."""


# -- the app -------------------------------------------------------------------------------


def build_app(metrics: ControllerMetrics, health: HealthState) -> FastAPI:
    """The observability app: `/metrics`, `/healthz`, `/readyz` (never the Git hook)."""
    app = FastAPI(title="kubedrift controller", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(content=body, media_type=content_type)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return _probe_response(health.liveness(), leader=health.leader)

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return _probe_response(health.readiness(), leader=health.leader)

    return app


def build_hook_app(
    on_git_webhook: GitHook,
    webhook_secret: str | None,
    *,
    reload_interval: float = 1.0,
    allow_unsigned_hooks: bool = False,
    hook_limits: HookLimits | None = None,
) -> FastAPI | None:
    """The Git webhook app (`POST /hooks/git` only), or None when the hook is off.

    `webhook_secret=None` turns the hook off, unless `allow_unsigned_hooks` (the
    `--webhook-insecure-no-secret` flag) accepts unsigned hooks. `reload_interval` is the
    least time between the starts of two reloads.
    """
    if webhook_secret == "":
        raise ValueError("empty webhook secret: pass None to accept unsigned Git hooks")
    if webhook_secret is None and not allow_unsigned_hooks:
        return None
    app = FastAPI(title="kubedrift Git hook", docs_url=None, redoc_url=None, openapi_url=None)
    reloads = ReloadCoalescer(on_git_webhook, min_interval=reload_interval)
    app.state.reloads = reloads
    guard = HookGuard(hook_limits or HookLimits(), log)

    @app.post("/hooks/git")
    async def git_hook(request: Request) -> JSONResponse:
        if not guard.try_enter():
            guard.rejections.warning("git webhook refused: too many hooks at once")
            return JSONResponse({"error": "busy"}, status_code=429, headers={"Retry-After": "5"})
        try:
            return await _git_hook(request, webhook_secret, reloads, guard)
        finally:
            guard.leave()

    return app


def _probe_response(probe: Probe, *, leader: bool) -> JSONResponse:
    return JSONResponse(probe.to_json(leader=leader), status_code=200 if probe.ok else 503)


async def _git_hook(
    request: Request, secret: str | None, reloads: ReloadCoalescer, guard: HookGuard
) -> JSONResponse:
    refusal = await _authenticate(request, secret, guard)
    if refusal is not None:
        return refusal
    if guard.replayed(request.headers):
        return JSONResponse({"status": "duplicate"})
    event = hook_event(request.headers)
    if event == "ping":
        return JSONResponse({"status": "pong"})
    if event is not None and event not in PUSH_EVENTS:
        return JSONResponse({"status": "ignored", "event": event}, status_code=202)
    reload = "started" if reloads.trigger() else "queued"
    log.info("git webhook accepted (event %s): reload %s", event or "unnamed", reload)
    return JSONResponse({"status": "accepted", "reload": reload}, status_code=202)


async def _authenticate(
    request: Request, secret: str | None, guard: HookGuard
) -> JSONResponse | None:
    """None when the hook may proceed, else the answer refusing it (logged, rate-limited).

    The cheap checks come first: no signature header is refused before the body is read.
    """
    client = request.client.host if request.client else "?"
    refusal: tuple[int, str] | None = None
    if secret is not None and not has_signature(request.headers):
        refusal = (401, "no signature header")
    else:
        try:
            async with asyncio.timeout(guard.limits.read_timeout):
                body = await _read_body(request, guard.limits.max_body)
        except TimeoutError:
            refusal = (408, "body too slow")
        else:
            if body is None:
                refusal = (413, "body too large")
            elif secret is not None and not verify_signature(secret, request.headers, body):
                refusal = (401, "bad signature")
    if refusal is None:
        return None
    status, reason = refusal
    guard.rejections.warning("git webhook from %s rejected: %s", client, reason)
    return JSONResponse({"error": _REFUSALS[status]}, status_code=status)


_REFUSALS = {
    401: "invalid or missing webhook signature",
    408: "request body too slow",
    413: "payload too large",
}


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


# -- webhook authentication ----------------------------------------------------------------


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True when the hook proves it knows `secret`; the first header present decides.

    `X-Hub-Signature-256: sha256=<hex>` (GitHub, Gitea) and `X-Gitea-Signature: <hex>` are
    HMAC-SHA256 of `body`; `X-Gitlab-Token` is the secret itself. Comparisons are
    constant-time. `headers` may be any mapping; names are matched case-insensitively.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    key = secret.encode()
    if (github := lower.get("x-hub-signature-256")) is not None:
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(github.strip().lower().encode(), expected.encode())
    if (gitea := lower.get("x-gitea-signature")) is not None:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(gitea.strip().lower().encode(), expected.encode())
    if (gitlab := lower.get("x-gitlab-token")) is not None:
        return hmac.compare_digest(gitlab.encode(), key)
    return False


def hook_event(headers: Mapping[str, str]) -> str | None:
    """The event a hook announces (`push`, `push hook`, `ping`, …), lower-cased; None if none."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in EVENT_HEADERS:
        if name in lower:
            return lower[name].strip().lower()
    return None


# -- reload coalescing ---------------------------------------------------------------------


class ReloadCoalescer:
    """Runs `callback` for bursts of triggers: one run at a time, at most one queued.

    A trigger while no run is in flight starts one; triggers while a run is in flight (or
    waiting for its turn) ask for exactly one more run after it. Runs start at least
    `min_interval` seconds apart (a trigger sooner waits, and later ones join it). A failing
    run is logged; it never stops later ones.
    """

    def __init__(self, callback: GitHook, *, min_interval: float = 0.0) -> None:
        self._callback = callback
        self._min_interval = min_interval
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._last_start = -math.inf

    @property
    def running(self) -> bool:
        """True while a run is in flight or queued."""
        return self._task is not None and not self._task.done()

    def trigger(self) -> bool:
        """Ask for a reload; True if this scheduled a run, False if it joined a pending one."""
        if self.running:
            self._again = True
            return False
        self._task = asyncio.get_running_loop().create_task(self._runs(), name="git-reload")
        return True

    async def aclose(self) -> None:
        """Cancel a run in flight and forget a queued one."""
        task, self._task, self._again = self._task, None, False
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _runs(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self._last_start + self._min_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._again = False  # triggers up to here are served by this run
            self._last_start = loop.time()
            try:
                await self._callback()
            except Exception:
                log.exception("reload of desired state after a git webhook failed")
            if not self._again:
                return


# -- serving -------------------------------------------------------------------------------


class ServerReady(asyncio.Event):
    """Set once `serve()` listens; then `port` is the bound port and `server` the server."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.server: uvicorn.Server | None = None

    def stop(self) -> None:
        """Ask the server to shut down (it exits within ~0.1 s)."""
        if self.server is not None:
            self.server.should_exit = True


async def serve(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ready_event: asyncio.Event | None = None,
    access_log: bool = False,
) -> None:
    """Serve `app` on `host:port` (0: any free port) until cancelled or told to exit.

    `ready_event` is set once the socket listens; a `ServerReady` also learns the port and
    the server. Raises `ServeError` when the address cannot be bound. The app's pending
    reload is cancelled on the way out.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        ws="none",  # no websockets import, no deprecation warnings from it
        lifespan="off",
        log_config=None,  # the controller configures logging, not uvicorn
        access_log=access_log,
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
    )
    server = EmbeddedServer(config, functools.partial(_listening, config.host, ready_event))
    try:
        await server.serve()
    except SystemExit:  # uvicorn exits the process when it cannot bind; we report instead
        raise ServeError(f"cannot listen on {host}:{port}", where="controller HTTP") from None
    except asyncio.CancelledError:
        await shutdown(server)
        raise
    finally:
        await _close_reloads(app)


def _listening(
    host: str, ready_event: asyncio.Event | None, port: int, server: uvicorn.Server
) -> None:
    log.info("controller HTTP listening on %s:%d", host, port)
    if isinstance(ready_event, ServerReady):
        ready_event.port, ready_event.server = port, server
    if ready_event is not None:
        ready_event.set()


async def _close_reloads(app: FastAPI) -> None:
    reloads = getattr(app.state, "reloads", None)
    if isinstance(reloads, ReloadCoalescer):
        await reloads.aclose()
