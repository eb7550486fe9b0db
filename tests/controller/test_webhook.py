"""Git webhook authentication, reload coalescing, and hostile clients of the real server.

The last part (issue 12.4) drives the hook over loopback sockets with raw HTTP, as an
attacker would: huge declared bodies, stalled bodies, floods, replays.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient

from controller.serving import served
from kubedrift.controller.health import HealthState
from kubedrift.controller.hookguard import HookLimits, LogLimiter
from kubedrift.controller.http import (
    ReloadCoalescer,
    ServerReady,
    build_app,
    build_hook_app,
    hook_event,
    verify_signature,
)
from kubedrift.controller.metrics import ControllerMetrics
from support.aio import run

T = TypeVar("T")
SECRET = "s3cret"
BODY = b'{"ref": "refs/heads/main", "after": "abc123"}'


def github_signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Hub-Signature-256": github_signature(BODY)},
        {"x-hub-signature-256": github_signature(BODY).upper().replace("SHA256=", "sha256=")},
        {"X-Gitea-Signature": github_signature(BODY).removeprefix("sha256=")},
        {"X-Gitlab-Token": SECRET},
    ],
    ids=["github", "github-uppercase-hex", "gitea", "gitlab"],
)
def test_good_signatures_pass(headers: dict[str, str]) -> None:
    assert verify_signature(SECRET, headers, BODY)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Hub-Signature-256": github_signature(BODY, "other")},
        {"X-Hub-Signature-256": github_signature(BODY + b" ")},
        {"X-Hub-Signature-256": github_signature(BODY).removeprefix("sha256=")},
        {"X-Hub-Signature-256": "sha1=" + hmac.new(b"s3cret", BODY, "sha1").hexdigest()},
        {"X-Hub-Signature-256": "sha256=ünïcode"},
        {"X-Gitea-Signature": "00" * 32},
        {"X-Gitlab-Token": "s3cret "},
        {"X-Gitlab-Token": ""},
        # the first header present decides: a good token does not rescue a bad signature
        {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-Gitlab-Token": SECRET},
    ],
    ids=[
        "wrong-secret",
        "other-body",
        "no-prefix",
        "sha1",
        "non-ascii",
        "gitea-wrong",
        "gitlab-wrong",
        "gitlab-empty",
        "bad-first",
    ],
)
def test_bad_signatures_fail(headers: dict[str, str]) -> None:
    assert not verify_signature(SECRET, headers, BODY)


def test_missing_signature_fails() -> None:
    assert not verify_signature(SECRET, {"X-GitHub-Event": "push"}, BODY)
    assert not verify_signature(SECRET, {}, BODY)


@pytest.mark.parametrize(
    ("headers", "event"),
    [
        ({"X-GitHub-Event": "push"}, "push"),
        ({"X-Gitlab-Event": "Push Hook"}, "push hook"),
        ({"X-Gitea-Event": "push"}, "push"),
        ({"X-GitHub-Event": "ping"}, "ping"),
        ({"Content-Type": "application/json"}, None),
    ],
)
def test_hook_event(headers: dict[str, str], event: str | None) -> None:
    assert hook_event(headers) == event


# -- coalescing ----------------------------------------------------------------------------


class GatedReload:
    """A reload callback that blocks until the test opens its gate, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.entered.set()
        await self.gate.wait()
        self.gate.clear()

    async def release(self) -> None:
        """Let the run in flight finish and wait until the next one (if any) starts."""
        self.entered.clear()
        self.gate.set()
        await asyncio.sleep(0.01)


def test_a_burst_while_running_schedules_exactly_one_more_run() -> None:
    async def scenario() -> tuple[int, list[bool]]:
        reload = GatedReload()
        coalescer = ReloadCoalescer(reload)
        started = [coalescer.trigger()]
        await reload.entered.wait()
        started += [coalescer.trigger() for _ in range(10)]
        await reload.release()  # first run ends: the one queued run starts
        assert reload.runs == 2
        await reload.release()
        assert not coalescer.running
        return reload.runs, started

    runs, started = run(scenario())
    assert runs == 2
    assert started == [True] + [False] * 10


