"""The one way tests run async code: `run`, `synchronously`, `eventually`, and virtual time.

The project's tests use no async plugin: a test runs its coroutine on a fresh event loop
with `run(coro)` (or decorates an `async def` test with `@synchronously`), always bounded
in time, so a hang fails the test instead of the session.

`VirtualClock` is for code that takes a clock and a sleep (the lease elector, the healer,
the token bucket): time moves only when every task waiting on it sleeps, straight to the
earliest wake-up, so a test of "replaced after the lease duration" asserts exact virtual
seconds that no CPU load can stretch, and runs in milliseconds. It only fits code whose
other waits finish by themselves (an in-memory transport, not a real socket).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

IDLE_TURNS = 50
"""Loop turns without a runnable task before virtual time moves on (no real I/O waits)."""


def run(coro: Awaitable[T], timeout: float = 60.0) -> T:
    """Run `coro` on a fresh event loop; fail after `timeout` real seconds."""

    async def main() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


def synchronously(
    test: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[], None]:
    """Make an `async def` test without arguments a plain test (bounded to 10 s)."""

    @functools.wraps(test)
    def wrapper() -> None:
        run(test(), timeout=10.0)

    return wrapper


async def eventually(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `check()` is truthy, looking at each loop turn and every 10 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def settle(check: Callable[[], object], turns: int = 1000) -> None:
    """Wait until `check()` is truthy, within `turns` loop turns (no time passes)."""
    for _ in range(turns):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"condition not met within {turns} loop turns")


class VirtualClock:
    """Monotonic seconds that pass only while every task sleeps on `sleep` (see above).

    Use `async with clock.running():` around the code under test; `clock` is the clock
    callable and `clock.sleep` the sleep to inject.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Suspend until the clock reaches now + `seconds`."""
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def until(self, check: Callable[[], object], limit: float = 600.0) -> None:
        """Sleep in virtual steps of 10 ms until `check()` is truthy (at most `limit`
        virtual seconds): `eventually` for code that runs on this clock."""
        deadline = self.now + limit
        while not check():
            if self.now > deadline:
                raise AssertionError(f"condition not met within {limit} virtual seconds")
            await self.sleep(0.01)

    async def advance_when_idle(self) -> None:
        """Forever: once no task can run, move to the earliest wake-up and wake it."""
        while True:
            for _ in range(IDLE_TURNS):
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
                heapq.heappop(self._sleepers)
            if self._sleepers:
                at, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                future.set_result(None)

    def running(self) -> _Driving:
        """`async with clock.running():` moves time on in the background meanwhile."""
        return _Driving(self)


class _Driving:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> VirtualClock:
        self.task = asyncio.create_task(self.clock.advance_when_idle())
        return self.clock

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
