"""`Trouble` and `supervised`: trouble is logged (rate-limited), reported, and cleared; a
background coroutine that fails is logged and started again, never lost silently."""

from __future__ import annotations

import asyncio
import logging

import pytest

from kubedrift.controller.trouble import Trouble, supervised
from kubedrift.model.backoff import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_long_outage_logs_a_few_lines_and_its_end(caplog: pytest.LogCaptureFixture) -> None:
    clock, told = Clock(), []
    trouble = Trouble(
        "store",
        "cannot write the timeline store",
        lambda name, reason, since: told.append((name, reason, since)),
        log_every=30.0,
        clock=clock,
    )
    caplog.set_level(logging.INFO, "kubedrift.controller")
    for _ in range(600):  # ten minutes of a retry every second
        trouble.failed("connection refused")
        clock.now += 1
    trouble.recovered()
    lines = [r.getMessage() for r in caplog.records]
    assert 20 <= len(lines) <= 22
    assert lines[0] == "cannot write the timeline store: connection refused (retrying)"
    assert (
        lines[-1] == "cannot write the timeline store: recovered after 600.0s (600 failed attempts)"
    )
    assert told == [
        ("store", "cannot write the timeline store: connection refused", 100.0),
        ("store", None, 100.0),
    ]
    assert not trouble.active


def test_a_failing_task_is_logged_restarted_and_then_steady(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    told: list[str | None] = []
    trouble = Trouble("task", "a background task failed", lambda *a: told.append(a[1]))

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError(f"boom {len(runs)}")
        await asyncio.sleep(3600)

    async def main() -> None:
        backoff = Backoff(0.01, 0.02)
        task = asyncio.create_task(supervised("flaky", flaky, trouble, backoff=backoff))
        while not (len(runs) == 3 and told and told[-1] is None):
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 10))
    assert told == [
        "a background task failed: flaky stopped: RuntimeError('boom 1')",
        "a background task failed: flaky stopped: RuntimeError('boom 2')",
        None,
    ]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert [r.getMessage() for r in errors] == [
        "flaky stopped on an unexpected error; restarting it"
    ] * 2