def test_triggers_before_the_run_starts_join_it() -> None:
    async def scenario() -> int:
        reload = GatedReload()
        coalescer = ReloadCoalescer(reload)
        for _ in range(5):
            coalescer.trigger()
        await reload.entered.wait()
        await reload.release()
        assert not coalescer.running
        return reload.runs

    assert run(scenario()) == 1


def test_a_trigger_after_the_run_ends_starts_a_new_one() -> None:
    async def scenario() -> int:
        reload = GatedReload()
        coalescer = ReloadCoalescer(reload)
        for _ in range(3):
            assert coalescer.trigger()
            await reload.entered.wait()
            await reload.release()
        return reload.runs

    assert run(scenario()) == 3


def test_a_failing_reload_is_logged_and_the_queued_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(1)
        await asyncio.sleep(0.01)
        if len(calls) == 1:
            raise RuntimeError("git fetch failed")

    async def scenario() -> None:
        coalescer = ReloadCoalescer(flaky)
        coalescer.trigger()
        await asyncio.sleep(0)
        coalescer.trigger()
        while coalescer.running:
            await asyncio.sleep(0.01)

    run(scenario())
    assert len(calls) == 2
    assert "reload of desired state after a git webhook failed" in caplog.text


def test_runs_start_at_least_min_interval_apart() -> None:
    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        starts: list[float] = []

        async def reload() -> None:
            starts.append(loop.time())

        coalescer = ReloadCoalescer(reload, min_interval=0.2)
        coalescer.trigger()
        await asyncio.sleep(0)
        coalescer.trigger()
        while coalescer.running:
            await asyncio.sleep(0.01)
        return starts

    first, second = run(scenario())
    assert second - first >= 0.19


def test_aclose_cancels_the_run_in_flight() -> None:
    async def scenario() -> bool:
        reload = GatedReload()
        coalescer = ReloadCoalescer(reload)
        coalescer.trigger()
        await reload.entered.wait()
        coalescer.trigger()
        await coalescer.aclose()
        return coalescer.running

    assert run(scenario()) is False


# -- hostile clients of the real server ----------------------------------------------------


class Runs:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


def hook_app(
    runs: Runs, *, secret: str | None = SECRET, unsigned: bool = False, **limits: Any
) -> FastAPI:
    app = build_hook_app(
        runs,
        secret,
        reload_interval=0,
        allow_unsigned_hooks=unsigned,
        hook_limits=HookLimits(**limits),
    )
    assert app is not None
    return app


