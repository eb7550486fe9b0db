"""Git webhook authentication and reload coalescing, without a server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import pytest

from kubedrift.controller.http import ReloadCoalescer, hook_event, verify_signature

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


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


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

    runs, started = _run(scenario())
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

    assert _run(scenario()) == 1


def test_a_trigger_after_the_run_ends_starts_a_new_one() -> None:
    async def scenario() -> int:
        reload = GatedReload()
        coalescer = ReloadCoalescer(reload)
        for _ in range(3):
            assert coalescer.trigger()
            await reload.entered.wait()
            await reload.release()
        return reload.runs

    assert _run(scenario()) == 3


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

    _run(scenario())
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

    first, second = _run(scenario())
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

    assert _run(scenario()) is False