async def raw(port: int, head: str, body: bytes = b"", *, wait: bool = True) -> bytes:
    """Send raw HTTP/1.1 and return the status line (or b"" when not waiting)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    if not wait:
        return b""
    try:
        return await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()


def post_head(length: int, **headers: str) -> str:
    lines = ["POST /hooks/git HTTP/1.1", "Host: x", f"Content-Length: {length}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n"


def run_served(app: FastAPI, scenario: Callable[[AsyncClient, ServerReady], Awaitable[T]]) -> T:
    async def main() -> T:
        async with served(app) as (client, ready):
            return await scenario(client, ready)

    return asyncio.run(main())


def test_without_a_secret_the_hook_is_off_unless_told() -> None:
    """Regression (issue 12.4): the hook accepted anyone when no secret was set."""

    async def scenario(client: AsyncClient, _: ServerReady) -> int:
        return (await client.post("/hooks/git", content=BODY)).status_code

    runs = Runs()
    assert build_hook_app(runs, None) is None
    assert run_served(hook_app(runs, secret=None, unsigned=True), scenario) == 202


def test_no_signature_header_is_refused_before_the_body_is_read() -> None:
    """A 100 MB body is declared and never sent: the answer comes at once, unread."""
    runs = Runs()

    async def scenario(_: AsyncClient, ready: ServerReady) -> bytes:
        return await raw(ready.port, post_head(100_000_000, X_GitHub_Event="push"))

    assert run_served(hook_app(runs), scenario).startswith(b"HTTP/1.1 401")
    assert runs.count == 0


def test_a_body_over_one_mebibyte_is_refused() -> None:
    """Regression (issue 12.4): bodies up to 25 MiB were buffered before any check."""
    runs = Runs()
    big = b"x" * (1024 * 1024 + 1)
    sig = "sha256=" + hmac.new(SECRET.encode(), big, hashlib.sha256).hexdigest()

    async def scenario(client: AsyncClient, _: ServerReady) -> int:
        response = await client.post(
            "/hooks/git", content=big, headers={"X-Hub-Signature-256": sig}
        )
        return response.status_code

    assert run_served(hook_app(runs), scenario) == 413
    assert runs.count == 0


def test_a_slow_body_times_out() -> None:
    runs = Runs()

    async def scenario(_: AsyncClient, ready: ServerReady) -> tuple[bytes, float]:
        start = time.monotonic()
        head = post_head(1000, X_Hub_Signature_256="sha256=00")
        status = await raw(ready.port, head, b"{")
        return status, time.monotonic() - start

    status, took = run_served(hook_app(runs, read_timeout=0.5), scenario)
    assert status.startswith(b"HTTP/1.1 408")
    # the 0.5 s asked for, not the 10 s default: a bound that far from both, so a loaded
    # machine is no failure (issue 17.5)
    assert took < HookLimits().read_timeout * 0.8


SLOW = b"HTTP/1.1 408"
"""The status line of an upload cut off by the read timeout."""


def test_a_flood_gets_429_and_never_starves_healthz() -> None:
    """200 stalled hook uploads hold at most `concurrency` slots; /healthz answers at once.

    The probes live on their own port (issue 12.7), so the flood cannot even queue them.
    """
    runs = Runs()
    head = post_head(500_000, X_Hub_Signature_256="sha256=00")
    probes = build_app(ControllerMetrics(), HealthState())

    async def scenario(_: AsyncClient, ready: ServerReady) -> tuple[list[bytes], float, int]:
        stalled = [asyncio.create_task(raw(ready.port, head, b"{")) for _ in range(200)]
        await asyncio.sleep(0.5)
        async with served(probes) as (client, _probes_ready):
            health = await client.get("/healthz")
            # answered while the flood still holds its slots: no stalled upload has timed
            # out yet (an ordering, not a speed budget; issue 17.5)
            timed_out = sum(1 for t in stalled if t.done() and t.result().startswith(SLOW))
        statuses = await asyncio.gather(*stalled)
        return statuses, timed_out, health.status_code

    statuses, timed_out, health = run_served(hook_app(runs, read_timeout=2), scenario)
    busy = [s for s in statuses if s.startswith(b"HTTP/1.1 429")]
    slow = [s for s in statuses if s.startswith(SLOW)]
    assert len(slow) == 4
    assert len(busy) == 196
    assert timed_out == 0
    assert health in (200, 503)  # answered, whatever the watch loop's state


def test_a_replayed_delivery_does_not_reload_again() -> None:
    runs = Runs()
    headers = {"X-Hub-Signature-256": github_signature(BODY), "X-GitHub-Event": "push"}

    async def scenario(client: AsyncClient, _: ServerReady) -> list[dict[str, Any]]:
        out = []
        for delivery in ("d-1", "d-1", "d-2"):
            response = await client.post(
                "/hooks/git", content=BODY, headers={**headers, "X-GitHub-Delivery": delivery}
            )
            out.append(response.json())
            await asyncio.sleep(0.05)
        return out

    answers = run_served(hook_app(runs), scenario)
    assert [a["status"] for a in answers] == ["accepted", "duplicate", "accepted"]
    assert runs.count == 2


def test_a_flood_of_bad_signatures_writes_few_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    runs = Runs()
    caplog.set_level(logging.WARNING, logger="kubedrift.controller.http")

    async def scenario(client: AsyncClient, _: ServerReady) -> set[int]:
        bad = {"X-Hub-Signature-256": "sha256=" + "0" * 64}
        responses = [await client.post("/hooks/git", content=BODY, headers=bad) for _ in range(300)]
        return {r.status_code for r in responses}

    assert run_served(hook_app(runs), scenario) == {401}
    lines = [r for r in caplog.records if r.name == "kubedrift.controller.http"]
    assert 1 <= len(lines) <= 3


def test_log_limiter_counts_what_it_suppressed(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limiter = LogLimiter(logging.getLogger("t.limit"), 10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="t.limit"):
        for _ in range(5):
            limiter.warning("rejected %s", "x")
        now[0] = 11
        limiter.warning("rejected %s", "y")
    assert [r.getMessage() for r in caplog.records] == [
        "rejected x",
        "rejected y (4 similar lines suppressed)",
    ]
